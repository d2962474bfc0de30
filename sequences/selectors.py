"""Reading sequences and frames."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db.models import Count, Q

from vision.io import read_rgb

from .models import Frame

_DECODED_FRAMES = 16
_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_lock = threading.Lock()


def frame_path(frame: Frame) -> Path:
    return Path(settings.MEDIA_ROOT) / frame.image.name


def frame_rgb(frame: Frame) -> np.ndarray:
    """The frame's pixels as uint8 RGB (H, W, 3); the last few decoded frames are kept in memory.

    Each click of an annotator asks for the same frame again; decoding it once saves ~5–50 ms a click.
    """
    key = frame_image_key(frame)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    try:
        image = read_rgb(frame_path(frame))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"Image of {frame} cannot be read at {frame.image.name}.") from exc
    image.flags.writeable = False
    with _lock:
        _cache[key] = image
        while len(_cache) > _DECODED_FRAMES:
            _cache.popitem(last=False)
    return image


def frame_image_key(frame: Frame) -> str:
    """The key per-frame work is cached under (decoded pixels, SAM embeddings): the row and the content,
    since a row id can be reused after a deletion (SQLite) while frames never change after import."""
    return f"frame-{frame.id}-{frame.checksum or 'unknown'}"


# Sources of masks a machine proposed and a person reviews (masks.models.Mask.PROPOSALS; no import here:
# this module is imported by the masks app).
PROPOSALS = ("propagated", "model")

# A proposal (propagated or a model's) below this confidence is flagged on the timeline and reviewed first.
LOW_CONFIDENCE = 0.5


class MaskState:
    """How a mask shows on the timeline; when a tag has several masks on a frame, the highest wins."""

    MANUAL = 0
    ACCEPTED = 1
    PROPAGATED = 2
    LOW_CONFIDENCE = 3

    @staticmethod
    def of(source: str, confidence: float | None, reviewed: bool) -> int:
        if source not in PROPOSALS:
            return MaskState.MANUAL
        if reviewed:
            return MaskState.ACCEPTED
        if confidence is not None and confidence < LOW_CONFIDENCE:
            return MaskState.LOW_CONFIDENCE
        return MaskState.PROPAGATED


@dataclass
class TagTimeline:
    tag_id: int
    frames: list[int] = field(default_factory=list)  # frame indices with a mask of the tag, ascending
    states: list[int] = field(default_factory=list)  # MaskState of each, same order


def sequence_timeline(*, sequence_id: int) -> dict[int, TagTimeline]:
    """Per tag, which frames have masks and in which state: one query, whatever the sequence's length."""
    from masks.models import Mask

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
        state = MaskState.of(source, confidence, reviewed_at is not None)
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
    from findings.models import FrameFinding
    from masks.models import Mask
    from tags.models import Tag

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

    rows = (
        Mask.objects.filter(frame__sequence_id__in=sequence_ids)
        .values("frame__sequence_id", "tag_id", "source")
        .annotate(
            masks=Count("id"),
            accepted=Count("id", filter=Q(reviewed_at__isnull=False)),
            low=Count("id", filter=Q(reviewed_at__isnull=True, confidence__lt=LOW_CONFIDENCE)),
        )
    )
    for row in rows:
        line = tag_stats(row["frame__sequence_id"], row["tag_id"])
        line.masks += row["masks"]
        stats[row["frame__sequence_id"]].mask_count += row["masks"]
        if row["source"] in PROPOSALS:
            if row["source"] == "propagated":
                line.propagated += row["masks"]
            else:
                line.proposed += row["masks"]
            line.accepted += row["accepted"]
            line.awaiting_review += row["masks"] - row["accepted"]
            line.low_confidence += row["low"]
        else:
            line.manual += row["masks"]
    masks = Mask.objects.filter(frame__sequence_id__in=sequence_ids)
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


def proposals_awaiting_review(*, sequence_id: int) -> tuple[int, int]:
    """(proposals, frames): the propagated or model masks of a sequence nobody accepted yet, and their frames."""
    from masks.models import Mask

    return tuple(
        Mask.objects.filter(frame__sequence_id=sequence_id).awaiting_review()
        .aggregate(masks=Count("id"), frames=Count("frame_id", distinct=True)).values()
    )
