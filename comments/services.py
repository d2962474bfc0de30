"""Writing comments: add one to a frame or to a mask of it, delete one.

Who may: commenting is part of the annotation work, so it takes the same role as making a mask (annotator and
above, ``masks.add_mask``); a comment is deleted by its author or by a reviewer (``masks.review_mask``), as masks
are. The rules stay in accounts/roles.py's functions; these name the permissions.
"""

from __future__ import annotations

from accounts import roles
from core.errors import InvalidInput
from masks.models import Mask
from sequences.models import Frame

from .models import MAX_COMMENT_LENGTH, Comment


def add_comment(*, frame: Frame, text: str, mask: Mask | None = None, created_by=None) -> Comment:
    """Record ``text`` on ``frame`` (about ``mask``, which must be on that frame, if given)."""
    roles.require(created_by, "masks.add_mask", "Commenting")
    text = text.strip()
    if not text:
        raise InvalidInput("The comment is empty.")
    if len(text) > MAX_COMMENT_LENGTH:
        raise InvalidInput(f"The comment has {len(text)} characters; at most {MAX_COMMENT_LENGTH} are kept.")
    if mask is not None and mask.frame_id != frame.id:
        raise InvalidInput(f"Mask {mask.id} is on frame {mask.frame_id}, not on frame {frame.id}.")
    return Comment.objects.create(frame=frame, mask=mask, text=text, created_by=created_by)


def delete_comment(*, comment: Comment, user=None) -> None:
    """Delete ``comment``: its author, or a reviewer."""
    roles.require_change(user, comment, own="masks.add_mask", anyone="masks.review_mask",
                         what=f"Deleting comment {comment.id}")
    comment.delete()
