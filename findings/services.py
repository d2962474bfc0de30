"""Writing frame findings: create, update, delete, each validated against its sequence."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from accounts import roles
from core.errors import InvalidInput
from sequences.models import FrameSequence
from tags.models import Tag

from .models import FrameFinding


def _validated(finding: FrameFinding) -> FrameFinding:
    try:
        finding.full_clean(exclude=["created_by"])
    except ValidationError as exc:
        messages = [m for field_messages in exc.message_dict.values() for m in field_messages]
        raise InvalidInput(" ".join(messages)) from exc
    finding.save()
    return finding


def create_finding(
    *, sequence: FrameSequence, tag: Tag, first_index: int, last_index: int | None = None, note: str = "",
    created_by=None,
) -> FrameFinding:
    """Record that ``tag`` holds on frames ``first_index`` … ``last_index`` (one frame if ``last_index`` is None)."""
    roles.require(created_by, "findings.add_framefinding", "Recording a finding")
    if last_index is None:
        last_index = first_index
    if first_index < 0 or last_index < 0:
        raise InvalidInput("Frame indices start at 0.")
    return _validated(FrameFinding(
        sequence=sequence, tag=tag, first_index=first_index, last_index=last_index, note=note, created_by=created_by,
    ))


def update_finding(
    *, finding: FrameFinding, tag: Tag | None = None, first_index: int | None = None,
    last_index: int | None = None, note: str | None = None, user=None,
) -> FrameFinding:
    """Change the given fields of ``finding``; the others stay. ``user``: its author, or a reviewer."""
    roles.require_finding_change(user, finding, permission="findings.change_framefinding",
                                 what=f"Editing finding {finding.id}")
    if tag is not None:
        finding.tag = tag
    if first_index is not None:
        finding.first_index = first_index
    if last_index is not None:
        finding.last_index = last_index
    if note is not None:
        finding.note = note
    if finding.first_index < 0 or finding.last_index < 0:
        raise InvalidInput("Frame indices start at 0.")
    return _validated(finding)


def delete_finding(*, finding: FrameFinding, user=None) -> None:
    """Delete ``finding``: its author, or a reviewer."""
    roles.require_finding_change(user, finding, permission="findings.delete_framefinding",
                                 what=f"Deleting finding {finding.id}")
    finding.delete()
