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
        frames = held.get(track_id, set())
        left = [i for i in job.left_frames if i not in frames]
        if not left or track_id not in tags:
            continue
        left_by_tag.setdefault(tags[track_id], set()).update(left)
        first, last = min(frames), max(frames)
        empty_inside += [i for i in left if first < i < last]
    order: list[int] = []
    for index in sorted(set(empty_inside)) + [index for _, index in sorted(proposals)]:
        if index not in order:
            order.append(index)
    return {"order": order, "left": [[tag, sorted(frames)] for tag, frames in sorted(left_by_tag.items())]}
