"""Extrapolation jobs: propagating a track's keyframe masks to the other frames of its sequence."""

import uuid

from django.conf import settings
from django.db import models


class ExtrapolationJob(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (State.QUEUED, State.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sequence = models.ForeignKey("sequences.Sequence", on_delete=models.CASCADE, related_name="extrapolation_jobs")
    track = models.ForeignKey("masks.Track", on_delete=models.CASCADE, related_name="jobs")
    keyframe_ids = models.JSONField(default=list, help_text="Ids of the manual masks propagated from.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0, help_text="Frames to fill (all but the keyframes).")
    done = models.PositiveIntegerField(default=0, help_text="Frames processed so far.")
    written = models.PositiveIntegerField(default=0, help_text="Propagated masks written.")
    left_to_annotator = models.PositiveIntegerField(
        default=0, help_text="Frames where the object was lost or left the view: no mask written."
    )
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0, help_text="How many times a worker started the job.")
    worker = models.CharField(max_length=100, blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="Id of the task on the queue.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"extrapolation {self.id} of {self.track} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE
