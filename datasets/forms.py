from django import forms
from django.db.models import Q

from sequences.models import FrameSequence
from tags.models import Tag


class ExportForm(forms.Form):
    name = forms.CharField(max_length=200)
    sequences = forms.ModelMultipleChoiceField(
        queryset=FrameSequence.objects.order_by("name", "id"), widget=forms.CheckboxSelectMultiple,
        help_text="Whole sequences go to one side of the split: frames of one procedure never on two sides.",
    )
    tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.filter(Q(masks__isnull=False) | Q(findings__isnull=False)).distinct(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Tags that have masks or frame findings. Frames holding a finding of a chosen tag are exported "
                  "even without masks (a frame-classification dataset); each tag becomes a class.",
    )
    include_propagated = forms.BooleanField(
        required=False, label="Include unreviewed propagated masks",
        help_text="Unticked: masks made by hand and propagated masks someone reviewed.",
    )
    train_fraction = forms.FloatField(min_value=0, max_value=1, initial=0.7)
    val_fraction = forms.FloatField(min_value=0, max_value=1, initial=0.15)
    test_fraction = forms.FloatField(min_value=0, max_value=1, initial=0.15)
    seed = forms.IntegerField(initial=0, help_text="The same sequences, fractions and seed give the same split.")

    def clean(self):
        data = super().clean()
        fractions = [data.get(f) for f in ("train_fraction", "val_fraction", "test_fraction")]
        if None not in fractions:
            if abs(sum(fractions) - 1) > 1e-6:
                raise forms.ValidationError(f"The split fractions must sum to 1 (they sum to {sum(fractions):g}).")
            if fractions[0] <= 0:
                self.add_error("train_fraction", "The train fraction must be above 0.")
        return data
