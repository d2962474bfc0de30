"""Reading frame findings: for the annotation page, the timeline and (later) dataset exports."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import FrameFinding


def sequence_findings(*, sequence_id: int, tag_ids: Iterable[int] | None = None) -> QuerySet[FrameFinding]:
    """The findings of a sequence in frame order, with their tags; optionally of some tags only."""
    findings = FrameFinding.objects.filter(sequence_id=sequence_id).select_related("tag", "created_by")
    if tag_ids is not None:
        findings = findings.filter(tag_id__in=list(tag_ids))
    return findings


def findings_on_frame(*, sequence_id: int, index: int) -> QuerySet[FrameFinding]:
    """The findings that hold on frame ``index``."""
    return sequence_findings(sequence_id=sequence_id).filter(first_index__lte=index, last_index__gte=index)


def frame_tags(*, sequence_id: int) -> dict[int, list[int]]:
    """Frame index → ids of the tags found on it (frames without a finding are left out).

    What an export needs per frame; ranges are expanded here, once.
    """
    tags: dict[int, list[int]] = {}
    rows = FrameFinding.objects.filter(sequence_id=sequence_id).values_list("first_index", "last_index", "tag_id")
    for first, last, tag_id in rows:
        for index in range(first, last + 1):
            tags.setdefault(index, [])
            if tag_id not in tags[index]:
                tags[index].append(tag_id)
    return tags
