from django import forms

from datasets.models import DatasetExport
from sequences.models import FrameSequence
from sequences.sources import VIDEO_EXTENSIONS

from .models import TrainedModel
from .network import ARCHITECTURE_LABELS, ARCHITECTURES, PRETRAINED
from .services import INPUT_SIZES


class ExportChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, export: DatasetExport) -> str:
        # Said in the choice itself: an export without validation sequences trains on a block of its own frames.
        lacking = "" if export.split.get("val") else " — no validation sequence"
        return f"{export.name} (#{export.id}){lacking}"


class TrainingForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, help_text="Default: the export's name.")
    export = ExportChoiceField(
        queryset=DatasetExport.objects.filter(state=DatasetExport.State.SUCCEEDED).exclude(file=""),
        help_text="A finished export: its tags become the network's output channels. Without a validation "
                  "sequence, a contiguous block at the end of each training sequence is held out for validation "
                  "(its Dice is optimistic, and labelled so).",
    )
    epochs = forms.IntegerField(min_value=1, max_value=10000, initial=300)
    minutes = forms.FloatField(
        min_value=0.1, max_value=24 * 60, initial=20, required=False,
        help_text="Time budget: training stops at the epochs or the minutes, whichever comes first.",
    )
    architecture = forms.ChoiceField(
        choices=[(a, ARCHITECTURE_LABELS[a]) for a in ARCHITECTURES], initial=PRETRAINED,
        help_text="The pretrained U-Net recognises far better on procedures it never saw; the small one trains "
                  "more epochs in the same minutes.",
    )
    input_size = forms.ChoiceField(choices=[(k, k.replace("x", " × ")) for k in INPUT_SIZES], initial="192x256",
                                   help_text="H × W frames are resized to; smaller trains and runs faster.")
    findings_head = forms.BooleanField(
        required=False, label="Classification head for frame-level findings",
        help_text="Only used when the export has frame-level findings.",
    )
    init_model = forms.ModelChoiceField(
        queryset=TrainedModel.objects.all(), required=False, label="Start from model",
        help_text="Weights of an earlier model as the start (those whose shapes match).",
    )


class PreannotationForm(forms.Form):
    sequence = forms.ModelChoiceField(queryset=FrameSequence.objects.all(),
                                      help_text="The model's masks arrive on its frames as proposals to review.")


class LiveVideoForm(forms.Form):
    video = forms.FileField(
        help_text=f"A video file ({', '.join(sorted(VIDEO_EXTENSIONS))}): played live at its own frame rate, "
                  "not imported as a sequence.",
    )
    model = forms.ModelChoiceField(queryset=TrainedModel.objects.all(), empty_label=None,
                                   help_text="The model that plays it.")
    name = forms.CharField(max_length=200, required=False, help_text="Default: the file's name.")
