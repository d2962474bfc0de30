"""Collecting a model's per-frame output while it runs over a procedure (framework-free: numpy).

Pre-annotation (offline) and the live page both feed each frame's prediction to a :class:`Recorder`; the report
is computed from what it holds (:func:`reports.indicators.procedure_report`), so both give the same figures.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from vision.io import encode_rgb

from .indicators import Detection, Settings, detections_of, procedure_report

THUMBNAIL_WIDTH = 160
MAX_KEPT_THUMBNAILS = 400  # a video played live keeps the crops of its largest detections only


def thumbnail(image: np.ndarray, box: tuple[int, int, int, int]) -> str:
    """A JPEG data URL of uint8 RGB ``image`` cut around ``box`` (x0, y0, x1, y1) with a margin, the box drawn."""
    x0, y0, x1, y1 = box
    margin_x, margin_y = max(8, (x1 - x0) // 3), max(8, (y1 - y0) // 3)
    height, width = image.shape[:2]
    left, top = max(0, x0 - margin_x), max(0, y0 - margin_y)
    crop = image[top:min(height, y1 + margin_y), left:min(width, x1 + margin_x)]
    crop = crop.copy()  # the box is drawn on the crop, never on the frame
    cv2.rectangle(crop, (x0 - left, y0 - top), (x1 - left - 1, y1 - top - 1), (255, 230, 0), 2)
    scale = THUMBNAIL_WIDTH / max(1, crop.shape[1])
    crop = cv2.resize(crop, (THUMBNAIL_WIDTH, max(1, round(crop.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    return "data:image/jpeg;base64," + base64.b64encode(encode_rgb(crop, ".jpg", quality=80)).decode("ascii")


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
    # Frames that are not stored (a video played live): a thumbnail of each detection, the largest ones kept.
    keep_thumbnails: bool = False
    thumbnails: dict[tuple[int, tuple[int, int, int, int]], tuple[float, str]] = field(default_factory=dict)

    def add(self, *, findings: Mapping[str, float], masks: Mapping[str, np.ndarray],
            frame_index: int | None = None, image: np.ndarray | None = None) -> list[Detection]:
        """Record one frame's prediction (``findings``: name → probability; ``masks``: tag → probability map);
        returns the lesion detections found on it. ``image`` (uint8 RGB): the frame, for thumbnails when they
        are kept."""
        position = len(self.probabilities)
        self.probabilities.append([round(float(findings.get(name, 0.0)), 4) for name in self.names])
        self.frame_indices.append(frame_index)
        found = []
        for tag in self.lesion_tags:
            if tag in masks:
                found += detections_of(masks[tag] >= self.threshold, position, tag)
        self.detections += found
        if self.keep_thumbnails and image is not None:
            for detection in found:
                self.thumbnails[(position, detection.box)] = (detection.share, thumbnail(image, detection.box))
            if len(self.thumbnails) > MAX_KEPT_THUMBNAILS:
                smallest = sorted(self.thumbnails, key=lambda key: self.thumbnails[key][0])
                for key in smallest[:len(self.thumbnails) - MAX_KEPT_THUMBNAILS]:
                    del self.thumbnails[key]
        return found

    def lesion_thumbnails(self, report: dict) -> dict[str, str]:
        """Lesion number → the kept thumbnail of its largest extent (for frames that are not stored)."""
        out = {}
        for lesion in report["lesions"]:
            kept = self.thumbnails.get((lesion["largest_frame"], tuple(lesion["largest_box"])))
            if kept:
                out[str(lesion["number"])] = kept[1]
        return out

    def report(self, *, kinds: Mapping[str, str], fps: float, procedure: str, stations: Sequence[str] = (),
               settings: Settings = Settings()) -> dict:
        return procedure_report(
            probabilities=np.array(self.probabilities, np.float64).reshape(len(self.probabilities), len(self.names)),
            names=self.names,
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
