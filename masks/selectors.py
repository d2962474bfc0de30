"""Reading masks: the review state of a mask (what the timeline draws, which proposals wait), and masks' effort:
what people's work on a sequence cost, from the EffortEvents recorded as they worked.

Which masks are trusted, awaiting review or low-confidence is decided once, by ``Mask.objects`` (``.trusted()``,
``.awaiting_review()``, ``.accepted()``, ``.low_confidence()``, in ``masks/models.py`` where the manager is built);
:func:`mask_state` is that rule for rows already read (``values_list``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from .models import EffortEvent, Mask


class MaskState:
    """How a mask shows on the timeline (sent to the page as these numbers); when a tag has several masks on a
    frame, the highest wins."""

    MANUAL = 0
    ACCEPTED = 1
    PROPAGATED = 2  # a proposal (propagated or a model's) awaiting review
    LOW_CONFIDENCE = 3  # the same, below Mask.LOW_CONFIDENCE

    NAMES = {"manual": MANUAL, "accepted": ACCEPTED, "propagated": PROPAGATED, "low_confidence": LOW_CONFIDENCE}

    @classmethod
    def name(cls, state: int) -> str:
        """The JSON name of ``state`` (a mask's ``review_state``)."""
        return next(name for name, number in cls.NAMES.items() if number == state)


def mask_state(source: str, confidence: float | None, reviewed: bool) -> int:
    """The :class:`MaskState` of a mask from its ``source``, ``confidence`` and whether it was reviewed: the rule
    of ``Mask.objects.trusted()`` / ``.awaiting_review()`` / ``.low_confidence()``, for rows already read."""
    if source not in Mask.PROPOSALS:
        return MaskState.MANUAL
    if reviewed:
        return MaskState.ACCEPTED
    if confidence is not None and confidence < Mask.LOW_CONFIDENCE:
        return MaskState.LOW_CONFIDENCE
    return MaskState.PROPAGATED


def is_awaiting_review(source: str, reviewed: bool) -> bool:
    """Whether a mask read as a row is a proposal nobody accepted yet (``Mask.objects.awaiting_review()``)."""
    return mask_state(source, None, reviewed) >= MaskState.PROPAGATED


def proposals_awaiting_review(*, sequence_id: int) -> tuple[int, int]:
    """(proposals, frames): the propagated or model masks of a sequence nobody accepted yet, and their frames."""
    counts = (
        Mask.objects.filter(frame__sequence_id=sequence_id).awaiting_review()
        .aggregate(masks=Count("id"), frames=Count("frame_id", distinct=True))
    )
    return counts["masks"], counts["frames"]


def format_seconds(seconds: float) -> str:
    """A working time as people read it: "42 s", "3 min 20 s", "1 h 05 min"."""
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    minutes, rest = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@dataclass
class Effort:
    """Work recorded on a sequence, or on one tag of it."""

    clicks: int = 0  # prompt points of the masks made from clicks
    masks_from_clicks: int = 0
    edits: int = 0  # brush edits saved
    corrections: int = 0  # proposals edited by brush, re-clicked or rejected
    accepted: int = 0  # proposals accepted as they were
    rejected: int = 0
    work_seconds: float = 0.0  # the working time the page measured and sent
    frames_by_hand: int = 0  # frames holding a mask made (or corrected) by hand
    frames_accepted: int = 0  # frames whose only trusted masks are proposals accepted as they were

    @property
    def work_time(self) -> str:
        """The working time as people read it; "—" while none was measured (not the same as no time spent)."""
        return format_seconds(self.work_seconds) if self.work_seconds else "—"

    @property
    def recorded(self) -> bool:
        return bool(self.clicks or self.edits or self.corrections or self.accepted or self.work_seconds
                    or self.frames_by_hand or self.frames_accepted)


@dataclass
class SequenceEffort:
    total: Effort = field(default_factory=Effort)
    tags: dict[int, Effort] = field(default_factory=dict)  # tag id → its effort


def _event_aggregates() -> dict:
    """How events add up into an Effort's recorded work (one expression per field)."""
    return {
        "clicks": Sum("clicks", default=0),
        "masks_from_clicks": Count("id", filter=Q(kind=EffortEvent.Kind.CLICKS)),
        "edits": Count("id", filter=Q(kind=EffortEvent.Kind.EDIT)),
        "corrections": Count("id", filter=Q(correction=True)),
        "accepted": Count("id", filter=Q(kind=EffortEvent.Kind.ACCEPT)),
        "rejected": Count("id", filter=Q(kind=EffortEvent.Kind.REJECT)),
        "work_seconds": Sum("work_seconds", default=0.0),
    }


def sequence_effort(*, sequence_id: int) -> SequenceEffort:
    """The effort spent on a sequence, in total and per tag: the recorded work (clicks, brush edits,
    corrections of proposals, accepted proposals, working time), and the frames annotated by hand against those
    taken from accepted proposals (from the masks as they stand)."""
    result = SequenceEffort()
    events = EffortEvent.objects.filter(sequence_id=sequence_id)
    result.total = Effort(**events.aggregate(**_event_aggregates()))
    for row in events.order_by().values("tag_id").annotate(**_event_aggregates()):
        tag_id = row.pop("tag_id")
        result.tags[tag_id] = Effort(**row)
    masks = Mask.objects.filter(frame__sequence_id=sequence_id)
    by_hand = set(masks.filter(source=Mask.Source.MANUAL).values_list("tag_id", "frame_id").distinct())
    accepted = set(masks.accepted().values_list("tag_id", "frame_id").distinct()) - by_hand
    for pairs, name in ((by_hand, "frames_by_hand"), (accepted, "frames_accepted")):
        for tag_id, _ in pairs:
            line = result.tags.setdefault(tag_id, Effort())
            setattr(line, name, getattr(line, name) + 1)
    hand_frames = {frame_id for _, frame_id in by_hand}
    result.total.frames_by_hand = len(hand_frames)
    result.total.frames_accepted = len({frame_id for _, frame_id in accepted} - hand_frames)
    return result


def effort_of_masks(*, mask_ids: Iterable[int]) -> dict[int, Effort]:
    """The recorded work on each of ``mask_ids`` (masks without any recorded work are left out)."""
    result: dict[int, Effort] = {}
    rows = (
        EffortEvent.objects.filter(mask_id__in=list(mask_ids)).order_by().values("mask_id")
        .annotate(**_event_aggregates())
    )
    for row in rows:
        mask_id = row.pop("mask_id")
        result[mask_id] = Effort(**row)
    return result

