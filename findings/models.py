"""Frame findings: a tag given to a frame, or to a range of frames, without a mask.

Quality (blur, bubbles, poor preparation, out of body) and landmarks are often judged per frame: drawing a
mask for them would be busywork, so they are recorded as ranges of frame indices instead.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from sequences.models import FrameSequence, frame_number
from tags.models import Tag


class FrameFinding(models.Model):
    """``tag`` holds on frames ``first_index`` … ``last_index`` (0-based, both included) of ``sequence``."""

    sequence = models.ForeignKey(FrameSequence, on_delete=models.CASCADE, related_name="findings")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="findings")
    first_index = models.PositiveIntegerField(help_text="First frame (0-based index) the finding holds on.")
    last_index = models.PositiveIntegerField(help_text="Last frame (0-based index, included).")
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sequence", "first_index", "last_index", "id"]
        indexes = [models.Index(fields=["sequence", "first_index"])]
        permissions = [("review_framefinding", "Can edit or delete anyone's frame findings")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_index__lte=models.F("last_index")), name="finding_first_before_last"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tag} on {self.frames_label} of {self.sequence}"

    @property
    def frames_label(self) -> str:
        """The frames as people read them (1-based): "frame 4" or "frames 4–9"."""
        first, last = frame_number(self.first_index), frame_number(self.last_index)
        return f"frame {first}" if first == last else f"frames {first}–{last}"

    @property
    def frame_count(self) -> int:
        return self.last_index - self.first_index + 1

    def clean(self) -> None:
        errors = {}
        if self.first_index is not None and self.last_index is not None and self.first_index > self.last_index:
            errors["last_index"] = "The last frame comes before the first."
        if self.sequence_id and self.last_index is not None:
            count = self.sequence.frames.count()
            if self.last_index >= count:
                errors["last_index"] = (
                    f"The sequence has {count} frames: the last frame is frame {frame_number(count - 1)} "
                    f"(index {count - 1})."
                )
        if errors:
            raise ValidationError(errors)
