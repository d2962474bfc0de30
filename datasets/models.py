"""Dataset exports: named, reproducible snapshots of masks, split by sequence, written as a zip."""

from django.db import models

from core.files import owns_files
from core.jobs import JobRecord

from .splits import split_warnings


@owns_files
class DatasetExport(JobRecord):
    """What went into an export and where its zip is; enough to make the same export again.

    ``split`` records the sequence ids of each side ({"train": [...], "val": [...], "test": [...]}),
    ``counts`` the sequences, frames and masks per side, once written.
    """

    name = models.CharField(max_length=200)
    sequences = models.ManyToManyField("sequences.FrameSequence", related_name="dataset_exports")
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
        permissions = [("export", "Can export datasets: create, cancel and download exports")]

    def __str__(self) -> str:
        return f"export {self.id} “{self.name}” ({self.state})"

    def owned_files(self) -> list[str]:
        return [self.file.name]  # "" until its zip is written

    @property
    def fractions(self) -> tuple[float, float, float]:
        return (self.train_fraction, self.val_fraction, self.test_fraction)

    @property
    def split_warnings(self) -> list[str]:
        """What its split lacks (no validation or test sequence), in words."""
        return split_warnings(self.split)
