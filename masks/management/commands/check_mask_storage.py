from django.core.management.base import BaseCommand

from masks import storage
from masks.models import Mask
from masks.services import remove_orphan_files
from sequences.models import FrameSequence


class Command(BaseCommand):
    help = (
        "Check that every mask row has its file and every mask file its row; with --fix, delete files "
        "without rows (left by a process killed mid-save) and rows whose file is gone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true")

    def handle(self, *args, fix: bool, **options):
        missing = [m for m in Mask.objects.only("id", "file") if not storage.absolute(m.file.name).is_file()]
        for mask in missing:
            self.stdout.write(f"mask {mask.id}: file {mask.file.name} is missing")
        orphans = []
        if fix:
            Mask.objects.filter(pk__in=[m.id for m in missing]).delete()
            for sequence_id in FrameSequence.objects.values_list("id", flat=True):
                orphans += remove_orphan_files(sequence_id=sequence_id, older_than=60)
        for name in orphans:
            self.stdout.write(f"removed file without a row: {name}")
        self.stdout.write(f"{len(missing)} rows without a file{' (deleted)' if fix else ''}, "
                          f"{len(orphans)} files without a row removed.")
