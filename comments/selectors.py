"""Reading comments."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Comment


def sequence_comments(*, sequence_id: int, frame_id: int | None = None) -> QuerySet[Comment]:
    """The comments of a sequence (of one frame with ``frame_id``), oldest first, with what their JSON reads."""
    comments = Comment.objects.filter(frame__sequence_id=sequence_id).select_related("frame", "created_by")
    if frame_id is not None:
        comments = comments.filter(frame_id=frame_id)
    return comments.order_by("frame__index", "created_at", "id")
