"""Protocol 1 of ``BENCHMARKS.md``: click-based segmentation of one frame by a simulated annotator.

The annotator is deterministic:

1. the first click is '+' at the ground-truth pixel farthest from the ground truth's boundary
   (the image border counts as boundary);
2. each later click goes to the error pixel farthest from its own error region's boundary, over the
   false-negative (G and not P) and the false-positive (P and not G) regions: '+' on a false negative,
   '-' on a false positive;
3. every click sends all clicks so far to the segmenter;
4. up to ``max_clicks`` clicks (20 in the benchmark).

Framework-free: a segmenter is any callable ``segment(image, points, image_key) -> bool mask``.
Run ``python -m masks.evaluation.clicks DATASET_DIR`` for the table of the default CPU segmenter.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from masks.segmentation.base import Click
from vision.benchmark_dataset import BenchmarkSequence, load_dataset
from vision.metrics import jaccard

SegmentFn = Callable[[np.ndarray, list[Click], str], np.ndarray]
ProgressFn = Callable[[int, int, str], None]

#: The k of the reported mIoU@k and the J thresholds of the reported NoC.
IOU_AT = (1, 3, 5)
NOC_AT = (0.85, 0.90)


def distance_inside(region: np.ndarray) -> np.ndarray:
    """Euclidean distance of each pixel of ``region`` to the nearest pixel outside it.

    ``region``: bool (H, W). Returns float32 (H, W), 0 outside the region. The image border counts
    as boundary: the region is padded with one pixel of background before the transform.
    """
    padded = np.pad(region.astype(np.uint8), 1, constant_values=0)
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return dist[1:-1, 1:-1]


def _deepest_pixel(region: np.ndarray) -> tuple[float, int, int]:
    """(distance, row, column) of the region pixel farthest from the region's boundary.

    Ties go to the first such pixel in row-major order, which keeps the annotator deterministic.
    """
    dist = distance_inside(region)
    flat = int(np.argmax(dist))
    row, col = divmod(flat, region.shape[1])
    return float(dist[row, col]), row, col


def first_click(gt: np.ndarray) -> Click | None:
    """The first click: '+' at the ground-truth pixel farthest from its boundary; None if ``gt`` is empty."""
    gt = gt.astype(bool)
    if not gt.any():
        return None
    _, row, col = _deepest_pixel(gt)
    return Click(x=float(col), y=float(row), positive=True)


def next_click(pred: np.ndarray, gt: np.ndarray) -> Click | None:
    """The annotator's next click on prediction ``pred`` of ground truth ``gt`` (both bool (H, W)).

    The click goes to the error pixel farthest from its own error region's boundary, over both the
    false negatives (a '+' click) and the false positives (a '-' click); on a tie in depth the false
    negative wins. None when the prediction equals the ground truth.
    """
    pred, gt = pred.astype(bool), gt.astype(bool)
    false_neg, false_pos = gt & ~pred, pred & ~gt
    best: tuple[float, int, int, bool] | None = None
    for region, positive in ((false_neg, True), (false_pos, False)):
        if not region.any():
            continue
        depth, row, col = _deepest_pixel(region)
        if best is None or depth > best[0]:
            best = (depth, row, col, positive)
    if best is None:
        return None
    _, row, col, positive = best
    return Click(x=float(col), y=float(row), positive=positive)


@dataclass
class FrameResult:
    """One scored frame: J after each click (``ious[k-1]`` after k clicks) and each call's duration."""

    sequence_id: str
    frame: str
    ious: list[float]
    ms_per_click: list[float]

    def iou_at(self, k: int) -> float:
        """J after ``k`` clicks; a frame whose clicking stopped early (no error left) keeps its last J."""
        return self.ious[min(k, len(self.ious)) - 1]

    def clicks_to(self, threshold: float, max_clicks: int) -> int:
        """Number of clicks until J ≥ ``threshold``; ``max_clicks`` where never reached."""
        for k, iou in enumerate(self.ious, start=1):
            if iou >= threshold:
                return k
        return max_clicks


def segment_frame(
    image: np.ndarray,
    gt: np.ndarray,
    segment: SegmentFn,
    image_key: str,
    *,
    max_clicks: int = 20,
) -> tuple[list[float], list[float]]:
    """Click on one frame until ``max_clicks`` or a perfect mask; returns (J per click, ms per click).

    ``image``: uint8 RGB (H, W, 3); ``gt``: bool (H, W). Only the ``segment`` call is timed.
    """
    ious: list[float] = []
    times: list[float] = []
    points: list[Click] = []
    click = first_click(gt)
    while click is not None and len(points) < max_clicks:
        points.append(click)
        start = time.perf_counter()
        pred = segment(image, list(points), image_key)
        times.append((time.perf_counter() - start) * 1000.0)
        pred = np.asarray(pred).astype(bool)
        if pred.shape != gt.shape:
            raise ValueError(f"segmenter returned a {pred.shape} mask for a {gt.shape} frame")
        ious.append(jaccard(pred, gt))
        click = next_click(pred, gt)
    return ious, times


