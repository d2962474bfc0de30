from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import InvalidInput
from datasets.models import DatasetExport
from training.models import TrainedModel, TrainingRun
from training.network import ARCHITECTURES
from training.services import run_training, start_training, train_config
from training.trainer import AUGMENTATIONS, TrainConfig


def parse_size(text: str) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise CommandError(f"--input-size {text!r}: write HxW, e.g. 144x192.") from exc
    return height, width


def parse_widths(text: str) -> tuple[int, ...] | None:
    """``--widths 16,24,32,64,96`` as a tuple; empty: the architecture's own."""
    if not text.strip():
        return None
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError as exc:
        raise CommandError(f"--widths {text!r}: write five integers, e.g. 8,16,24,32,48.") from exc


class Command(BaseCommand):
    help = (
        "Train the segmentation network on an export (--export ID) or an export zip (--export-zip PATH), here "
        "rather than on the job queue; the run and its model are recorded as if started from the page."
    )

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--export", type=int, metavar="ID")
        source.add_argument("--export-zip", metavar="PATH")
        parser.add_argument("--name", default="")
        parser.add_argument("--epochs", type=int, default=300)
        parser.add_argument("--minutes", type=float, help="Time budget (stops at epochs or minutes, the first).")
        parser.add_argument("--architecture", choices=ARCHITECTURES, default=TrainConfig.architecture,
                            help="The network (default: the U-Net on ImageNet-pretrained EfficientNet-Lite0).")
        parser.add_argument("--input-size", default="x".join(str(v) for v in TrainConfig.input_size),
                            help="HxW frames are resized to (multiples of 16).")
        parser.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
        parser.add_argument("--lr", type=float, default=TrainConfig.learning_rate)
        parser.add_argument("--augment", choices=AUGMENTATIONS, default=TrainConfig.augment)
        parser.add_argument("--widths", default="",
                            help="Five channel counts of the network's stages, e.g. 16,32,48,64,96 (default: the "
                                 "architecture's).")
        parser.add_argument("--findings-head", action="store_true",
                            help="Classification head for frame-level findings (only if the export has some).")
        parser.add_argument("--init", help="A checkpoint (or state_dict) to start from; matching weights are loaded.")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--threads", type=int, default=0,
                            help="Torch threads (default 0: 2, or 1 when the machine is busy).")
        parser.add_argument("--device", default="", help="cpu, cuda, cuda:1 … (default: cuda when available).")

    def handle(self, *args, **o):
        export = None
        if o["export"] is not None:
            export = DatasetExport.objects.filter(pk=o["export"]).first()
            if export is None:
                raise CommandError(f"No dataset export with id {o['export']}.")
        try:
            config = train_config(
                epochs=o["epochs"], minutes=o["minutes"], input_size=parse_size(o["input_size"]),
                batch_size=o["batch_size"], learning_rate=o["lr"], findings_head=o["findings_head"], seed=o["seed"],
                init=o["init"], threads=o["threads"], device=o["device"], augment=o["augment"],
                widths=parse_widths(o["widths"]), architecture=o["architecture"],
            )
            run = start_training(name=o["name"], config=config, export=export,
                                 export_zip=Path(o["export_zip"]).expanduser() if o["export_zip"] else None,
                                 enqueue=False)
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc

        state = run_training(run.id, report=lambda m: self.stdout.write(m.summary()))
        run = TrainingRun.objects.get(pk=run.id)
        if state != TrainingRun.State.SUCCEEDED:
            raise CommandError(f"Training run {run.id} {state}: {run.error}")
        for note in run.notes:
            self.stdout.write(f"note: {note}")
        model = TrainedModel.objects.get(run=run)
        m = model.metrics
        fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
        self.stdout.write(self.style.SUCCESS(
            f"Model {model.id} “{model.name}”: best epoch {m.get('best_epoch')} of {m.get('epochs')}, "
            f"val Dice {fmt(m.get('val_dice'))}, test Dice {fmt(m.get('test_dice'))}, "
            f"{m.get('ms_per_frame')} ms/frame; checkpoint {model.checkpoint.name}"
        ))
