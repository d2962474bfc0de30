"""Reading a track's extrapolation: which frames a person should look at first."""

from __future__ import annotations

from masks.models import Mask

from .models import ExtrapolationJob


def review_order(*, track_id: int, job: ExtrapolationJob | None = None) -> list[int]:
    """The frames (0-based indices) of a track a person should review, worst first: the frames its last run
    (``job``, or the track's latest succeeded job) left empty where the track runs on both sides of them (the
    object was probably lost there, not gone), then the other frames it left, then its proposals awaiting review
    by rising confidence. The effort benchmark's ``--next confidence`` follows this order; the annotation page's
    "Next to review" follows :func:`review.selectors.sequence_review`, the same over every track of the sequence."""
    if job is None:
        job = ExtrapolationJob.objects.filter(track_id=track_id, state=ExtrapolationJob.State.SUCCEEDED).first()
    masks = Mask.objects.filter(track_id=track_id)
    held = set(masks.values_list("frame__index", flat=True))
    proposals = sorted(
        (confidence or 0.0, index)
        for confidence, index in masks.awaiting_review().values_list("confidence", "frame__index")
    )
    inside, outside = left_empty([] if job is None else job.left_frames, held)
    return inside + outside + [index for _, index in proposals]


def left_empty(left_frames: list[int], held: set[int]) -> tuple[list[int], list[int]]:
    """The frames a run left to the annotator that still hold no mask of its track (``held``: the frames that
    do), split into those inside the track's extent (the object was probably lost there, not gone) and the rest."""
    left = [i for i in left_frames if i not in held]
    if not held:
        return [], left
    first, last = min(held), max(held)
    return [i for i in left if first < i < last], [i for i in left if not first < i < last]
