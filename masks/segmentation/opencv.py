"""The CPU default segmenter: geodesic click regions on an edge-weighted frame (OpenCV + numpy).

prototype
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Sequence

import cv2
import numpy as np

from masks.segmentation.base import PromptPoint, Segmentation

WORK_SIDE = 192
EDGE_WEIGHT = 3.0
CACHE_FRAMES = 32
AREA_BONUS = 0.0
CAP_MODE = 0
MIN_AREA = 20
JOINT = 0


@dataclass
class _Frame:
    scale: float
    edge: np.ndarray  # float32 (h, w), gradient / its mean in the FOV
    cost: np.ndarray  # float32 (h, w)
    fov: np.ndarray  # bool (h, w)
    inner: np.ndarray  # bool (h, w) FOV eroded: rings measured here
    geodesics: dict = field(default_factory=dict)


def _fov(small: np.ndarray) -> np.ndarray:
    bright = small.max(axis=2)
    dark = (bright < 30).astype(np.uint8)
    n, labels = cv2.connectedComponents(dark, connectivity=4)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    outside = np.isin(labels, border[border > 0]) & (dark > 0)
    return ~outside


def _features(image: np.ndarray) -> _Frame:
    h, w = image.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA) if scale < 1 else image.copy()
    fov = _fov(small)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    spec = ((hsv[..., 2] > 200) & (hsv[..., 1] < 80)).astype(np.uint8)
    if spec.any():
        spec = cv2.dilate(spec, np.ones((3, 3), np.uint8))
        small = cv2.inpaint(small, spec, 3, cv2.INPAINT_TELEA)
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    lab = cv2.GaussianBlur(lab, (0, 0), 1.0)
    gx = cv2.Sobel(lab, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(lab, cv2.CV_32F, 0, 1, ksize=3)
    g = np.sqrt((gx * gx + gy * gy).sum(axis=2))
    inner = cv2.erode(fov.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    norm = float(g[inner].mean()) if inner.any() else float(g.mean()) + 1e-6
    edge = (g / max(norm, 1e-6)).astype(np.float32)
    cost = (1.0 + EDGE_WEIGHT * edge).astype(np.float32)
    cost[~fov] = 50.0
    return _Frame(scale, edge, cost, fov, inner)


def geodesic_distance(cost: np.ndarray, seed: tuple[int, int], sweeps: int = 2) -> np.ndarray:
    """Geodesic distance (8-connected, fast sweeping) from pixel ``seed`` = (row, col) over ``cost``."""
    h, w = cost.shape
    d = np.full((h, w), np.inf, np.float32)
    d[seed] = 0.0
    r2 = np.float32(np.sqrt(2.0))
    for _ in range(sweeps):
        for axis_t in (False, True):
            dd = d.T if axis_t else d
            cc = cost.T if axis_t else cost
            n = dd.shape[0]
            for order in (range(1, n), range(n - 2, -1, -1)):
                step = -1 if order.step == 1 else 1  # previous row index offset
                for r in order:
                    p = r + step
                    prev, cur = dd[p], dd[r]
                    c = (cc[r] + cc[p]) * 0.5
                    cand = prev + c
                    np.minimum(cur, cand, out=cur)
                    cd = (cc[r][1:] + cc[p][:-1]) * (0.5 * r2)
                    np.minimum(cur[1:], prev[:-1] + cd, out=cur[1:])
                    cd = (cc[r][:-1] + cc[p][1:]) * (0.5 * r2)
                    np.minimum(cur[:-1], prev[1:] + cd, out=cur[:-1])
    return d


class OpenCVSegmenter:
    name = "opencv-geodesic"

    def __init__(self, cache_frames: int = CACHE_FRAMES) -> None:
        self._cache: OrderedDict[str, _Frame] = OrderedDict()
        self._cache_frames = cache_frames

    def _frame(self, image: np.ndarray, key: str | None) -> _Frame:
        if key is not None and key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        frame = _features(image)
        if key is not None:
            self._cache[key] = frame
            while len(self._cache) > self._cache_frames:
                self._cache.popitem(last=False)
        return frame

    def _score(self, frame: _Frame, seeds: tuple) -> np.ndarray:
        if seeds in frame.geodesics:
            return frame.geodesics[seeds]
        firstpos = next(i for i, (_, p) in enumerate(seeds) if p)
        if len(seeds) == firstpos + 1:
            prev = None
        else:
            prev = self._score(frame, seeds[:-1])
        out = _score_impl(frame, seeds, prev)
        frame.geodesics[seeds] = out
        return out

    def segment(
        self,
        image: np.ndarray,
        points: Sequence[PromptPoint],
        *,
        image_key: str | None = None,
        previous_logits: np.ndarray | None = None,
        prior: np.ndarray | None = None,
    ) -> Segmentation:
        h, w = image.shape[:2]
        frame = self._frame(image, image_key)
        sh, sw = frame.cost.shape
        seeds = []
        for p in points:
            r = int(np.clip(round(p.y * frame.scale), 0, sh - 1))
            c = int(np.clip(round(p.x * frame.scale), 0, sw - 1))
            seeds.append(((r, c), p.positive))
        score = self._score(frame, tuple(seeds))
        big = cv2.resize(score, (w, h), interpolation=cv2.INTER_LINEAR)
        mask = big > 0
        mask = _keep_clicked(mask, points)
        return Segmentation(mask=mask, score=0.5)


ALPHA = 1.0


def _dist(frame: _Frame, seed) -> np.ndarray:
    if seed not in frame.geodesics:
        frame.geodesics[seed] = geodesic_distance(frame.cost, seed)
    return frame.geodesics[seed]


def _score_impl(frame: _Frame, seeds: tuple, prev) -> np.ndarray:
    seed, pos = seeds[-1]
    d = _dist(frame, seed)
    opp = [_dist(frame, s) for s, p in seeds[:-1] if p != pos]
    d_opp = np.min(opp, axis=0) if opp else np.full_like(d, np.inf)
    if prev is None:
        cap = float(d_opp[seed]) if opp else np.inf
        t = _best_threshold(d, frame.fov & (d < d_opp), frame)
        return np.where(frame.fov, np.minimum(t - d, d_opp - d), -1.0).astype(np.float32)
    inside = prev > 0
    other = (~inside if pos else inside) & frame.fov
    if not other[seed] or other.all():
        # the click already lies on the right side: nothing to flip but the click's own surroundings
        r = 2.0
    else:
        r = ALPHA * float(d[~other & frame.fov].min()) if (~other & frame.fov).any() else 2.0
        r = max(r, 2.0)
    f = np.minimum(r - d, d_opp - d)
    if pos:
        out = np.maximum(prev, f)
    else:
        out = np.minimum(prev, -f)
    return np.where(frame.fov, out, -1.0).astype(np.float32)


def _best_threshold(d: np.ndarray, cell: np.ndarray, frame: _Frame) -> float:
    vals = np.sort(d[cell])
    n_fov = int(frame.fov.sum())
    if vals.size < 10:
        return float(vals[-1]) if vals.size else 0.0
    amin, amax = MIN_AREA, min(vals.size, int(0.6 * n_fov))
    if amax <= amin:
        return float(vals[-1]) + 1e-3
    areas = np.unique(np.geomspace(amin, amax, 24).astype(int))
    best, best_t = -1.0, float(vals[amin])
    kernel = np.ones((3, 3), np.uint8)
    for a in areas:
        t = float(vals[a - 1]) + 1e-4
        m = ((d < t) & cell).astype(np.uint8)
        ring = (cv2.dilate(m, kernel) > 0) & (m == 0) & frame.inner
        if not ring.any():
            continue
        contrast = float(frame.edge[ring].mean()) + AREA_BONUS * np.log(a)
        if contrast > best:
            best, best_t = contrast, t
    return best_t


def _keep_clicked(mask: np.ndarray, points: Sequence[PromptPoint]) -> np.ndarray:
    h, w = mask.shape
    for p in points:
        r, c = int(np.clip(round(p.y), 0, h - 1)), int(np.clip(round(p.x), 0, w - 1))
        mask[r, c] = p.positive
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    keep = {labels[int(np.clip(round(p.y), 0, h - 1)), int(np.clip(round(p.x), 0, w - 1))] for p in points if p.positive}
    keep.discard(0)
    return np.isin(labels, list(keep))
