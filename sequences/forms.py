from collections import Counter
from pathlib import Path

from django import forms

from tags.models import Procedure


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)) and data:
            return [single(item, initial) for item in data]
        return [single(data or None, initial)]


class ImportSequenceForm(forms.Form):
    name = forms.CharField(max_length=200)
    procedure = forms.ChoiceField(choices=Procedure.choices, initial=Procedure.COLONOSCOPY)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    files = MultipleFileField(
        help_text="A video file, a zip of images, or several images (they are ordered by name, naturally).",
    )
    every_nth = forms.IntegerField(
        min_value=1, initial=1, label="Keep every Nth frame",
        help_text="1 keeps every frame; 5 keeps frames 0, 5, 10, …",
    )
    deidentify = forms.BooleanField(
        initial=True, required=False, label="De-identify",
        help_text="Blank everything outside the scope's field of view and burnt-in text (names, dates, IDs) "
                  "before anything is stored; the original frames are never kept.",
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        if not files:
            raise forms.ValidationError("Choose a video, a zip or images to import.")
        if any(f.size == 0 for f in files):
            empty = ", ".join(f.name for f in files if f.size == 0)
            raise forms.ValidationError(f"Empty file: {empty}.")
        # Frames are ordered by name: two files of one name would be one frame, or an arbitrary order.
        twice = sorted(name for name, n in Counter(Path(f.name).name for f in files).items() if n > 1)
        if twice:
            raise forms.ValidationError(
                f"Several uploaded files are named {', '.join(twice)}: rename them so that each frame has its own "
                "name (frames are ordered by name)."
            )
        return files
