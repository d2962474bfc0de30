"""Reading a track's extrapolation: which frames a person should look at first."""

from __future__ import annotations

from masks.models import Mask

from .models import ExtrapolationJob


def review_order(*, track_id: int, job: ExtrapolationJob | None = None) -> list[int]:
    """The frames (0-based indices) of a track a person should review, worst first: the frames its last run
    (``job``, or the track's latest succeeded job) left empty where the track runs on both sides of them (the
    object was probably lost there, not gone), then its unreviewed proposals by rising confidence. The
    annotation page's "Next to review" and the effort benchmark's ``--next confidence`` follow this order."""
    if job is None:
        job = ExtrapolationJob.objects.filter(track_id=track_id, state=ExtrapolationJob.State.SUCCEEDED).first()
    masks = Mask.objects.filter(track_id=track_id).values_list("frame__index", "source", "confidence", "reviewed_at")
    held = {index for index, *_ in masks}
    proposals = sorted(
        (confidence or 0.0, index) for index, source, confidence, reviewed_at in masks
        if source in Mask.PROPOSALS and reviewed_at is None
    )
    left = [] if job is None else [i for i in job.left_frames if i not in held]
    if held:
        first, last = min(held), max(held)
        left = [i for i in left if first < i < last] + [i for i in left if not first < i < last]
    return left + [index for _, index in proposals]
