"""Consecutive video with a known answer, made from still frames: each sequence's first frame and its mask moved
by a smooth synthetic camera path (``extrapolation.motion``), written in the BENCHMARKS.md layout."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from masks.management.benchmarks import read_dataset
from vision.io import write_mask, write_rgb

from ...motion import moved, smooth_motion


class Command(BaseCommand):
    help = ("Write a dataset of smooth consecutive video (BENCHMARKS.md layout) made from the first frame of every "
            "STEP-th sequence of DATASET, moved by a smooth camera path (shift, zoom, turn).")

    def add_arguments(self, parser):
        parser.add_argument("dataset", help="A folder in the BENCHMARKS.md layout.")
        parser.add_argument("out", help="The folder to write (created; must be empty if it exists).")
        parser.add_argument("--frames", type=int, default=40)
        parser.add_argument("--step", type=int, default=5, help="Every STEP-th sequence (default 5).")
        parser.add_argument("--shift", type=float, default=20.0, help="Pixels the camera drifts at most.")
        parser.add_argument("--zoom", type=float, default=0.15)
        parser.add_argument("--turn", type=float, default=6.0, help="Degrees turned by the last frame.")

    def handle(self, *args, dataset, out, frames, step, shift, zoom, turn, **options):
        sources = read_dataset(dataset)[::step]
        root = Path(out)
        if root.exists() and any(root.iterdir()):
            raise CommandError(f"{root} is not empty.")
        (root / "frames").mkdir(parents=True, exist_ok=True)
        (root / "masks").mkdir(exist_ok=True)
        index = []
        for source in sources:
            name = source.frame_names[0]
            images, truths = moved(source.image(name), source.ground_truth(name),
                                   smooth_motion(frames, shift=shift, zoom=zoom, turn=turn))
            names = [f"{source.id}-{k:04d}.png" for k in range(frames)]
            for file, image, truth in zip(names, images, truths, strict=True):
                write_rgb(root / "frames" / file, image)
                write_mask(root / "masks" / file, truth)
            index.append({"id": f"{source.id}-moved", "frames": names})
        (root / "sequences.json").write_text(json.dumps(index, indent=1))
        self.stdout.write(f"Wrote {len(index)} sequences of {frames} frames to {root}")
