from django import forms
from django.contrib import admin

from sequences.models import frame_number

from .models import FrameFinding


class FrameNumberField(forms.IntegerField):
    """A frame as people number it (1-based) in the form, stored as the model's 0-based index."""

    def __init__(self, **kwargs) -> None:
        kwargs.pop("max_value", None)
        kwargs["min_value"] = 1
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return frame_number(value) if isinstance(value, int) else value

    def clean(self, value):
        number = super().clean(value)
        return None if number is None else number - 1


class FrameFindingForm(forms.ModelForm):
    first_index = FrameNumberField(label="First frame", help_text="1-based, as the annotation page numbers frames.")
    last_index = FrameNumberField(label="Last frame", help_text="Included; 1-based.")

    class Meta:
        model = FrameFinding
        fields = ["sequence", "tag", "first_index", "last_index", "note"]


@admin.register(FrameFinding)
class FrameFindingAdmin(admin.ModelAdmin):
    form = FrameFindingForm
    list_display = ["id", "tag", "sequence", "frames", "note", "created_by", "created_at"]
    list_filter = ["tag__kind", "tag", "sequence"]
    search_fields = ["tag__name", "sequence__name", "note"]
    list_select_related = ["tag", "sequence", "created_by"]
    readonly_fields = ["created_by", "created_at"]

    @admin.display(description="frames", ordering="first_index")
    def frames(self, finding: FrameFinding) -> str:
        return finding.frames_label
