"""Reading a track's extrapolation: which frames a person should look at first."""

from __future__ import annotations

from masks.models import Mask

from .models import ExtrapolationJob


def review_order(*, track_id: int, job: ExtrapolationJob | None = None) -> list[int]:
    """The frames (0-based indices) of a track a person should review, worst first: the frames its last run
    (``job``, or the track's latest succeeded job) left empty where the track runs on both sides of them (the
    object was probably lost there, not gone), then the other frames it left, then its unreviewed proposals by
    rising confidence. The effort benchmark's ``--next confidence`` follows this order; the annotation page's
    "Next to review" follows :func:`sequence_review`, the same over every track of the sequence."""
    if job is None:
        job = ExtrapolationJob.objects.filter(track_id=track_id, state=ExtrapolationJob.State.SUCCEEDED).first()
    masks = Mask.objects.filter(track_id=track_id).values_list("frame__index", "source", "confidence", "reviewed_at")
    held = {index for index, *_ in masks}
    proposals = sorted(
        (confidence or 0.0, index) for index, source, confidence, reviewed_at in masks
        if source in Mask.PROPOSALS and reviewed_at is None
    )
    inside, outside = _left_empty([] if job is None else job.left_frames, held)
    return inside + outside + [index for _, index in proposals]


def _left_empty(left_frames: list[int], held: set[int]) -> tuple[list[int], list[int]]:
    """The frames a run left to the annotator that still hold no mask of its track (``held``: the frames that
    do), split into those inside the track's extent (the object was probably lost there, not gone) and the rest."""
    left = [i for i in left_frames if i not in held]
    if not held:
        return [], left
    first, last = min(held), max(held)
    return [i for i in left if first < i < last], [i for i in left if not first < i < last]


def sequence_review(*, sequence_id: int) -> dict:
    """What the annotation page's review needs from extrapolation: ``order``, every frame to review in the
    sequence, worst first (the tracks' :func:`review_order` merged: frames left empty inside a track, then
    proposals by rising confidence), and ``left``, per tag the frames the tracks' last runs left to the
    annotator and still empty of that track: [[tag id, [frame indices]], ...]."""
    left_by_tag: dict[int, set[int]] = {}
    empty_inside: list[int] = []
    proposals: list[tuple[float, int]] = []
    latest: dict[int, ExtrapolationJob] = {}
    for job in ExtrapolationJob.objects.filter(sequence_id=sequence_id, state=ExtrapolationJob.State.SUCCEEDED):
        latest.setdefault(job.track_id, job)  # newest first (the model's ordering)
    rows = Mask.objects.filter(frame__sequence_id=sequence_id, track__isnull=False).values_list(
        "track_id", "track__tag_id", "frame__index", "source", "confidence", "reviewed_at")
    held: dict[int, set[int]] = {}
    tags: dict[int, int] = {}
    for track_id, tag_id, index, source, confidence, reviewed_at in rows:
        held.setdefault(track_id, set()).add(index)
        tags[track_id] = tag_id
        if source in Mask.PROPOSALS and reviewed_at is None:
            proposals.append((confidence or 0.0, index))
    for track_id, job in latest.items():
        if track_id not in tags:
            continue
        inside, outside = _left_empty(job.left_frames, held[track_id])
        if inside or outside:
            left_by_tag.setdefault(tags[track_id], set()).update(inside + outside)
        empty_inside += inside
    # each frame once, where it first comes (a dict keeps insertion order)
    order = list(dict.fromkeys(sorted(set(empty_inside)) + [index for _, index in sorted(proposals)]))
    return {"order": order, "left": [[tag, sorted(frames)] for tag, frames in sorted(left_by_tag.items())]}
