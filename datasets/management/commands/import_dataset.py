from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import InvalidInput
from datasets.management.commands.import_masks import tag_by_name
from datasets.services import import_dataset
from tags.models import Procedure


class Command(BaseCommand):
    help = (
        "Import every sequence of a BENCHMARKS.md-layout folder (sequences.json, frames/, masks/): frames in "
        "the listed order, masks as manual masks of --tag. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("dataset_dir")
        parser.add_argument("--tag", required=True, help="Tag of the masks, e.g. Polyp.")
        parser.add_argument("--procedure", choices=Procedure.values,
                            help="Procedure of the sequences (default: the tag's, else other).")

    def handle(self, *args, dataset_dir, tag, procedure, **options):
        try:
            report = import_dataset(dataset_dir=Path(dataset_dir).expanduser(), tag=tag_by_name(tag),
                                    procedure=procedure)
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        for sequence, masks in zip(report.sequences, report.masks or [None] * len(report.sequences), strict=True):
            detail = f", {masks.imported} masks" if masks else ""
            self.stdout.write(f"sequence {sequence.id} “{sequence.name}”: {sequence.frames.count()} frames{detail}")
        total = sum(m.imported for m in report.masks)
        self.stdout.write(self.style.SUCCESS(f"Imported {len(report.sequences)} sequences and {total} masks."))
