"""Protocol 2 of BENCHMARKS.md: propagate ground-truth keyframes through each sequence and score the rest."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from extrapolation.evaluation import run_propagation_protocol
from masks.management.benchmarks import read_dataset


class Command(BaseCommand):
    help = (
        "Propagation benchmark (protocol 2 of BENCHMARKS.md) on any dataset folder in that layout: "
        "prints a table and writes the figures as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("dataset", help="A folder in the BENCHMARKS.md layout (sequences.json, frames/, masks/).")
        parser.add_argument("--json", dest="json_path", help="Write the figures here.")
        parser.add_argument(
            "--start", choices=["first", "middle", "ends"], default="first",
            help="Keyframes: the first frame (default), the middle frame (propagated both ways), or both ends.",
        )
        parser.add_argument("--write-dir", help="Keep the propagated masks here (default: a temporary folder).")

    def handle(self, *args, dataset: str, json_path: str | None, start: str, write_dir: str | None, **options):
        sequences = read_dataset(dataset)

        def progress(done: int, total: int, sequence_id: str) -> None:
            sys.stderr.write(f"\r{done}/{total} sequences ({sequence_id})   ")
            sys.stderr.flush()

        figures = run_propagation_protocol(
            sequences, start=start, write_dir=Path(write_dir) if write_dir else None, progress=progress
        )
        sys.stderr.write("\n")
        figures["start"] = start
        self.stdout.write("| sequence | frames | J | F |\n| --- | --- | --- | --- |")
        for row in figures["per_sequence"]:
            self.stdout.write(f"| {row['id']} | {row['frames']} | {row['J']:.3f} | {row['F']:.3f} |")
        self.stdout.write(
            f"\n| method | start | J | F | J&F | Dice | frames/s |\n| --- | --- | --- | --- | --- | --- | --- |\n"
            f"| {figures['method']} | {start} | {figures['J']:.3f} | {figures['F']:.3f} | {figures['JF']:.3f} | "
            f"{figures['Dice']:.3f} | {figures['frames_per_s']:.1f} |"
        )
        if json_path:
            Path(json_path).write_text(json.dumps(figures, indent=2))
            self.stdout.write(f"Wrote {json_path}")
