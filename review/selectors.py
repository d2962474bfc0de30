"""Reading what a review needs: per sequence the timeline, the statistics of its tags, and the frames to review
worst first."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from extrapolation.models import ExtrapolationJob
from extrapolation.selectors import left_empty
from findings.models import FrameFinding
from masks.models import Mask, accepted_rule, low_confidence_rule
from masks.selectors import mask_state
from sequences.models import Frame
from tags.models import Tag


@dataclass
class TagTimeline:
    tag_id: int
    frames: list[int] = field(default_factory=list)  # frame indices with a mask of the tag, ascending
    states: list[int] = field(default_factory=list)  # masks.selectors.MaskState of each, same order


def sequence_timeline(*, sequence_id: int) -> dict[int, TagTimeline]:
    """Per tag, which frames have masks and in which state: one query, whatever the sequence's length."""
    rows = (
        Mask.objects.filter(frame__sequence_id=sequence_id)
        .order_by("tag_id", "frame__index")
        .values_list("tag_id", "frame__index", "source", "confidence", "reviewed_at")
    )
    timelines: dict[int, TagTimeline] = {}
    for tag_id, index, source, confidence, reviewed_at in rows.iterator(chunk_size=5000):
        line = timelines.get(tag_id)
        if line is None:
            line = timelines[tag_id] = TagTimeline(tag_id)
        state = mask_state(source, confidence, reviewed_at is not None)
        if line.frames and line.frames[-1] == index:
            line.states[-1] = max(line.states[-1], state)
        else:
            line.frames.append(index)
            line.states.append(state)
    return timelines


@dataclass
class TagStatistics:
    tag_id: int
    name: str
    kind: str
    color: str
    masks: int = 0
    manual: int = 0
    propagated: int = 0
    proposed: int = 0  # masks a trained model proposed (pre-annotation)
    accepted: int = 0
    awaiting_review: int = 0
    low_confidence: int = 0
    frames: int = 0  # frames with a mask of the tag a person made or accepted
    frames_awaiting_review: int = 0  # frames with a proposal of the tag nobody accepted yet
    finding_frames: int = 0  # frames covered by a frame finding of the tag
    findings: int = 0


@dataclass
class SequenceStatistics:
    frame_count: int = 0
    mask_count: int = 0
    # The one rule of progress: a frame is annotated when a person made or accepted a mask on it
    # (Mask.objects.trusted()) or recorded a frame finding on it; proposals awaiting review do not count.
    annotated_frames: int = 0
    awaiting_review: int = 0  # frames with a proposal (propagated or a model's) nobody accepted yet
    proposals_awaiting_review: int = 0  # those proposals (masks)
    tags: list[TagStatistics] = field(default_factory=list)

    @property
    def annotated_share(self) -> float:
        return self.annotated_frames / self.frame_count if self.frame_count else 0.0


