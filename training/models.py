"""Training runs (background jobs with per-epoch metrics) and the trained models they leave."""

from pathlib import Path

from django.conf import settings
from django.db import models

from core.files import owns_files
from core.jobs import JobRecord


class TrainingRun(JobRecord):
    """Training a segmentation network on an export. ``total``/``done`` count epochs; ``history`` holds
    one entry per finished epoch: {"epoch", "train_loss", "val_loss", "val_dice", "val_dice_per_class",
    "learning_rate", "seconds"}."""

    name = models.CharField(max_length=200)
    export = models.ForeignKey("datasets.DatasetExport", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="training_runs")
    export_zip = models.CharField(max_length=500, blank=True,
                                  help_text="An export zip on disk, when not trained from an export row.")
    config = models.JSONField(default=dict, help_text="The trainer's configuration (epochs, minutes, input size …).")
    history = models.JSONField(default=list, blank=True)
    best_val_dice = models.FloatField(null=True, blank=True)
    notes = models.JSONField(default=list, blank=True)
    validation = models.JSONField(
        default=dict, blank=True,
        help_text="Where its validation frames came from: {\"by\": \"sequence\"} (the export's validation sequences) "
                  "or {\"by\": \"frames\", \"frames\": n, \"label\": …} (a block of frames held out of the training "
                  "sequences, the export having no validation sequence).",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("train", "Can start and cancel training runs")]

    def __str__(self) -> str:
        return f"training run {self.id} “{self.name}” ({self.state})"

    @property
    def last_epoch(self) -> dict | None:
        return self.history[-1] if self.history else None

    @property
    def validation_label(self) -> str:
        """What its validation Dice is measured on, for the page and its chart."""
        if self.validation.get("by") == "frames":
            return "Validation Dice (frames held out of the training sequences)"
        return "Validation Dice"


@owns_files
class TrainedModel(models.Model):
    """A checkpoint with what it can do: its tags (output channels), findings, input size and scores."""

    name = models.CharField(max_length=200)
    run = models.OneToOneField(TrainingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="model")
    export = models.ForeignKey("datasets.DatasetExport", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="trained_models")
    checkpoint = models.FileField(max_length=300, help_text="The checkpoint file, relative to MEDIA_ROOT.")
    class_names = models.JSONField(default=list, help_text="Tag names, in output-channel order.")
    finding_names = models.JSONField(default=list, blank=True)
    input_size = models.JSONField(default=list, help_text="[H, W] the network sees.")
    config = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict, help_text="best_val_dice, test_dice, ms_per_frame, epochs …")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"model {self.id} “{self.name}”"

    def owned_files(self) -> list[str]:
        return [self.checkpoint.name]


class PreannotationJob(JobRecord):
    """Running a trained model over a sequence: its masks arrive as proposals (``Mask.Source.MODEL``) that
    the annotator accepts, corrects or rejects. ``total``/``done`` count frames; ``written`` the masks saved."""

    model = models.ForeignKey(TrainedModel, on_delete=models.CASCADE, related_name="preannotations")
    sequence = models.ForeignKey("sequences.FrameSequence", on_delete=models.CASCADE, related_name="preannotations")
    threshold = models.FloatField(default=0.5, help_text="Probability at or above which a pixel is in the mask.")
    written = models.PositiveIntegerField(default=0, help_text="Proposed masks written.")
    replaced = models.PositiveIntegerField(default=0, help_text="Unreviewed proposals of earlier runs deleted.")

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("preannotate", "Can run a trained model over a sequence (pre-annotation)")]

    def __str__(self) -> str:
        return f"pre-annotation {self.id} of {self.sequence} by {self.model} ({self.state})"

    @property
    def segmenter(self) -> str:
        """What the proposals' ``Mask.segmenter`` says: the model that made them."""
        return f"model-{self.model_id}"


@owns_files
class LiveVideo(models.Model):
    """A video file uploaded to play live through a model (online mode), not imported as a sequence. Its row
    exists only with its file: the upload stores the file and then the row, and deleting the row deletes the
    file."""

    name = models.CharField(max_length=200)
    file = models.FileField(max_length=300, upload_to="live-videos/",
                            help_text="The video file, relative to MEDIA_ROOT.")
    fps = models.FloatField(null=True, blank=True, help_text="Frame rate the file states, if it states one.")
    frame_count = models.PositiveIntegerField(default=0, help_text="Frames the file states it has (0: unknown).")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"video {self.id} “{self.name}”"

    @property
    def path(self) -> Path:
        return Path(settings.MEDIA_ROOT) / self.file.name

    def owned_files(self) -> list[str]:
        return [self.file.name]
