"""The page forms of a bulk findings import: a zip of class folders, or a CSV."""

from django import forms

from tags.models import Procedure


class ClassFoldersForm(forms.Form):
    archive = forms.FileField(
        label="Zip of class folders",
        help_text="One folder of images per class (e.g. polyp/, normal-cecum/, bbps-0-1/), at the zip's top or in "
                  "one folder at its top. Each image becomes a one-frame sequence with its class's finding.",
    )
    mapping = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Folder → tag",
        help_text="Folders not named after a tag (nor a known alias), one per line: folder=Tag name.",
    )
    procedure = forms.ChoiceField(choices=Procedure.choices, initial=Procedure.OTHER)
    deidentify = forms.BooleanField(required=False, initial=True, label="De-identify",
                                    help_text="Blank what lies outside the scope's image and burnt-in text.")

    def clean_mapping(self) -> dict[str, str]:
        mapping = {}
        for number, line in enumerate(self.cleaned_data["mapping"].splitlines(), start=1):
            if not line.strip():
                continue
            folder, sep, tag = line.partition("=")
            if not sep or not folder.strip() or not tag.strip():
                raise forms.ValidationError(f"Line {number} ({line.strip()!r}): expected folder=Tag name.")
            mapping[folder.strip()] = tag.strip()
        return mapping


class FindingsCsvForm(forms.Form):
    csv_file = forms.FileField(
        label="CSV of findings",
        help_text="A header row, then frame,tag (a frame's id) or sequence,frame,tag (a sequence's id or name, and "
                  "the frame's 0-based index or its file name) rows. Consecutive frames become one range.",
    )
