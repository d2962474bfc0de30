"""Tags: what a mask (or a frame) shows — an anatomical landmark, a pathological finding or a quality finding."""

from django.core.validators import RegexValidator
from django.db import models

hex_color_validator = RegexValidator(r"^#[0-9A-Fa-f]{6}$", "Enter a colour as #RRGGBB.")


class Procedure(models.TextChoices):
    GASTROSCOPY = "gastroscopy", "Gastroscopy"
    COLONOSCOPY = "colonoscopy", "Colonoscopy"
    BRONCHOSCOPY = "bronchoscopy", "Bronchoscopy"
    EUS = "eus", "Endoscopic ultrasound"
    OTHER = "other", "Other"


class Tag(models.Model):
    class Kind(models.TextChoices):
        LANDMARK = "landmark", "Anatomical landmark"
        PATHOLOGY = "pathology", "Pathological finding"
        QUALITY = "quality", "Quality finding"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    procedure = models.CharField(
        max_length=20, choices=Procedure.choices, blank=True,
        help_text="The procedure this tag belongs to; empty for tags of every procedure.",
    )
    color = models.CharField(max_length=7, validators=[hex_color_validator], help_text="Default mask colour, #RRGGBB.")
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=100, help_text="Lower comes first in lists.")
    is_active = models.BooleanField(
        default=True, help_text="Inactive tags are kept for existing masks but not offered."
    )

    class Meta:
        ordering = ["order", "kind", "name"]

    def __str__(self) -> str:
        return self.name
