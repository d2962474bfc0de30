"""Endoscopy-like frames generated in code: for the demo sequence and for tests.

A textured pink mucosa with folds and vessels, a reddish lesion moving along a smooth path, specular
highlights, vignetting and the scope's dark octagonal field-of-view border. Deterministic for a seed.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    noise = rng.standard_normal(shape).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), scale)
    return noise / (np.abs(noise).max() + 1e-6)


def field_of_view(height: int, width: int) -> np.ndarray:
    """bool (H, W): inside the scope's octagonal field of view."""
    fov = np.zeros((height, width), np.uint8)
    cut = int(0.16 * min(height, width))
    margin = max(2, int(0.03 * width))
    polygon = np.array([
        (margin + cut, 0), (width - margin - cut, 0), (width - margin, cut), (width - margin, height - cut),
        (width - margin - cut, height - 1), (margin + cut, height - 1), (margin, height - cut), (margin, cut),
    ], np.int32)
    cv2.fillPoly(fov, [polygon], 1)
    return fov.astype(bool)


def lesion_path(index: int, count: int, height: int, width: int) -> tuple[float, float, float]:
    """Centre (x, y) and radius of the lesion on frame ``index`` of ``count``: a smooth drift."""
    t = index / max(1, count - 1)
    x = width * (0.38 + 0.22 * math.sin(2 * math.pi * 0.6 * t))
    y = height * (0.45 + 0.15 * math.sin(2 * math.pi * 0.4 * t + 1.0))
    radius = min(height, width) * (0.12 + 0.04 * math.sin(math.pi * t))
    return x, y, radius


def make_sequence(
    count: int = 24, height: int = 288, width: int = 384, seed: int = 0
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``count`` frames (uint8 RGB, H×W×3) and their lesion masks (bool H×W)."""
    rng = np.random.default_rng(seed)
    pad = 40
    big = (height + 2 * pad, width + 2 * pad)
    texture = 0.6 * _smooth_noise(rng, big, 6) + 0.4 * _smooth_noise(rng, big, 1.5)
    folds = _smooth_noise(rng, big, 18)
    vessels = np.abs(_smooth_noise(rng, big, 4)) < 0.015
    lesion_texture = _smooth_noise(rng, big, 2.5)
    fov = field_of_view(height, width)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    vignette = 1.0 - 0.55 * (((xx - width / 2) / (width / 2)) ** 2 + ((yy - height / 2) / (height / 2)) ** 2)
    frames, masks = [], []
    for index in range(count):
        t = index / max(1, count - 1)
        dx, dy = int(pad * 0.6 * math.sin(2 * math.pi * t)), int(pad * 0.4 * math.cos(2 * math.pi * t))
        window = np.s_[pad + dy: pad + dy + height, pad + dx: pad + dx + width]
        base = texture[window] * 0.25 + folds[window] * 0.35
        red = 0.78 + 0.2 * base
        green = 0.42 + 0.2 * base
        blue = 0.38 + 0.16 * base
        vessel = vessels[window]
        red, green, blue = red - 0.18 * vessel, green - 0.2 * vessel, blue - 0.1 * vessel
        cx, cy, radius = lesion_path(index, count, height, width)
        wobble = 1 + 0.12 * np.sin(3 * np.arctan2(yy - cy, xx - cx) + 0.3 * index)
        distance = np.hypot(xx - cx, (yy - cy) * 1.15) / (radius * wobble)
        lesion = distance < 1.0
        bump = np.clip(1 - distance, 0, 1) ** 0.5
        shade = lesion_texture[window] * 0.08
        red = np.where(lesion, 0.72 + 0.18 * bump + shade, red)
        green = np.where(lesion, 0.24 + 0.1 * bump + shade, green)
        blue = np.where(lesion, 0.25 + 0.08 * bump, blue)
        image = np.stack([red, green, blue], axis=-1) * vignette[..., None]
        highlight = np.hypot(xx - (cx - radius * 0.3), yy - (cy - radius * 0.35)) < radius * 0.12
        image[highlight] = 1.0
        image = np.clip(image, 0, 1)
        image[~fov] = 0.02
        frames.append((image * 255).astype(np.uint8))
        masks.append(lesion & fov)
    return frames, masks
