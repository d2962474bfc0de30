from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import InvalidInput
from datasets.services import MATCH_MODES, import_masks
from sequences.models import FrameSequence
from tags.models import Tag


def tag_by_name(name: str) -> Tag:
    tag = Tag.objects.filter(name__iexact=name).first()
    if tag is None:
        known = ", ".join(Tag.objects.values_list("name", flat=True)[:40])
        raise CommandError(f"No tag named {name!r}. Tags: {known}.")
    return tag


class Command(BaseCommand):
    help = (
        "Import mask images that already exist for a sequence's frames (0 background, >127 object) as manual "
        "masks of a tag. Frames already holding a manual mask of the tag keep it unless --replace."
    )

    def add_arguments(self, parser):
        parser.add_argument("sequence_id", type=int)
        parser.add_argument("masks_dir", help="Folder of mask images.")
        parser.add_argument("--tag", required=True, help="Tag name, e.g. Polyp.")
        parser.add_argument("--match", choices=MATCH_MODES, default="original-name",
                            help="original-name: the file name the frame was imported from (default); stem: the "
                                 "same name whatever the extension; order: the n-th file is the n-th frame.")
        parser.add_argument("--color", help="Mask colour #RRGGBB (default: the tag's).")
        parser.add_argument("--replace", action="store_true", help="Replace existing manual masks of the tag.")

    def handle(self, *args, sequence_id, masks_dir, tag, match, color, replace, **options):
        sequence = FrameSequence.objects.filter(pk=sequence_id).first()
        if sequence is None:
            raise CommandError(f"No sequence with id {sequence_id}.")
        try:
            report = import_masks(sequence=sequence, masks_dir=Path(masks_dir).expanduser(), tag=tag_by_name(tag),
                                  match=match, color=color, replace=replace)
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        for label, items in (("already had a mask (kept)", report.already_masked), ("empty mask file", report.empty),
                             ("frames without a mask file", report.frames_without_mask)):
            if items:
                self.stderr.write(f"{len(items)} {label}: {', '.join(items[:10])}{' …' if len(items) > 10 else ''}")
        self.stdout.write(self.style.SUCCESS(
            f"Imported {report.imported} masks of “{report.tag}” into sequence {sequence.id} “{sequence.name}”"
            f"{f' (replaced {report.replaced})' if report.replaced else ''}."
        ))
