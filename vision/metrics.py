"""Region and boundary metrics of ``BENCHMARKS.md``: J, F (as in DAVIS 2017), J&F and Dice; and the IoU of boxes.

Pure functions over (H, W) masks (any dtype: non-zero is the object); ``pred`` is the prediction, ``gt`` the
ground truth.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def jaccard(pred: np.ndarray, gt: np.ndarray) -> float:
    """|P∩G| / |P∪G|; 1 where both are empty."""
    pred, gt = pred.astype(bool), gt.astype(bool)
    union = np.logical_or(pred, gt).sum()
    if union == 0:
        return 1.0
    return float(np.logical_and(pred, gt).sum() / union)


def dice(pred: np.ndarray, gt: np.ndarray) -> float:
    """2|P∩G| / (|P|+|G|); 1 where both are empty."""
    pred, gt = pred.astype(bool), gt.astype(bool)
    total = pred.sum() + gt.sum()
    if total == 0:
        return 1.0
    return float(2 * np.logical_and(pred, gt).sum() / total)


def boundary_map(mask: np.ndarray) -> np.ndarray:
    """One-pixel boundary of a bool mask: object pixels with a 4-neighbour outside the object.

    The image border does not count as boundary, as in the DAVIS evaluation's seg2bmap.
    """
    mask = mask.astype(bool)
    padded = np.pad(mask, 1, mode="edge")
    interior = (
        padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    )
    return mask & ~interior


def boundary_f(pred: np.ndarray, gt: np.ndarray) -> float:
    """DAVIS boundary F-measure with tolerance radius ceil(0.008 × image diagonal)."""
    pred_b, gt_b = boundary_map(pred), boundary_map(gt)
    n_pred, n_gt = int(pred_b.sum()), int(gt_b.sum())
    if n_pred == 0 and n_gt == 0:
        return 1.0
    if n_pred == 0 or n_gt == 0:
        return 0.0
    h, w = pred.shape
    radius = math.ceil(0.008 * math.hypot(h, w))
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    gt_dil = cv2.dilate(gt_b.astype(np.uint8), disk).astype(bool)
    pred_dil = cv2.dilate(pred_b.astype(np.uint8), disk).astype(bool)
    precision = float((pred_b & gt_dil).sum() / n_pred)
    recall = float((gt_b & pred_dil).sum() / n_gt)
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def j_and_f(pred: np.ndarray, gt: np.ndarray) -> tuple[float, float, float]:
    """(J, F, (J + F) / 2)."""
    j, f = jaccard(pred, gt), boundary_f(pred, gt)
    return j, f, (j + f) / 2


def box_iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two boxes (x0, y0, x1, y1), x1 and y1 exclusive; 0 when they do not overlap."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)
