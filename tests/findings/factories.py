from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def class_image(kind: str, seed: int, size: tuple[int, int] = (60, 72)) -> np.ndarray:
    """A generated uint8 RGB image of one of three kinds told apart by colour and texture: "pink" mucosa with
    fine texture, "brown" stool-like blotches, "dark" with a bright ring (a lumen)."""
    rng = np.random.default_rng(seed)
    height, width = size
    noise = rng.normal(0, 12, (height, width, 1))
    if kind == "pink":
        base = np.array([205, 120, 115]) + noise
    elif kind == "brown":
        base = np.array([120, 80, 30]) + rng.normal(0, 30, (height, width, 1))
    else:
        base = np.array([40, 30, 30]) + noise
        yy, xx = np.mgrid[:height, :width]
        ring = np.abs(np.hypot(yy - height / 2, xx - width / 2) - min(size) / 3) < 3
        base[ring] = [230, 200, 190]
    return np.clip(base, 0, 255).astype(np.uint8)


def write_class_folders(root: Path, counts: dict[str, int], seed: int = 0, kinds: dict[str, str] | None = None,
                        size: tuple[int, int] = (60, 72)) -> Path:
    """``root/<class>/<n>.png`` for each class folder and count; the image kind of a folder is ``kinds[folder]``
    (default: pink, brown, dark in order)."""
    defaults = ["pink", "brown", "dark"]
    for number, (folder, count) in enumerate(counts.items()):
        kind = (kinds or {}).get(folder, defaults[number % 3])
        (root / folder).mkdir(parents=True, exist_ok=True)
        for index in range(count):
            image = class_image(kind, seed * 1000 + number * 100 + index, size)
            cv2.imwrite(str(root / folder / f"{folder}-{index}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return root
