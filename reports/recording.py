"""Collecting a model's per-frame output while it runs over a procedure (framework-free: numpy).

Pre-annotation (offline) and the live page both feed each frame's prediction to a :class:`Recorder`; the report
is computed from what it holds (:func:`reports.indicators.procedure_report`), so both give the same figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .indicators import Detection, Settings, detections_of, procedure_report


@dataclass
class Recorder:
    """Per played frame: the findings' probabilities (in the order of ``names``) and the connected regions of
    the masks of ``lesion_tags`` at ``threshold``. ``frame_indices``: each played frame's index in its sequence
    (None when the frames are not stored, e.g. a video played live)."""

    names: list[str]
    thresholds: list[float]
    lesion_tags: list[str]
    threshold: float = 0.5
    probabilities: list[list[float]] = field(default_factory=list)
    frame_indices: list[int | None] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)

    def add(self, *, findings: Mapping[str, float], masks: Mapping[str, np.ndarray],
            frame_index: int | None = None) -> list[Detection]:
        """Record one frame's prediction (``findings``: name → probability; ``masks``: tag → probability map);
        returns the lesion detections found on it."""
        position = len(self.probabilities)
        self.probabilities.append([round(float(findings.get(name, 0.0)), 4) for name in self.names])
        self.frame_indices.append(frame_index)
        found = []
        for tag in self.lesion_tags:
            if tag in masks:
                found += detections_of(masks[tag] >= self.threshold, position, tag)
        self.detections += found
        return found

    def report(self, *, kinds: Mapping[str, str], fps: float, procedure: str, stations: Sequence[str] = (),
               settings: Settings = Settings()) -> dict:
        return procedure_report(
            probabilities=np.array(self.probabilities, np.float64).reshape(-1, len(self.names)), names=self.names,
            thresholds=self.thresholds, kinds=kinds, fps=fps, procedure=procedure, detections=self.detections,
            stations=stations, settings=settings,
        )

    def detection_rows(self) -> list[list]:
        """The detections as JSON rows: [frame, tag, x0, y0, x1, y1, area, share]."""
        return [[d.frame, d.tag, *d.box, d.area, round(d.share, 6)] for d in self.detections]

    @staticmethod
    def detections_from_rows(rows: Sequence[Sequence]) -> list[Detection]:
        return [Detection(frame=int(r[0]), tag=str(r[1]), box=(int(r[2]), int(r[3]), int(r[4]), int(r[5])),
                          area=int(r[6]), share=float(r[7])) for r in rows]
