"""A generated colonoscopy and a small model trained to see it (for the report's tests).

Frames (uint8 RGB, 64×96) of five kinds a small network tells apart: outside the body (flat light grey),
mucosa (textured pink), the caecum (dark, a bright ring), blur (washed out, no texture), and mucosa with a
lesion (a blue-green blob; its mask is the lesion).
"""

from __future__ import annotations

import cv2
import numpy as np

from training.trainer import Sample

SIZE = (64, 96)
FINDINGS = ["Caecum", "Blur", "Out of body"]


def frame(kind: str, seed: int, lesion: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(image, lesion mask) of a frame of ``kind``; ``lesion`` (x, y) puts a lesion on mucosa there."""
    rng = np.random.default_rng(seed)
    height, width = SIZE
    mask = np.zeros(SIZE, bool)
    if kind == "outside":
        image = np.clip(np.array([200, 200, 205]) + rng.normal(0, 3, (height, width, 1)), 0, 255)
    elif kind == "caecum":
        image = np.array([40, 30, 30]) + rng.normal(0, 8, (height, width, 1))
        yy, xx = np.mgrid[:height, :width]
        ring = np.abs(np.hypot(yy - height / 2 + rng.uniform(-4, 4), xx - width / 2 + rng.uniform(-4, 4)) - 18) < 3
        image[ring] = [230, 200, 190]
    else:
        texture = cv2.GaussianBlur(rng.normal(0, 1, SIZE).astype(np.float32), (0, 0), 1.5)
        image = np.array([205, 115, 110]) + 60 * texture[..., None]
        if kind == "blur":
            image = cv2.GaussianBlur(image.astype(np.float32), (0, 0), 8) * 0.35 + 40  # no texture, dim
        if lesion is not None:
            yy, xx = np.mgrid[:height, :width]
            mask = np.hypot((xx - lesion[0]) / 11, (yy - lesion[1]) / 9) < 1
            image[mask] = [40, 170, 190]
    return np.clip(image, 0, 255).astype(np.uint8), mask


def sample(kind: str, seed: int, lesion: tuple[int, int] | None = None) -> Sample:
    image, mask = frame(kind, seed, lesion)
    findings = np.array([kind == "caecum", kind == "blur", kind == "outside"], np.float32)
    return Sample(image=image, masks=mask[None], group=kind, findings=findings)


def training_samples(seed: int) -> list[Sample]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(6):
        for kind in ("outside", "mucosa", "caecum", "blur"):
            out.append(sample(kind, seed * 100 + i * 7 + len(kind)))
        x, y = int(rng.integers(16, 80)), int(rng.integers(14, 50))
        out.append(sample("mucosa", seed * 100 + 50 + i, (x, y)))
        out.append(sample("mucosa", seed * 100 + 80 + i, (int(rng.integers(16, 80)), int(rng.integers(14, 50)))))
    return out


#: The generated procedure at 5 frames/s: (kind, frames, lesion path or None).
PROCEDURE = [
    ("outside", 10, None),          # 0-9: before insertion
    ("mucosa", 30, None),           # 10-39: insertion
    ("caecum", 15, None),           # 40-54: the caecum, reached at 8 s
    ("mucosa", 5, None),            # 55-59
    ("mucosa", 10, "a"),            # 60-69: lesion 1, moving right
    ("mucosa", 15, None),           # 70-84
    ("blur", 15, None),             # 85-99: a blurred stretch
    ("mucosa", 10, None),           # 100-109
    ("mucosa", 10, "b"),            # 110-119: lesion 2, growing
    ("mucosa", 10, None),           # 120-129
    ("outside", 10, None),          # 130-139: out of the body
]
FPS = 5.0


def procedure_frames() -> list[np.ndarray]:
    frames = []
    for kind, count, lesion in PROCEDURE:
        for i in range(count):
            where = None
            if lesion == "a":
                where = (20 + 3 * i, 30)
            elif lesion == "b":
                where = (65, 34)
            frames.append(frame(kind, 1000 + len(frames), where)[0])
    return frames
