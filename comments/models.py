"""Comments: a remark on a frame, or on one mask of it, for the others working on the sequence."""

from django.conf import settings
from django.db import models

MAX_COMMENT_LENGTH = 2000


class Comment(models.Model):
    """A question to a colleague about a lesion, a reviewer's note: shown on the annotation page with its author
    and time, its frame marked on the timeline."""

    frame = models.ForeignKey("sequences.Frame", on_delete=models.CASCADE, related_name="comments")
    mask = models.ForeignKey(
        "masks.Mask", null=True, blank=True, on_delete=models.SET_NULL, related_name="comments",
        help_text="The mask the comment is about, if any; when the mask is deleted the comment stays on its frame.",
    )
    text = models.TextField(max_length=MAX_COMMENT_LENGTH)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["frame", "created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.id} on {self.frame}"
