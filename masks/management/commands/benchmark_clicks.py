"""Protocol 1 of BENCHMARKS.md: a simulated annotator clicks until each frame's mask is right."""

import json
import sys
import time
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand

from masks.evaluation.clicks import format_table, run_click_protocol
from masks.management.benchmarks import SEGMENTER_CHOICES, SEGMENTER_HELP, chosen_segmenter, read_dataset
from masks.segmentation.base import Click
from masks.services import segment_image


class Command(BaseCommand):
    help = (
        "Click-based segmentation benchmark (protocol 1 of BENCHMARKS.md) on a dataset folder, driving the "
        "segmenter through the same code as /generate_mask/ (minus HTTP and the database)."
    )

    def add_arguments(self, parser):
        parser.add_argument("dataset", help="A folder in the BENCHMARKS.md layout (sequences.json, frames/, masks/).")
        parser.add_argument("--json", dest="json_path", help="Write the figures (and per-frame details) here.")
        parser.add_argument("--segmenter", choices=SEGMENTER_CHOICES, default="active", help=SEGMENTER_HELP)
        parser.add_argument("--max-clicks", type=int, default=20)
        parser.add_argument("--frame-step", type=int, default=5, help="Every Nth frame of each sequence (default 5).")

    def handle(self, *args, dataset: str, json_path: str | None, segmenter: str, max_clicks: int,
               frame_step: int, **options):
        sequences = read_dataset(dataset)
        with chosen_segmenter(segmenter) as (chosen, status):
            figures = self.run(sequences, chosen, status, max_clicks=max_clicks, frame_step=frame_step)
        figures.update({"segmenter": status.name, "dataset": str(Path(dataset).resolve().name)})
        self.stdout.write(format_table(figures, method=status.name))
        if "encoder_s_per_frame" in figures:
            self.stdout.write(f"SAM encoder: {figures['encoder_s_per_frame']:.2f} s per frame (not in ms/click).")
        if json_path:
            Path(json_path).write_text(json.dumps(figures, indent=2))
            self.stdout.write(f"Wrote {json_path}")

    def run(self, sequences, chosen, status, *, max_clicks: int, frame_step: int) -> dict:
        extra = {}
        if status.kind == "sam":
            # The protocol times the decoder path alone: embeddings are computed first, and timed apart.
            started, count = time.perf_counter(), 0
            for sequence in sequences:
                for name in sequence.frame_names[::frame_step]:
                    chosen.compute_embedding(sequence.image(name), f"{sequence.id}/{name}")
                    count += 1
            extra["encoder_s_per_frame"] = (time.perf_counter() - started) / max(1, count)

        def segment(image: np.ndarray, points: list[Click], key: str) -> np.ndarray:
            return segment_image(image=image, points=points, image_key=key).segmentation.mask

        def progress(done: int, total: int, key: str) -> None:
            sys.stderr.write(f"\r{done}/{total} frames ({key})   ")
            sys.stderr.flush()

        figures = run_click_protocol(sequences, segment, max_clicks=max_clicks, frame_step=frame_step,
                                     progress=progress)
        sys.stderr.write("\n")
        return {**figures, **extra}