def sequence_statistics(*, sequence_ids: list[int]) -> dict[int, SequenceStatistics]:
    """Counts of the sequence list and the sequence page, for many sequences in a fixed number of queries.

    Progress (``annotated_frames``) counts only a person's work; proposals awaiting review are counted apart.
    """
    stats = {sid: SequenceStatistics() for sid in sequence_ids}
    for sid, count in (
        Frame.objects.filter(sequence_id__in=sequence_ids).values_list("sequence_id").annotate(n=Count("id"))
    ):
        stats[sid].frame_count = count
    tags: dict[tuple[int, int], TagStatistics] = {}
    tag_rows = {t.id: t for t in Tag.objects.all()}

    def tag_stats(sid: int, tag_id: int) -> TagStatistics:
        key = (sid, tag_id)
        if key not in tags:
            tag = tag_rows[tag_id]
            tags[key] = TagStatistics(tag_id, tag.name, tag.kind, tag.color)
        return tags[key]

    masks = Mask.objects.filter(frame__sequence_id__in=sequence_ids)
    rows = (
        masks.values("frame__sequence_id", "tag_id", "source")
        .annotate(masks=Count("id"), accepted=Count("id", filter=accepted_rule()),
                  low=Count("id", filter=low_confidence_rule()))
    )
    for row in rows:
        line = tag_stats(row["frame__sequence_id"], row["tag_id"])
        line.masks += row["masks"]
        stats[row["frame__sequence_id"]].mask_count += row["masks"]
        if row["source"] in Mask.PROPOSALS:
            if row["source"] == Mask.Source.PROPAGATED:
                line.propagated += row["masks"]
            else:
                line.proposed += row["masks"]
            line.accepted += row["accepted"]
            line.awaiting_review += row["masks"] - row["accepted"]
            line.low_confidence += row["low"]
        else:
            line.manual += row["masks"]
    for sid, tag_id, frames in (
        masks.trusted().values_list("frame__sequence_id", "tag_id").annotate(n=Count("frame_id", distinct=True))
    ):
        tag_stats(sid, tag_id).frames = frames
    for sid, tag_id, frames in (
        masks.awaiting_review().values_list("frame__sequence_id", "tag_id")
        .annotate(n=Count("frame_id", distinct=True))
    ):
        tag_stats(sid, tag_id).frames_awaiting_review = frames
    for sid, frames, proposals in (
        masks.awaiting_review().values_list("frame__sequence_id")
        .annotate(n=Count("frame_id", distinct=True), m=Count("id"))
    ):
        stats[sid].awaiting_review = frames
        stats[sid].proposals_awaiting_review = proposals
    covered: dict[int, set[int]] = {sid: set() for sid in sequence_ids}
    for sid, index in masks.trusted().values_list("frame__sequence_id", "frame__index").distinct():
        covered[sid].add(index)
    for sid, tag_id, first, last in FrameFinding.objects.filter(sequence_id__in=sequence_ids).values_list(
        "sequence_id", "tag_id", "first_index", "last_index"
    ):
        line = tag_stats(sid, tag_id)
        line.findings += 1
        line.finding_frames += last - first + 1
        covered[sid].update(range(first, last + 1))
    for sid, indices in covered.items():
        stats[sid].annotated_frames = len(indices)
    order = {t.id: (t.order, t.kind, t.name) for t in tag_rows.values()}
    for (sid, _), line in sorted(tags.items(), key=lambda item: order[item[0][1]]):
        stats[sid].tags.append(line)
    return stats


def sequence_review(*, sequence_id: int) -> dict:
    """What the annotation page's "Next to review" follows: ``order``, every frame to review in the sequence, worst
    first (frames extrapolation left empty inside a track, then proposals awaiting review by rising confidence;
    the order :func:`extrapolation.selectors.review_order` gives one track), and ``left``, per tag the frames the
    tracks' last runs left to the annotator and still empty of that track: [[tag id, [frame indices]], ...]."""
    latest: dict[int, ExtrapolationJob] = {}
    for job in ExtrapolationJob.objects.filter(sequence_id=sequence_id, state=ExtrapolationJob.State.SUCCEEDED):
        latest.setdefault(job.track_id, job)  # newest first (the model's ordering)
    masks = Mask.objects.filter(frame__sequence_id=sequence_id, track__isnull=False)
    held: dict[int, set[int]] = {}
    tags: dict[int, int] = {}
    for track_id, tag_id, index in masks.values_list("track_id", "track__tag_id", "frame__index"):
        held.setdefault(track_id, set()).add(index)
        tags[track_id] = tag_id
    proposals = sorted(
        (confidence or 0.0, index)
        for confidence, index in masks.awaiting_review().values_list("confidence", "frame__index")
    )
    left_by_tag: dict[int, set[int]] = {}
    empty_inside: list[int] = []
    for track_id, job in latest.items():
        if track_id not in tags:
            continue
        inside, outside = left_empty(job.left_frames, held[track_id])
        if inside or outside:
            left_by_tag.setdefault(tags[track_id], set()).update(inside + outside)
        empty_inside += inside
    # each frame once, where it first comes (a dict keeps insertion order)
    order = list(dict.fromkeys(sorted(set(empty_inside)) + [index for _, index in proposals]))
    return {"order": order, "left": [[tag, sorted(frames)] for tag, frames in sorted(left_by_tag.items())]}
