"""Masks drawn by hand as shapes (the annotation page's polygon and box tools), turned into pixels.

Framework-free: numpy in, numpy out. Coordinates are the page's: frame pixels, continuous, ``x`` to the right
and ``y`` down, pixel (i, j) covering [i, i+1) × [j, j+1) with its centre at (i + 0.5, j + 0.5).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def rasterise_polygon(vertices: Sequence[tuple[float, float]], *, width: int, height: int) -> np.ndarray:
    """The bool (height, width) mask of the pixels whose centre lies inside the polygon (even-odd rule; a centre
    on a left or top edge is in, on a right or bottom edge out, so two polygons sharing an edge never share a
    pixel and a box from (x0, y0) to (x1, y1) on whole numbers is exactly (x1 - x0) × (y1 - y0) pixels)."""
    points = np.asarray(vertices, np.float64).reshape(-1, 2)
    mask = np.zeros((height, width), bool)
    if len(points) < 3:
        return mask
    x0, y0 = points[:, 0], points[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    first = max(0, math.floor(y0.min() - 0.5))
    last = min(height - 1, math.ceil(y0.max()))
    for row in range(first, last + 1):
        centre = row + 0.5
        crossing = (y0 <= centre) != (y1 <= centre)  # half-open: a vertex on the scanline counts once
        if not crossing.any():
            continue
        xa, ya, xb, yb = x0[crossing], y0[crossing], x1[crossing], y1[crossing]
        xs = np.sort(xa + (centre - ya) * (xb - xa) / (yb - ya))
        for left, right in zip(xs[0::2], xs[1::2], strict=False):  # an even count: entries and exits
            start, end = math.ceil(left - 0.5), math.ceil(right - 0.5)  # centres in [left, right)
            mask[row, max(0, start):min(width, end)] = True
    return mask
