"""JSON endpoints of comments: list and add per sequence, delete one."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from core.api import field, get_or_404, json_view, query_int, read_json
from core.errors import InvalidInput
from masks.models import Mask
from sequences.models import Frame, FrameSequence

from . import selectors, services
from .models import Comment


def comment_json(comment: Comment) -> dict:
    return {
        "id": comment.id,
        "sequence_id": comment.frame.sequence_id,
        "frame_id": comment.frame_id,
        "frame_index": comment.frame.index,
        "mask_id": comment.mask_id,
        "text": comment.text,
        "created_by": comment.created_by.username if comment.created_by else None,
        "created_at": comment.created_at.isoformat(),
    }


@json_view(("GET", "POST"))
def sequence_comments(request: HttpRequest, sequence_id: int):
    """GET: the sequence's comments (``?frame_id=``: of one frame). POST ``{"frame_id", "text", "mask_id"?}``:
    add one; 201."""
    sequence = get_or_404(FrameSequence, sequence_id)
    if request.method == "POST":
        body = read_json(request)
        frame = get_or_404(Frame, field(body, "frame_id", int))
        if frame.sequence_id != sequence.id:
            raise InvalidInput(
                f"Frame {frame.id} belongs to sequence {frame.sequence_id}, not to sequence {sequence.id}."
            )
        mask_id = field(body, "mask_id", int, required=False)
        comment = services.add_comment(
            frame=frame, text=field(body, "text", str), created_by=request.user,
            mask=get_or_404(Mask, mask_id) if mask_id is not None else None,
        )
        return JsonResponse(comment_json(comment), status=201)
    comments = selectors.sequence_comments(sequence_id=sequence.id, frame_id=query_int(request, "frame_id"))
    return {"sequence_id": sequence.id, "comments": [comment_json(c) for c in comments]}


@json_view(("DELETE",))
def comment_detail(request: HttpRequest, comment_id: int):
    services.delete_comment(comment=get_or_404(Comment, comment_id, "comment"), user=request.user)
    return {"deleted": 1}
