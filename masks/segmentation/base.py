"""The segmenter interface: prompt points on an RGB frame in, a binary mask out.

Framework-free (numpy only), so the same segmenters serve a request, a background job,
a benchmark and a notebook.

Coordinate convention: ``x`` is the column and ``y`` the row, in pixels of the full-resolution
frame, origin at the top-left pixel's centre (as in OpenCV and segment-anything).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Click:
    """One click: ``positive`` is a '+' point (object), otherwise a '-' point (background)."""

    x: float
    y: float
    positive: bool


@dataclass
class Segmentation:
    """A segmenter's answer.

    ``mask``: bool array of shape (H, W), same size as the frame.
    ``score``: the segmenter's own confidence in [0, 1] (SAM's predicted IoU; a heuristic for others).
    ``logits``: optional low-resolution logits (SAM: float32 (1, 256, 256)) that a later call on the
    same frame may pass back as ``previous_logits`` to refine, as the SAM authors do.
    """

    mask: np.ndarray
    score: float
    logits: np.ndarray | None = None
    extras: dict = field(default_factory=dict)


class SegmenterError(Exception):
    """Raised for a segmenter that cannot work as configured (missing checkpoint, bad model type, ...)."""


class ClickSegmenter(Protocol):
    """What every segmenter offers.

    ``name`` identifies the segmenter and its model (stored with each mask, shown on the page).
    """

    name: str

    def segment(
        self,
        image: np.ndarray,
        points: Sequence[Click],
        *,
        image_key: str | None = None,
        previous_logits: np.ndarray | None = None,
        prior: np.ndarray | None = None,
        initial: np.ndarray | None = None,
    ) -> Segmentation:
        """Segment the object that ``points`` designate on ``image``.

        ``image``: uint8 RGB array (H, W, 3). ``points``: at least one positive point, all inside
        the image. ``image_key``: a stable key of this frame's pixels (e.g. "frame-123"); segmenters
        use it to cache per-frame work (SAM's image embedding) between calls. ``previous_logits``:
        the ``logits`` of the previous call on the same frame with the same points minus the newest.
        ``prior``: optional bool (H, W) mask that the object probably resembles (e.g. a mask warped
        from a neighbouring frame during propagation); segmenters may use it as a soft hint.
        ``initial``: optional bool (H, W) mask the clicks correct (a propagated or a model's mask the
        annotator refines): the answer starts from it rather than from nothing; then ``points`` may hold
        '-' clicks only.
        """
        ...
