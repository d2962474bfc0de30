"""Protocol 3 of ``BENCHMARKS.md``: what a whole sequence costs an annotator, with the product as a whole.

A simulated annotator (protocol 1's robot) drives the product's own services, as the annotation page does:
clicks on the middle frame until J >= 0.85 (``masks.services`` segmentation and saving), extrapolation as a job
(``extrapolation.services``, run in this process), then review: the worst frame (``next="oracle"``, by the
ground truth) or the product's own "next to review" order (``next="confidence"``,
:func:`extrapolation.selectors.review_order`) is corrected by clicks that start from the mask already there
(``mask_id`` on ``/generate_mask/``), saved as a keyframe, and the track re-extrapolated between its
neighbouring keyframes, as after a correction on the page. Done when every frame has J >= 0.85 or was
corrected once. The baseline is protocol 1 on every frame: annotating without extrapolation.

The sequences are imported into the database the command runs against and deleted afterwards.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.test import override_settings

from masks import services as mask_services
from masks.evaluation.clicks import first_click, next_click
from masks.models import Mask, Track
from masks.segmentation.base import Click
from masks.storage import read_mask
from sequences.models import Frame, FrameSequence
from sequences.services import delete_sequence, import_sequence
from tags.models import Tag
from vision.benchmark_dataset import BenchmarkSequence
from vision.metrics import jaccard

from . import selectors, services
from .models import ExtrapolationJob

GOOD = 0.85
MAX_CLICKS = 20
#: J after the keyframe and after each of this many corrections (``J_after``).
J_AFTER_ROUNDS = 5

Progress = Callable[[str], None]


@dataclass
class SequenceEffort:
    id: str
    frames: int
    clicks: int = 0
    corrections: int = 0
    accepted: int = 0
    frame_by_frame_clicks: float = 0.0
    final_J: float = 0.0
    J_after: list[float] = field(default_factory=list)
    confidence_rank: float | None = None
    machine_s: float = 0.0

    def figures(self) -> dict:
        return {
            "id": self.id, "frames": self.frames, "clicks": self.clicks, "corrections": self.corrections,
            "accepted": self.accepted,
            "clicks_per_frame": self.clicks / self.frames,
            "frame_by_frame_clicks_per_frame": self.frame_by_frame_clicks,
            "effort_ratio": (self.clicks / self.frames) / max(self.frame_by_frame_clicks, 1e-9),
            "corrections_per_frame": self.corrections / self.frames,
            "final_J": self.final_J, "J_after": self.J_after, "confidence_rank": self.confidence_rank,
            "machine_s_per_frame": self.machine_s / self.frames,
        }


def spearman(first: list[float], second: list[float]) -> float | None:
    """Spearman's rank correlation (ties get their mean rank); None for fewer than 3 pairs or a constant side."""
    if len(first) < 3:
        return None
    a, b = _ranks(np.asarray(first, float)), _ranks(np.asarray(second, float))
    if a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values), float)
    ranks[order] = np.arange(len(values), dtype=float)
    for value in np.unique(values):
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks


