"""Extrapolation jobs: propagating a track's keyframe masks to the other frames of its sequence."""

import uuid

from django.db import models

from annotator.jobs import JobRecord


class ExtrapolationJob(JobRecord):
    """Propagating a track's keyframes to the other frames of its sequence. ``total``/``done`` count frames
    to fill (all but the keyframes)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sequence = models.ForeignKey("sequences.Sequence", on_delete=models.CASCADE, related_name="extrapolation_jobs")
    track = models.ForeignKey("masks.Track", on_delete=models.CASCADE, related_name="jobs")
    keyframe_ids = models.JSONField(default=list, help_text="Ids of the manual masks propagated from.")
    written = models.PositiveIntegerField(default=0, help_text="Propagated masks written.")
    left_to_annotator = models.PositiveIntegerField(
        default=0, help_text="Frames where the object was lost or left the view: no mask written."
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"extrapolation {self.id} of {self.track} ({self.state})"
