"""Extrapolation jobs: propagating a track's keyframe masks to the other frames of its sequence."""

import uuid

from django.conf import settings
from django.db import models

from core.jobs import JobRecord


class ExtrapolationJob(JobRecord):
    """Propagating a track's keyframes to the other frames of its sequence. ``total``/``done`` count frames
    to fill (all but the keyframes)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sequence = models.ForeignKey("sequences.FrameSequence", on_delete=models.CASCADE, related_name="extrapolation_jobs")
    track = models.ForeignKey("masks.Track", on_delete=models.CASCADE, related_name="jobs")
    keyframe_ids = models.JSONField(default=list, help_text="Ids of the manual masks propagated from.")
    written = models.PositiveIntegerField(default=0, help_text="Propagated masks written.")
    left_to_annotator = models.PositiveIntegerField(
        default=0, help_text="Frames where the object was lost or left the view: no mask written."
    )
    left_frames = models.JSONField(
        default=list, blank=True,
        help_text="Indices (0-based) of the frames left to the annotator: object lost, confidence too low, "
                  "or a proposal rejected there.",
    )
    span_start = models.PositiveIntegerField(
        null=True, blank=True, help_text="First frame index recomputed (none: the whole sequence)."
    )
    span_end = models.PositiveIntegerField(
        null=True, blank=True, help_text="One past the last frame index recomputed (none: the whole sequence)."
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"extrapolation {self.id} of {self.track} ({self.state})"


class RejectedFrame(models.Model):
    """A frame on which a person rejected a track's proposal: reruns of the track leave it to the annotator."""

    track = models.ForeignKey("masks.Track", on_delete=models.CASCADE, related_name="rejected_frames")
    frame = models.ForeignKey("sequences.Frame", on_delete=models.CASCADE, related_name="+")
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    rejected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["track", "frame"], name="one_rejection_per_track_frame")]

    def __str__(self) -> str:
        return f"{self.track}: rejected on frame {self.frame.index + 1}"