class _Robot:
    """Protocol 1's annotator on one sequence of the product: clicks, corrections, extrapolation runs."""

    def __init__(self, sequence: FrameSequence, truths: list[np.ndarray], tag: Tag, user, effort: SequenceEffort):
        self.sequence, self.truths, self.tag, self.user, self.effort = sequence, truths, tag, user, effort
        self.frames = list(Frame.objects.filter(sequence=sequence).order_by("index"))
        self.track_id: int | None = None

    def click_until_good(
        self, index: int, start: np.ndarray | None = None, segment=None, *, timed: bool = True
    ) -> tuple[list[Click], np.ndarray]:
        """The robot's clicks on frame ``index`` until J >= 0.85 or 20 clicks: from nothing (``start`` None) or
        correcting ``start``; ``segment(points)`` is the product's segmentation (by default from nothing on the
        frame). The segmentation's time counts as the loop's computing when ``timed``. Returns (clicks, mask)."""
        if segment is None:
            frame = self.frames[index]

            def segment(points):
                return mask_services.segment_frame(frame=frame, points=points).segmentation.mask

        truth = self.truths[index]
        current = np.zeros_like(truth) if start is None else start
        points: list[Click] = []
        while len(points) < MAX_CLICKS and jaccard(current, truth) < GOOD:
            click = first_click(truth) if start is None and not points else next_click(current, truth)
            if click is None:
                break
            points.append(click)
            began = time.perf_counter()
            current = segment(points)
            if timed:
                self.effort.machine_s += time.perf_counter() - began
        return points, current

    def masks(self) -> dict[int, Mask]:
        """The track's mask on each frame that has one (keyframes and proposals)."""
        rows = Mask.objects.filter(track_id=self.track_id).select_related("frame")
        return {m.frame.index: m for m in rows}

    def quality(self) -> list[float]:
        """J of every frame against the ground truth (a frame without a mask holds an empty one)."""
        current = self.masks()
        return [
            jaccard(read_mask(current[i].file.name) if i in current else np.zeros_like(t), t)
            for i, t in enumerate(self.truths)
        ]

    def draw_keyframe(self, index: int) -> Mask:
        points, _ = self.click_until_good(index)
        self.effort.clicks += len(points)
        return mask_services.generate_mask(frame=self.frames[index], tag=self.tag, color=self.tag.color,
                                           points=points, created_by=self.user)

    def correct(self, index: int) -> Mask:
        """Correct frame ``index`` as the page lets a person: clicks refining the mask there, or from nothing."""
        existing = self.masks().get(index)
        frame = self.frames[index]
        if existing is not None:
            def segment(points):
                return mask_services.segment_correction(mask=existing, points=points).segmentation.mask

            points, pixels = self.click_until_good(index, read_mask(existing.file.name), segment)
            self.effort.clicks += len(points)
            if points and pixels.any():
                return mask_services.refine_mask(mask=existing, points=points, user=self.user)
            if not points:  # already right: accepting it is the review
                return mask_services.accept_mask(mask=existing, user=self.user)
            mask_services.delete_mask(mask=existing, user=self.user)
        points, _ = self.click_until_good(index)
        self.effort.clicks += len(points)
        return mask_services.generate_mask(frame=frame, tag=self.tag, color=self.tag.color, points=points,
                                           created_by=self.user, track=Track.objects.get(pk=self.track_id))

    def extrapolate(self, keyframe: Mask) -> ExtrapolationJob:
        began = time.perf_counter()
        job = services.start_extrapolation(keyframe=keyframe, created_by=self.user, enqueue=False)
        services.run_extrapolation(str(job.id))
        self.effort.machine_s += time.perf_counter() - began
        job.refresh_from_db()
        if job.state != ExtrapolationJob.State.SUCCEEDED:
            raise RuntimeError(f"extrapolation job {job.id} {job.state}: {job.error}")
        return job


