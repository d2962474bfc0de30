"""A procedure is a frame sequence: its frames, in video order, stored as images under MEDIA_ROOT."""

from django.conf import settings
from django.db import models

from core.files import owns_files
from tags.models import Procedure


def sequence_dir(sequence_id: int) -> str:
    """Folder of a sequence's frame files, relative to MEDIA_ROOT."""
    return f"sequences/{sequence_id}"


class CompleteSequences(models.Manager):
    """Sequences whose import has finished: the only ones pages, the API, jobs and the admin see."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(importing=False)


@owns_files
class FrameSequence(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        READY_FOR_REVIEW = "ready_for_review", "Ready for review"
        DONE = "done", "Done"

    name = models.CharField(max_length=200)
    procedure = models.CharField(max_length=20, choices=Procedure.choices, default=Procedure.OTHER)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=500, blank=True, help_text="Where the frames were imported from.")
    fps = models.FloatField(null=True, blank=True, help_text="Frame rate of the source video, if known.")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.IN_PROGRESS,
        help_text="Where the annotation of the sequence stands.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    importing = models.BooleanField(
        default=False, editable=False,
        help_text="Its frames are still being imported: hidden everywhere until the import completes.",
    )
    deidentified = models.BooleanField(
        default=False, editable=False,
        help_text="Imported with everything outside the field of view and burnt-in text blanked "
                  "(the original frames were never stored).",
    )

    # The default manager hides sequences still importing; ``all_objects`` is for the importer.
    objects = CompleteSequences()
    all_objects = models.Manager()

    class Meta:
        verbose_name = "sequence"  # the card's FrameSequence; people say "sequence"
        ordering = ["-created_at", "-id"]
        permissions = [
            ("submit_for_review", "Can move a sequence between in progress and ready for review"),
            ("set_review_status", "Can set any status of a sequence, done included"),
        ]

    def __str__(self) -> str:
        return self.name

    def owned_files(self) -> list[str]:
        """Its frames' folder, and its masks' (``masks.storage`` keeps a sequence's mask files there): with
        them go files no row names any more, such as those of a process killed mid-save."""
        return [sequence_dir(self.pk), f"masks/{self.pk}"]


def frame_number(index: int) -> int:
    """The number people read for the frame at 0-based ``index``: 1-based, as the annotation page shows it.

    ``index`` stays 0-based in the API, the database and file names; pages, the admin, export summaries and
    messages meant for people say "frame <number>".
    """
    return index + 1


@owns_files
class Frame(models.Model):
    """One image of a sequence; ``index`` is its 0-based position in video order (see :func:`frame_number`)."""

    sequence = models.ForeignKey(FrameSequence, on_delete=models.CASCADE, related_name="frames")
    index = models.PositiveIntegerField()
    image = models.FileField(max_length=300)
    thumbnail = models.FileField(max_length=300)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    original_name = models.CharField(max_length=300, blank=True)
    checksum = models.CharField(
        max_length=16, blank=True,
        help_text="SHA-1 of the stored image (first 16 hex digits): part of the keys of per-frame caches, "
                  "so that a row id reused after a deletion never meets another image's cached work.",
    )

    class Meta:
        ordering = ["sequence", "index"]
        constraints = [models.UniqueConstraint(fields=["sequence", "index"], name="unique_frame_index")]

    def __str__(self) -> str:
        return f"{self.sequence} · frame {self.number}"

    @property
    def number(self) -> int:
        """1-based, as people read it."""
        return frame_number(self.index)

    def owned_files(self) -> list[str]:
        return [self.image.name, self.thumbnail.name]
