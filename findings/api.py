"""JSON endpoints of frame findings: list and create per sequence, read, update and delete one."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from core.api import field, get_or_404, json_view, query_int, read_json
from core.errors import InvalidInput
from sequences.models import FrameSequence
from tags.models import Tag

from . import selectors, services
from .models import FrameFinding


def finding_json(finding: FrameFinding) -> dict:
    return {
        "id": finding.id,
        "sequence_id": finding.sequence_id,
        "tag_id": finding.tag_id,
        "tag": finding.tag.name,
        "kind": finding.tag.kind,
        "color": finding.tag.color,
        "first_index": finding.first_index,
        "last_index": finding.last_index,
        "note": finding.note,
        "created_by": finding.created_by.username if finding.created_by else None,
        "created_at": finding.created_at.isoformat(),
    }


def _index(body: dict, name: str, *, required: bool) -> int | None:
    value = field(body, name, int, required=required)
    if value is not None and value < 0:
        raise InvalidInput(f"Field '{name}' must be a frame index (0 or more), got {value}.")
    return value


@json_view(("GET", "POST"))
def sequence_findings(request: HttpRequest, sequence_id: int):
    """GET: the sequence's findings (``?frame=<index>``: those holding on that frame).
    POST ``{"tag_id", "first_index", "last_index"?, "note"?}``: record one; 201."""
    sequence = get_or_404(FrameSequence, sequence_id)
    if request.method == "POST":
        body = read_json(request)
        tag = get_or_404(Tag, field(body, "tag_id", int))
        finding = services.create_finding(
            sequence=sequence, tag=tag, first_index=_index(body, "first_index", required=True),
            last_index=_index(body, "last_index", required=False),
            note=field(body, "note", str, required=False, default=""), created_by=request.user,
        )
        return JsonResponse(finding_json(finding), status=201)
    frame = query_int(request, "frame")
    if frame is not None:
        findings = selectors.findings_on_frame(sequence_id=sequence.id, index=frame)
    else:
        findings = selectors.sequence_findings(sequence_id=sequence.id)
    return {"sequence_id": sequence.id, "findings": [finding_json(f) for f in findings]}


@json_view(("GET", "PATCH", "DELETE"))
def finding_detail(request: HttpRequest, finding_id: int):
    finding = get_or_404(FrameFinding, finding_id, "frame finding")
    if request.method == "DELETE":
        services.delete_finding(finding=finding, user=request.user)
        return {"deleted": 1}
    if request.method == "PATCH":
        body = read_json(request)
        tag_id = field(body, "tag_id", int, required=False)
        finding = services.update_finding(
            finding=finding, tag=get_or_404(Tag, tag_id) if tag_id is not None else None,
            first_index=_index(body, "first_index", required=False),
            last_index=_index(body, "last_index", required=False),
            note=field(body, "note", str, required=False), user=request.user,
        )
    return finding_json(finding)
