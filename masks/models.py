"""Masks: a binary PNG under MEDIA_ROOT per mask, with its colour, tag, frame and prompt points here."""

from django.conf import settings
from django.db import models

from core.files import owns_files
from sequences.models import Frame
from tags.models import Tag, hex_color_validator


class Track(models.Model):
    """One object followed across the frames of a sequence: its keyframe masks and their propagations."""

    sequence = models.ForeignKey("sequences.FrameSequence", on_delete=models.CASCADE, related_name="tracks")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="tracks")
    color = models.CharField(max_length=7, validators=[hex_color_validator])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sequence", "id"]

    def __str__(self) -> str:
        return f"track {self.id} ({self.tag}) in {self.sequence}"


def trusted_rule() -> models.Q:
    """Masks a person made or accepted: manual masks and reviewed proposals (an unreviewed proposal, propagated or
    a model's, is never trusted). A ``Q`` so that counts (``Count(filter=...)``) ask the same rule as filters."""
    return models.Q(source=Mask.Source.MANUAL) | models.Q(reviewed_at__isnull=False)


def awaiting_review_rule() -> models.Q:
    """Proposals (propagated or a model's) nobody accepted yet."""
    return models.Q(source__in=Mask.PROPOSALS, reviewed_at__isnull=True)


def accepted_rule() -> models.Q:
    """Proposals a person accepted (as they were, or after correcting them)."""
    return models.Q(source__in=Mask.PROPOSALS, reviewed_at__isnull=False)


def low_confidence_rule() -> models.Q:
    """Proposals awaiting review whose confidence is below ``Mask.LOW_CONFIDENCE``: flagged, reviewed first."""
    return awaiting_review_rule() & models.Q(confidence__lt=Mask.LOW_CONFIDENCE)


class MaskQuerySet(models.QuerySet):
    """The one rule of which masks a person stands behind, asked by statistics, exports, training, extrapolation
    and the status check (``masks.selectors.mask_state`` is the same rule for rows already read)."""

    def trusted(self) -> "MaskQuerySet":
        return self.filter(trusted_rule())

    def awaiting_review(self) -> "MaskQuerySet":
        return self.filter(awaiting_review_rule())

    def accepted(self) -> "MaskQuerySet":
        return self.filter(accepted_rule())

    def low_confidence(self) -> "MaskQuerySet":
        return self.filter(low_confidence_rule())


@owns_files
class Mask(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", "Made by hand"
        PROPAGATED = "propagated", "Propagated"
        MODEL = "model", "Model proposal"

    # Masks a machine proposed: unreviewed until someone accepts them; a reviewer accepts, edits or rejects them.
    PROPOSALS = (Source.PROPAGATED, Source.MODEL)
    # A proposal below this confidence is flagged on the timeline and reviewed first.
    LOW_CONFIDENCE = 0.5

    frame = models.ForeignKey(Frame, on_delete=models.CASCADE, related_name="masks")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="masks")
    color = models.CharField(max_length=7, validators=[hex_color_validator])
    file = models.FileField(max_length=300, help_text="Single-channel PNG, 0 and 255, frame-sized.")
    area = models.PositiveIntegerField(help_text="Mask pixels.")
    bbox_x = models.PositiveIntegerField()
    bbox_y = models.PositiveIntegerField()
    bbox_width = models.PositiveIntegerField()
    bbox_height = models.PositiveIntegerField()
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    segmenter = models.CharField(max_length=100, blank=True, help_text="The segmenter that made the mask.")
    score = models.FloatField(null=True, blank=True, help_text="The segmenter's confidence in [0, 1].")
    track = models.ForeignKey(Track, null=True, blank=True, on_delete=models.CASCADE, related_name="masks")
    keyframe = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="propagations",
        help_text="For a propagated mask: the manual mask it was propagated from.",
    )
    confidence = models.FloatField(
        null=True, blank=True,
        help_text="A proposal's confidence in [0, 1] (propagation's, or a model's mean probability).",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Who accepted the mask (a proposal, propagated or a model's, is unreviewed until accepted).",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MaskQuerySet.as_manager()

    class Meta:
        ordering = ["frame", "created_at", "id"]
        indexes = [models.Index(fields=["tag", "frame"])]
        permissions = [
            ("review_mask", "Can review masks: accept proposals, edit or delete anyone's masks and tracks"),
        ]

    def __str__(self) -> str:
        return f"{self.tag} on {self.frame}"

    def owned_files(self) -> list[str]:
        return [self.file.name]

    @property
    def is_proposal(self) -> bool:
        return self.source in self.PROPOSALS

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None

    @property
    def bbox(self) -> list[int]:
        """[x, y, width, height] in frame pixels."""
        return [self.bbox_x, self.bbox_y, self.bbox_width, self.bbox_height]


class EffortEvent(models.Model):
    """One piece of a person's work on masks, recorded as it is done: a mask made from clicks, a brush edit, a
    proposal accepted or rejected. What the sequence page sums into the effort a sequence and each tag cost.

    Events rather than counters on Mask: a rejection deletes its mask, and a mask deleted after an hour's work
    cost that hour all the same; an event keeps its frame, tag and author whatever becomes of the mask.
    """

    class Kind(models.TextChoices):
        CLICKS = "clicks", "Mask from clicks"
        EDIT = "edit", "Brush edit"
        ACCEPT = "accept", "Proposal accepted"
        REJECT = "reject", "Proposal rejected"

    sequence = models.ForeignKey("sequences.FrameSequence", on_delete=models.CASCADE, related_name="effort_events")
    frame = models.ForeignKey(Frame, on_delete=models.CASCADE, related_name="effort_events")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="effort_events")
    mask = models.ForeignKey(
        Mask, null=True, blank=True, on_delete=models.SET_NULL, related_name="effort_events",
        help_text="The mask worked on, while it exists (a rejected proposal is deleted).",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    clicks = models.PositiveIntegerField(default=0, help_text="Prompt points the mask was made from.")
    correction = models.BooleanField(
        default=False, help_text="The work changed a machine's proposal (an edit or a rejection of one).",
    )
    work_seconds = models.FloatField(
        null=True, blank=True, help_text="Working time the page measured for this piece of work, if it sent one.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sequence", "created_at", "id"]
        indexes = [models.Index(fields=["sequence", "tag"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.tag} on {self.frame}"


class Point(models.Model):
    """A click that made a mask: (x, y) in frame pixels, '+' inside the object, '-' outside."""

    class Sign(models.TextChoices):
        POSITIVE = "+", "+ (object)"
        NEGATIVE = "-", "− (background)"

    mask = models.ForeignKey(Mask, on_delete=models.CASCADE, related_name="points")
    order = models.PositiveIntegerField()
    x = models.FloatField()
    y = models.FloatField()
    sign = models.CharField(max_length=1, choices=Sign.choices)

    class Meta:
        verbose_name = "prompt point"
        ordering = ["mask", "order"]

    def __str__(self) -> str:
        return f"{self.sign}({self.x:g}, {self.y:g})"


class FrameEmbedding(models.Model):
    """A request for (and the state of) a frame's SAM image embedding, computed ahead of the first click."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        COMPUTING = "computing", "Computing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    frame = models.ForeignKey(Frame, on_delete=models.CASCADE, related_name="embeddings")
    model = models.CharField(max_length=100, help_text="The segmenter (model and checkpoint) it is for.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    error = models.TextField(blank=True)
    requested_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["frame", "model"], name="unique_frame_embedding")]
