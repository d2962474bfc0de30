"""Protocol 2 of ``BENCHMARKS.md`` (propagation), framework-free.

For each sequence, the ground truth of the keyframes (``start``: the first frame, the middle frame, or
both ends) is given as the annotated masks; every other frame is propagated, written as a PNG and scored
(J, F, Dice) against its ground truth. Frames that get no mask (propagation stopped) score as empty
masks. Averages are per sequence over its scored frames, then over sequences.

Run ``python -m extrapolation.evaluation DATASET_DIR [--start first|middle|ends]`` for a table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from vision.benchmark_dataset import BenchmarkSequence, load_dataset
from vision.io import read_mask, read_rgb, write_mask
from vision.metrics import boundary_f, dice, jaccard

from .propagation import PropagatedMask, propagate

METHOD = ("half-resolution DIS flow from previous frame + keyframe, evidence-weighted (FB check, colour), mixed by "
          "the flow's reliability with keyframe feature affinity (EfficientNet-Lite0), GrabCut boundary, stop rule")


def keyframe_indices(count: int, start: str) -> list[int]:
    """The keyframes of a sequence of ``count`` frames for ``start`` ("first", "middle" or "ends")."""
    if start == "first":
        return [0]
    if start == "middle":
        return [count // 2]
    if start == "ends":
        return sorted({0, count - 1})
    raise ValueError(f"start must be 'first', 'middle' or 'ends', not {start!r}")


def run_propagation_protocol(
    sequences: Sequence[BenchmarkSequence],
    *,
    start: str = "first",
    write_dir: Path | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict:
    """Run protocol 2 on ``sequences``; returns the figures.

    Keys: ``J``, ``F``, ``JF``, ``Dice`` (means over sequences of per-sequence means), ``frames_per_s``
    (propagated frames / wall time of propagation including reading frames and writing result PNGs;
    scoring excluded), ``method``, ``per_sequence`` (list of {"id", "J", "F", "Dice", "frames"}).
    Result masks go to ``write_dir/<sequence id>/<frame name>`` (a temporary folder if None).
    """
    rows = []
    propagated_frames = 0
    wall = 0.0
    with tempfile.TemporaryDirectory(prefix="propagation-") as temporary:
        out_root = Path(write_dir) if write_dir is not None else Path(temporary)
        for done, sequence in enumerate(sequences):
            names = sequence.frame_names
            keys = keyframe_indices(len(names), start)
            keyframes = {k: sequence.ground_truth(names[k]) for k in keys}
            out_dir = out_root / sequence.id
            out_dir.mkdir(parents=True, exist_ok=True)
            written: dict[int, Path] = {}

            def on_frame(index: int, result: PropagatedMask, out_dir=out_dir, written=written, names=names) -> bool:
                if result.mask is not None:
                    path = out_dir / names[index]
                    write_mask(path.with_suffix(".png"), result.mask)
                    written[index] = path.with_suffix(".png")
                return True

            began = time.perf_counter()
            propagate(
                lambda i, sequence=sequence, names=names: read_rgb(sequence.root / "frames" / names[i]),
                len(names),
                keyframes,
                on_frame=on_frame,
            )
            wall += time.perf_counter() - began
            propagated_frames += len(names) - len(keys)

            scores = []
            for index, name in enumerate(names):
                if index in keyframes:
                    continue
                truth = sequence.ground_truth(name)
                if index in written:
                    predicted = read_mask(written[index])
                else:
                    predicted = np.zeros_like(truth)
                scores.append((jaccard(predicted, truth), boundary_f(predicted, truth), dice(predicted, truth)))
            j, f, d = (float(np.mean(column)) if scores else float("nan") for column in zip(*scores, strict=True))
            rows.append({"id": sequence.id, "J": j, "F": f, "Dice": d, "frames": len(scores)})
            if progress is not None:
                progress(done + 1, len(sequences), sequence.id)

    scored = [r for r in rows if r["frames"]]
    j = float(np.mean([r["J"] for r in scored])) if scored else float("nan")
    f = float(np.mean([r["F"] for r in scored])) if scored else float("nan")
    return {
        "method": METHOD,
        "J": j,
        "F": f,
        "JF": (j + f) / 2,
        "Dice": float(np.mean([r["Dice"] for r in scored])) if scored else float("nan"),
        "frames_per_s": propagated_frames / wall if wall > 0 else float("nan"),
        "per_sequence": rows,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Protocol 2 (propagation) of BENCHMARKS.md on a dataset folder.")
    parser.add_argument("dataset", help="a folder in the BENCHMARKS.md layout")
    parser.add_argument("--start", choices=["first", "middle", "ends"], default="first")
    parser.add_argument("--write-dir", type=Path, default=None, help="keep the propagated masks here")
    args = parser.parse_args(argv)
    figures = run_propagation_protocol(load_dataset(args.dataset), start=args.start, write_dir=args.write_dir)
    print("| sequence | frames | J | F |\n| --- | --- | --- | --- |")
    for row in figures["per_sequence"]:
        print(f"| {row['id']} | {row['frames']} | {row['J']:.3f} | {row['F']:.3f} |")
    print(
        f"\n| method | start | J | F | J&F | Dice | frames/s |\n| --- | --- | --- | --- | --- | --- | --- |\n"
        f"| {figures['method']} | {args.start} | {figures['J']:.3f} | {figures['F']:.3f} | {figures['JF']:.3f} "
        f"| {figures['Dice']:.3f} | {figures['frames_per_s']:.1f} |"
    )


if __name__ == "__main__":
    main()
