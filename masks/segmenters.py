"""Which segmenter the application uses: SAM when a checkpoint is configured, the CPU default otherwise.

Loading SAM takes seconds, so the segmenter is built once per process on first use and shared.
A misconfigured SAM does not stop the application: the CPU default is used and the problem is reported
at start-up (system check) and on every annotation page.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from backbone.features import frame_matching_features

from .segmentation.base import ClickSegmenter, SegmenterError
from .segmentation.opencv import OpenCVSegmenter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SegmenterStatus:
    name: str
    kind: str  # "sam" or "opencv"
    problem: str | None  # why SAM is configured but not in use


_lock = threading.Lock()
_active: tuple[ClickSegmenter, SegmenterStatus] | None = None


def sam_configuration_problem() -> str | None:
    """A clear message if SAM is configured but cannot be used, else None (cheap: no weights loaded)."""
    if not settings.SAM_CHECKPOINT:
        return None
    from .segmentation.sam import check_sam_config

    return check_sam_config(settings.SAM_CHECKPOINT, settings.SAM_MODEL_TYPE)


def _build() -> tuple[ClickSegmenter, SegmenterStatus]:
    problem = sam_configuration_problem()
    if settings.SAM_CHECKPOINT and problem is None:
        try:
            from .segmentation.sam import SamSegmenter

            sam = SamSegmenter(
                checkpoint=Path(settings.SAM_CHECKPOINT),
                model_type=settings.SAM_MODEL_TYPE,
                device=settings.SAM_DEVICE or None,
                cache_dir=Path(settings.SAM_EMBEDDING_CACHE_DIR),
                memory_cache_size=settings.SAM_MEMORY_CACHE_FRAMES,
            )
            return sam, SegmenterStatus(sam.name, "sam", None)
        except SegmenterError as exc:
            problem = str(exc)
    if problem:
        logger.error("SAM is configured but cannot be used (%s); using the CPU default.", problem)
    default = OpenCVSegmenter(features=frame_matching_features)
    return default, SegmenterStatus(default.name, "opencv", problem)


def active_segmenter() -> tuple[ClickSegmenter, SegmenterStatus]:
    """The process's segmenter and its status, built on first use."""
    global _active
    with _lock:
        if _active is None:
            _active = _build()
        return _active


@receiver(setting_changed)
def _forget_on_settings_change(*, setting: str, **kwargs) -> None:
    global _active
    if setting.startswith("SAM_"):
        with _lock:
            _active = None
