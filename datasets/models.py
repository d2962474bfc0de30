"""Dataset exports: named, reproducible snapshots of masks, split by sequence, written as a zip."""

from django.conf import settings
from django.db import models


class JobRecord(models.Model):
    """State and progress of a background job, as the extrapolation jobs keep them (shared by training runs)."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (State.QUEUED, State.RUNNING)

    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0, help_text="Units of work (frames, epochs) to do.")
    done = models.PositiveIntegerField(default=0, help_text="Units done so far.")
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=100, blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="Id of the task on the queue.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def progress(self) -> float:
        if self.total:
            return round(min(1.0, self.done / self.total), 4)
        return 0.0 if self.is_active else 1.0


class DatasetExport(JobRecord):
    """What went into an export and where its zip is; enough to make the same export again.

    ``split`` records the sequence ids of each side ({"train": [...], "val": [...], "test": [...]}),
    ``counts`` the sequences, frames and masks per side, once written.
    """

    name = models.CharField(max_length=200)
    sequences = models.ManyToManyField("sequences.Sequence", related_name="dataset_exports")
    tags = models.ManyToManyField("tags.Tag", related_name="dataset_exports")
    include_propagated = models.BooleanField(
        default=False,
        help_text="Also export unreviewed propagated masks; otherwise only masks made by hand or reviewed.",
    )
    train_fraction = models.FloatField(default=0.7)
    val_fraction = models.FloatField(default=0.15)
    test_fraction = models.FloatField(default=0.15)
    seed = models.IntegerField(default=0)
    split = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    file = models.FileField(max_length=300, blank=True, help_text="The zip, relative to MEDIA_ROOT, once written.")
    size_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"export {self.id} “{self.name}” ({self.state})"

    @property
    def fractions(self) -> tuple[float, float, float]:
        return (self.train_fraction, self.val_fraction, self.test_fraction)
