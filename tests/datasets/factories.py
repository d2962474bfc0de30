"""Small annotated sequences built in code for the dataset and training tests."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import cv2
import numpy as np

from masks.models import Mask
from masks.services import save_mask
from sequences.models import FrameSequence
from sequences.services import import_sequence
from sequences.synthetic import make_sequence
from tags.models import Tag
from tests.conftest import write_frames

SIZE = (48, 64)  # (H, W): tiny frames keep exports and training fast


def annotated_sequence(
    name: str, *, seed: int, count: int = 4, size: tuple[int, int] = SIZE, tag: Tag, second_tag: Tag | None = None,
    propagated_on: tuple[int, ...] = (), user=None,
) -> tuple[FrameSequence, list[np.ndarray]]:
    """A generated sequence whose lesion is a manual ``tag`` mask on every frame, except frames in
    ``propagated_on`` where it is a propagated mask. With ``second_tag``, the left half of the lesion
    is also a manual mask of that tag on frame 0 (overlapping masks of two tags)."""
    images, masks = make_sequence(count=count, height=size[0], width=size[1], seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        sequence = import_sequence(source=write_frames(Path(folder), images), name=name, created_by=user).sequence
    for frame in sequence.frames.order_by("index"):
        source = Mask.Source.PROPAGATED if frame.index in propagated_on else Mask.Source.MANUAL
        save_mask(frame=frame, tag=tag, color=tag.color, mask=masks[frame.index], source=source, created_by=user)
    if second_tag is not None:
        half = masks[0].copy()
        half[:, int(np.nonzero(half)[1].mean()):] = False  # the lesion's left half
        if half.any():
            save_mask(frame=sequence.frames.get(index=0), tag=second_tag, color=second_tag.color, mask=half)
    return sequence, images


def write_dataset(root: Path, sequences: dict[str, tuple[list[str], int]]) -> dict[str, list[np.ndarray]]:
    """A BENCHMARKS.md-layout folder: for each id, frames named as given (generated from ``seed``)."""
    (root / "frames").mkdir(parents=True)
    (root / "masks").mkdir()
    truth = {}
    for sequence_id, (names, seed) in sequences.items():
        images, masks = make_sequence(count=len(names), height=48, width=64, seed=seed)
        for name, image, mask in zip(names, images, masks, strict=True):
            cv2.imwrite(str(root / "frames" / name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            cv2.imwrite(str(root / "masks" / name), np.where(mask, 255, 0).astype(np.uint8))
        truth[sequence_id] = masks
    listing = [{"id": k, "frames": names} for k, (names, _) in sequences.items()]
    (root / "sequences.json").write_text(json.dumps(listing))
    return truth