def run_click_protocol(
    sequences: Sequence[BenchmarkSequence],
    segment: SegmentFn,
    *,
    max_clicks: int = 20,
    frame_step: int = 5,
    progress: ProgressFn | None = None,
) -> dict:
    """Protocol 1 over every ``frame_step``-th frame of each sequence (its 1st, (1+step)-th, ...).

    ``segment(image, points, image_key)`` gets a uint8 RGB (H, W, 3) frame, all clicks so far and a key
    unique to the frame (``"<sequence id>/<frame name>"``), and returns a bool (H, W) mask.
    ``progress(done, total, image_key)`` is called after each frame.

    Returns ``mIoU@1``, ``mIoU@3``, ``mIoU@5`` (mean J over frames after k clicks), ``NoC@85``,
    ``NoC@90`` (mean clicks to reach that J, ``max_clicks`` where never reached), ``ms_per_click_p50``,
    ``ms_per_click_p95`` (over every call), ``frames`` (scored frames; frames with an empty ground
    truth cannot be clicked on and are skipped) and ``per_frame`` (one dict per frame).
    """
    jobs = [(seq, name) for seq in sequences for name in seq.frame_names[::frame_step]]
    results: list[FrameResult] = []
    for done, (seq, name) in enumerate(jobs, start=1):
        key = f"{seq.id}/{name}"
        gt = seq.ground_truth(name)
        if gt.any():
            ious, times = segment_frame(seq.image(name), gt, segment, key, max_clicks=max_clicks)
            results.append(FrameResult(seq.id, name, ious, times))
        if progress is not None:
            progress(done, len(jobs), key)
    return summarize(results, max_clicks=max_clicks)


def summarize(results: Sequence[FrameResult], *, max_clicks: int) -> dict:
    """The protocol's figures over ``results`` (see ``run_click_protocol``)."""
    summary: dict = {}
    for k in IOU_AT:
        summary[f"mIoU@{k}"] = _mean([r.iou_at(k) for r in results])
    for threshold in NOC_AT:
        summary[f"NoC@{round(threshold * 100)}"] = _mean([r.clicks_to(threshold, max_clicks) for r in results])
    times = [t for r in results for t in r.ms_per_click]
    summary["ms_per_click_p50"] = float(np.percentile(times, 50)) if times else float("nan")
    summary["ms_per_click_p95"] = float(np.percentile(times, 95)) if times else float("nan")
    summary["frames"] = len(results)
    summary["per_frame"] = [
        {
            "sequence": r.sequence_id,
            "frame": r.frame,
            "ious": r.ious,
            "ms_per_click": r.ms_per_click,
            **{f"NoC@{round(t * 100)}": r.clicks_to(t, max_clicks) for t in NOC_AT},
        }
        for r in results
    ]
    return summary


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def format_table(summary: dict, *, method: str) -> str:
    """A Markdown row of the figures, under the header of ``BENCHMARKS.md``'s clicks table."""
    header = "| method | frames | mIoU@1 | mIoU@3 | mIoU@5 | NoC@85 | NoC@90 | ms/click p50 | p95 |"
    rule = "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    row = (
        f"| {method} | {summary['frames']} | {summary['mIoU@1']:.3f} | {summary['mIoU@3']:.3f} | "
        f"{summary['mIoU@5']:.3f} | {summary['NoC@85']:.2f} | {summary['NoC@90']:.2f} | "
        f"{summary['ms_per_click_p50']:.0f} | {summary['ms_per_click_p95']:.0f} |"
    )
    return "\n".join([header, rule, row])


def main(argv: Sequence[str] | None = None) -> int:
    from masks.segmentation.opencv import OpenCVSegmenter

    parser = argparse.ArgumentParser(description="Protocol 1 (clicks) of BENCHMARKS.md with the CPU segmenter.")
    parser.add_argument("dataset", help="a dataset folder in the BENCHMARKS.md layout")
    parser.add_argument("--max-clicks", type=int, default=20)
    parser.add_argument("--frame-step", type=int, default=5)
    args = parser.parse_args(argv)

    segmenter = OpenCVSegmenter()

    def segment(image: np.ndarray, points: list[Click], key: str) -> np.ndarray:
        return segmenter.segment(image, points, image_key=key).mask

    def progress(done: int, total: int, key: str) -> None:
        print(f"\r{done}/{total} {key}", end="", file=sys.stderr, flush=True)

    summary = run_click_protocol(
        load_dataset(args.dataset),
        segment,
        max_clicks=args.max_clicks,
        frame_step=args.frame_step,
        progress=progress,
    )
    print(file=sys.stderr)
    print(format_table(summary, method=segmenter.name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
