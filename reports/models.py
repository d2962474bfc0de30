"""Procedure reports: what a model saw in a procedure (offline after it, or live while it happened), kept with
the per-frame output they were computed from."""

from django.conf import settings
from django.db import models


class ProcedureReport(models.Model):
    """A model's per-frame output over a procedure and the report computed from it (:mod:`reports.indicators`).

    ``probabilities``: per played frame, the probability of each of ``names`` (rounded to 4 decimals);
    ``frame_indices``: the sequence index of each played frame (None for a video played live, whose frames are
    not stored); ``detections``: the lesions the model's masks showed, ``[frame, tag, x0, y0, x1, y1, area,
    share]`` rows (``frame`` a position in the played frames); ``data``: the computed report;
    ``thumbnails``: lesion number → a JPEG data URL of its largest extent.
    """

    class Source(models.TextChoices):
        OFFLINE = "offline", "Pre-annotation (offline)"
        LIVE = "live", "Live"

    source = models.CharField(max_length=10, choices=Source.choices)
    sequence = models.ForeignKey("sequences.FrameSequence", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="procedure_reports")
    live_video = models.ForeignKey("training.LiveVideo", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="procedure_reports")
    model = models.ForeignKey("training.TrainedModel", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="procedure_reports")
    preannotation = models.OneToOneField("training.PreannotationJob", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="report")
    procedure = models.CharField(max_length=20)
    fps = models.FloatField()
    names = models.JSONField(default=list)
    thresholds = models.JSONField(default=list)
    kinds = models.JSONField(default=dict, help_text="Finding name → tag kind (landmark, quality, pathology).")
    probabilities = models.JSONField(default=list)
    frame_indices = models.JSONField(default=list)
    detections = models.JSONField(default=list)
    data = models.JSONField(default=dict)
    thumbnails = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        what = self.sequence or self.live_video or "a deleted source"
        return f"report {self.id} of {what} ({self.get_source_display()})"
