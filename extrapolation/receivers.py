"""Extrapolation's answers to what people do to masks (``masks.signals``): rejections are remembered, and a
correction of a track's mask spreads to its neighbours."""

from . import services


def on_proposal_rejected(*, mask, user=None, **kwargs) -> None:
    services.remember_rejection(mask=mask, user=user)


def on_proposal_restored(*, mask, user=None, **kwargs) -> None:
    services.forget_rejection(mask=mask, user=user)


def on_mask_corrected(*, mask, user=None, **kwargs) -> None:
    services.rerun_after_correction(mask=mask, user=user)
