"""Reader of the benchmark dataset layout (``BENCHMARKS.md``).

```
DATASET/
  sequences.json   [{"id": "cvc-01", "frames": ["0001.png", ...]}, ...]   frames in video order
  frames/<name>    the image (any format OpenCV reads)
  masks/<name>     ground truth: 0 background, >127 object
```
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from natsort import natsorted

from .io import read_mask, read_rgb


@dataclass(frozen=True)
class BenchmarkSequence:
    id: str
    frame_names: tuple[str, ...]
    root: Path

    def image(self, name: str) -> np.ndarray:
        """The frame as uint8 RGB (H, W, 3)."""
        return read_rgb(self.root / "frames" / name)

    def ground_truth(self, name: str) -> np.ndarray:
        """The ground-truth mask as bool (H, W)."""
        return read_mask(self.root / "masks" / name)


def load_dataset(root: str | Path) -> list[BenchmarkSequence]:
    """The sequences of a dataset folder, in the order of its ``sequences.json``.

    A folder with ``frames/`` and ``masks/`` but no ``sequences.json`` is a folder of single images: each
    frame is a one-frame sequence (in natural order of names).
    """
    root = Path(root)
    index = root / "sequences.json"
    if index.is_file():
        entries = json.loads(index.read_text())
        return [BenchmarkSequence(str(e["id"]), tuple(e["frames"]), root) for e in entries]
    if (root / "frames").is_dir() and (root / "masks").is_dir():
        names = natsorted(p.name for p in (root / "frames").iterdir() if p.is_file() and not p.name.startswith("."))
        return [BenchmarkSequence(Path(name).stem, (name,), root) for name in names]
    raise FileNotFoundError(f"{index} not found, nor frames/ and masks/: not a dataset folder in the "
                            "BENCHMARKS.md layout")
