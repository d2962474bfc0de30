"""Real frames moved by smooth synthetic camera motion: consecutive video with a known answer, made from any
still frame and its mask (framework-free). The propagation tests and ``make_motion_dataset`` use it."""

from __future__ import annotations

import math

import cv2
import numpy as np


def smooth_motion(count: int, *, shift: float = 0.0, zoom: float = 0.0, turn: float = 0.0) -> list[tuple]:
    """Per frame (dx, dy, scale, angle°): a smooth camera path from the identity."""
    path = []
    for t in range(count):
        s = t / max(count - 1, 1)
        path.append((shift * math.sin(math.pi * s), 0.6 * shift * (1 - math.cos(math.pi * s)), 1 + zoom * s, turn * s))
    return path


def moved(image: np.ndarray, mask: np.ndarray, path: list[tuple]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Move a frame (uint8 (H, W, 3)) and its mask (bool (H, W)) along ``path`` (about the image centre) with
    cv2.warpAffine; returns the frames and the moved masks."""
    h, w = mask.shape
    frames, truths = [], []
    for dx, dy, scale, angle in path:
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
        matrix[:, 2] += (dx, dy)
        frames.append(cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0)))
        warped = cv2.warpAffine(mask.astype(np.float32), matrix, (w, h), flags=cv2.INTER_LINEAR)
        truths.append(warped > 0.5)
    return frames, truths
