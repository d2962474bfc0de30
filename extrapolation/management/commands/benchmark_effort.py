"""Protocol 3 of BENCHMARKS.md: the clicks a whole sequence costs, with extrapolation and corrections."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from masks.management.benchmarks import SEGMENTER_CHOICES, SEGMENTER_HELP, chosen_segmenter, read_dataset

from ...effort import run_effort_protocol


class Command(BaseCommand):
    help = (
        "Annotation effort benchmark (protocol 3 of BENCHMARKS.md): a simulated annotator clicks a keyframe, "
        "extrapolates, corrects the worst frame and extrapolates again, through the product's own services; "
        "compared with clicking every frame. Sequences are imported into this database and deleted afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("dataset", help="A folder in the BENCHMARKS.md layout (sequences.json, frames/, masks/).")
        parser.add_argument("--json", dest="json_path", help="Write the figures (and per-sequence details) here.")
        parser.add_argument("--next", dest="next_frame", choices=["oracle", "confidence"], default="oracle",
                            help="oracle: correct the frame with the lowest true J; confidence: the product's own "
                                 "'next to review' order.")
        parser.add_argument("--segmenter", choices=SEGMENTER_CHOICES, default="active", help=SEGMENTER_HELP)
        parser.add_argument("--sequences", type=int, default=0, help="Only the first N sequences (0: all).")

    def handle(self, *args, dataset: str, json_path: str | None, next_frame: str, segmenter: str,
               sequences: int, **options):
        benches = read_dataset(dataset)
        if sequences:
            benches = benches[:sequences]
        with chosen_segmenter(segmenter) as (_, status):
            # user None: a command's own work, allowed everything (accounts.roles)
            figures = run_effort_protocol(benches, next_frame=next_frame, user=None,
                                          progress=lambda message: sys.stderr.write(message + "\n"))
        figures.update({"segmenter": status.name, "dataset": Path(dataset).resolve().name})
        self.stdout.write(table(figures))
        if json_path:
            Path(json_path).write_text(json.dumps(figures, indent=2))
            self.stdout.write(f"Wrote {json_path}")


def table(figures: dict) -> str:
    lines = ["| sequence | frames | clicks/frame | frame-by-frame | effort ratio | corrections/frame | final J | "
             "conf. rank | machine s/frame |", "| --- " * 9 + "|"]
    rows = [*figures["per_sequence"], {**figures, "id": "all", "frames": sum(r["frames"] for r in
                                                                             figures["per_sequence"])}]
    for r in rows:
        rank = "—" if r["confidence_rank"] is None else f"{r['confidence_rank']:.2f}"
        lines.append(
            f"| {r['id']} | {r['frames']} | {r['clicks_per_frame']:.2f} | {r['frame_by_frame_clicks_per_frame']:.2f} "
            f"| {r['effort_ratio']:.3f} | {r['corrections_per_frame']:.2f} | {r['final_J']:.3f} | {rank} "
            f"| {r['machine_s_per_frame']:.2f} |"
        )
    after = ", ".join(f"{j:.3f}" for j in figures["J_after"])
    lines.append(f"next: {figures['next']}; segmenter: {figures['segmenter']}; J after keyframe and each "
                 f"correction: {after}")
    return "\n".join(lines)
