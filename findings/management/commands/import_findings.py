"""Import frame findings in bulk: a folder (or zip) of one folder per class, or a CSV (see findings.imports)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import InvalidInput
from findings.imports import import_class_folders, import_class_zip, import_findings_csv
from tags.models import Procedure


def parse_mapping(values: list[str]) -> dict[str, str]:
    """``["folder=Tag name", ...]`` → {folder: tag name}."""
    mapping = {}
    for value in values:
        folder, sep, tag = value.partition("=")
        if not sep or not folder.strip() or not tag.strip():
            raise CommandError(f"--map {value!r}: expected FOLDER=TAG.")
        mapping[folder.strip()] = tag.strip()
    return mapping


class Command(BaseCommand):
    help = ("Import frame findings: PATH is a folder (or zip) of one folder of images per class, each image "
            "becoming a one-frame sequence with its class's finding; or, with --csv, a CSV of frame,tag "
            "(or sequence,frame,tag) rows.")

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--csv", action="store_true", help="PATH is a CSV of findings of existing frames.")
        parser.add_argument("--map", action="append", default=[], metavar="FOLDER=TAG",
                            help="The tag of a class folder whose name is not a tag's (repeatable).")
        parser.add_argument("--procedure", choices=Procedure.values, default=Procedure.OTHER)
        parser.add_argument("--no-deidentify", action="store_true",
                            help="Keep the images as they are (by default they are de-identified as imports are).")

    def handle(self, *args, **o):
        path = Path(o["path"]).expanduser()
        try:
            if o["csv"]:
                report = import_findings_csv(data=path.read_bytes())
                self.stdout.write(f"{report.rows} row(s): {len(report.findings)} finding(s) recorded, "
                                  f"{report.already} already held.")
                return
            options = {"mapping": parse_mapping(o["map"]), "procedure": o["procedure"],
                       "deidentify": not o["no_deidentify"], "progress": self.progress}
            if path.is_dir():
                report = import_class_folders(root=path, **options)
            else:
                report = import_class_zip(archive=path, **options)
        except (InvalidInput, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{len(report.sequences)} image(s) imported: "
                          + ", ".join(f"{tag} {count}" for tag, count in report.per_tag.items()))
        for line in report.skipped:
            self.stdout.write(f"skipped {line}")

    def progress(self, done: int, total: int) -> None:
        if done % 100 == 0 or done == total:
            self.stderr.write(f"{done}/{total} images")
