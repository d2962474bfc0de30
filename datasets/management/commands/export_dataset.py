from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import InvalidInput
from datasets.management.commands.import_masks import tag_by_name
from datasets.models import DatasetExport
from datasets.services import copy_export_zip, create_export, run_export
from sequences.models import FrameSequence
from tags.models import Tag


class Command(BaseCommand):
    help = (
        "Export masks as a zip (COCO RLE per split, label maps, class table, frames, manifest), split by "
        "sequence; runs here rather than on the job queue, and is recorded like an export made on the page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--sequence", type=int, action="append", dest="sequences", metavar="ID",
                            help="A sequence to export (repeat; default: every sequence).")
        parser.add_argument("--tag", action="append", dest="tags", metavar="NAME",
                            help="A tag to export (repeat; default: every tag with a mask on those sequences).")
        parser.add_argument("--include-propagated", action="store_true", help="Also propagated masks.")
        parser.add_argument("--split", type=float, nargs=3, default=(0.7, 0.15, 0.15), metavar=("TRAIN", "VAL", "TEST"))
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", required=True, help="Where to write the zip.")

    def handle(self, *args, name, sequences, tags, include_propagated, split, seed, out, **options):
        if not out.endswith(".zip"):
            raise CommandError("--out must name a .zip file.")
        if sequences:
            found = {s.id: s for s in FrameSequence.objects.filter(pk__in=sequences)}
            missing = [str(i) for i in sequences if i not in found]
            if missing:
                raise CommandError(f"No sequence with id {', '.join(missing)}.")
            chosen = list(found.values())
        else:
            chosen = list(FrameSequence.objects.all())
        if tags:
            chosen_tags = [tag_by_name(t) for t in tags]
        else:
            chosen_tags = list(Tag.objects.filter(masks__frame__sequence__in=chosen).distinct())
        try:
            export = create_export(name=name, sequences=chosen, tags=chosen_tags, include_propagated=include_propagated,
                                   fractions=tuple(split), seed=seed, enqueue=False)
            state = run_export(export.id)
            export.refresh_from_db()
            if state != DatasetExport.State.SUCCEEDED:
                raise CommandError(f"Export {export.id} {state}: {export.error}")
            path = copy_export_zip(export=export, out=Path(out).expanduser())
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        for side, numbers in export.counts.items():
            self.stdout.write(f"{side}: {numbers['sequences']} sequences, {numbers['frames']} frames, "
                              f"{numbers['masks']} masks — sequences {export.split.get(side, [])}")
        for warning in export.split_warnings:
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))
        self.stdout.write(self.style.SUCCESS(f"Export {export.id} “{export.name}” written to {path}."))
