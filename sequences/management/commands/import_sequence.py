from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from sequences.services import ImportFailed, import_sequence
from tags.models import Procedure


class Command(BaseCommand):
    help = "Import a procedure as a frame sequence from a folder of images, a zip of images or a video file."

    def add_arguments(self, parser):
        parser.add_argument("source", help="Folder of images (natural sort order), .zip of images, or a video file.")
        parser.add_argument("--name", help="Sequence name (default: the source's name).")
        parser.add_argument("--procedure", choices=Procedure.values, default=Procedure.OTHER)
        parser.add_argument("--every-nth", type=int, default=1, help="Keep every Nth frame (default 1: all).")
        parser.add_argument("--description", default="")
        parser.add_argument("--user", help="Username recorded as the importer.")
        parser.add_argument(
            "--no-deidentify", dest="deidentify", action="store_false",
            help="Store the frames as they are. By default everything outside the scope's field of view and "
                 "burnt-in text (names, dates, IDs) is blanked before anything is stored.",
        )

    def handle(self, *args, source: str, name: str | None, procedure: str, every_nth: int,
               description: str, user: str | None, deidentify: bool, **options):
        path = Path(source).expanduser()
        creator = None
        if user:
            creator = get_user_model().objects.filter(username=user).first()
            if creator is None:
                raise CommandError(f"No user named {user!r}.")
        try:
            report = import_sequence(
                source=path, name=name or path.stem, procedure=procedure, every_nth=every_nth,
                description=description, created_by=creator, deidentify=deidentify,
            )
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        for skipped in report.skipped:
            self.stderr.write(f"skipped {skipped.name}: {skipped.reason}")
        sequence = report.sequence
        self.stdout.write(self.style.SUCCESS(
            f"Imported sequence {sequence.id} “{sequence.name}”: {report.frame_count} frames, "
            f"{len(report.skipped)} skipped{', de-identified' if sequence.deidentified else ''}."
        ))