def run_sequence(bench: BenchmarkSequence, *, next_frame: str, tag: Tag, user, progress: Progress) -> SequenceEffort:
    """Protocol 3 on one sequence; see the module docstring."""
    truths = [bench.ground_truth(name) for name in bench.frame_names]
    effort = SequenceEffort(bench.id, len(truths))
    with tempfile.TemporaryDirectory(prefix="effort-") as folder:
        for number, name in enumerate(bench.frame_names):
            (Path(folder) / f"{number:06d}{Path(name).suffix}").symlink_to((bench.root / "frames" / name).resolve())
        sequence = import_sequence(source=Path(folder), name=f"effort benchmark {bench.id}", created_by=user).sequence
    try:
        robot = _Robot(sequence, truths, tag, user, effort)
        effort.frame_by_frame_clicks = _frame_by_frame(robot)
        middle = len(truths) // 2
        keyframe = robot.draw_keyframe(middle)
        job = robot.extrapolate(keyframe)
        keyframe.refresh_from_db()
        robot.track_id = keyframe.track_id
        quality = robot.quality()
        effort.J_after.append(float(np.mean(quality)))
        proposals = {i: m for i, m in robot.masks().items() if m.source == Mask.Source.PROPAGATED}
        effort.confidence_rank = spearman([proposals[i].confidence for i in sorted(proposals)],
                                          [quality[i] for i in sorted(proposals)])
        visited = {middle}
        while True:
            pending = [i for i, j in enumerate(quality) if i not in visited and j < GOOD]
            if not pending:
                break
            if next_frame == "oracle":
                index = min(pending, key=lambda i: (quality[i], i))
            else:
                order = [i for i in selectors.review_order(track_id=robot.track_id, job=job) if i not in visited]
                index = order[0] if order else pending[0]
            visited.add(index)
            corrected = robot.correct(index)
            if corrected.source == Mask.Source.MANUAL:
                effort.corrections += 1
                job = robot.extrapolate(corrected)
            else:
                effort.accepted += 1
            quality = robot.quality()
            if len(effort.J_after) <= J_AFTER_ROUNDS:
                effort.J_after.append(float(np.mean(quality)))
            progress(f"{bench.id}: frame {index + 1} corrected, mean J {np.mean(quality):.3f}")
        effort.final_J = float(np.mean(quality))
    finally:
        delete_sequence(sequence=sequence, user=user)
    return effort


def _frame_by_frame(robot: _Robot) -> float:
    """Protocol 1's NoC@85 over every frame of the sequence (20 where never reached; 0 for an empty truth)."""
    counts = []
    for index, truth in enumerate(robot.truths):
        if not truth.any():
            counts.append(0)
            continue
        points, mask = robot.click_until_good(index, timed=False)  # the baseline's computing is not the loop's
        counts.append(len(points) if jaccard(mask, truth) >= GOOD else MAX_CLICKS)
    return float(np.mean(counts))


def run_effort_protocol(
    benches: list[BenchmarkSequence], *, next_frame: str, user, progress: Progress = lambda message: None,
) -> dict:
    """Protocol 3 over ``benches``; the figures of BENCHMARKS.md, averaged per sequence then over sequences."""
    if next_frame not in ("oracle", "confidence"):
        raise ValueError(f"next must be 'oracle' or 'confidence', not {next_frame!r}")
    tag = Tag.objects.get_or_create(name="Effort benchmark object",
                                    defaults={"kind": Tag.Kind.PATHOLOGY, "color": "#FF8800"})[0]
    rows = []
    with override_settings(EXTRAPOLATE_AFTER_CORRECTION=False):  # the robot reruns, in this process
        for bench in benches:
            rows.append(run_sequence(bench, next_frame=next_frame, tag=tag, user=user, progress=progress).figures())
            progress(f"{bench.id}: effort ratio {rows[-1]['effort_ratio']:.3f}")
    keys = ("clicks_per_frame", "frame_by_frame_clicks_per_frame", "effort_ratio", "corrections_per_frame",
            "final_J", "machine_s_per_frame")
    figures = {key: float(np.mean([r[key] for r in rows])) for key in keys}
    ranks = [r["confidence_rank"] for r in rows if r["confidence_rank"] is not None]
    figures["confidence_rank"] = float(np.mean(ranks)) if ranks else None
    rounds = max(len(r["J_after"]) for r in rows)
    # a sequence done in fewer rounds keeps its last figure for the later ones
    figures["J_after"] = [float(np.mean([r["J_after"][min(k, len(r["J_after"]) - 1)] for r in rows]))
                          for k in range(rounds)]
    figures.update({"next": next_frame, "sequences": len(rows), "per_sequence": rows})
    return figures
