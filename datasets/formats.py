"""The file formats inside an export: COCO instance segmentation with RLE masks, label maps, the class table.

Framework-free (numpy, OpenCV, pycocotools). Masks are bool (H, W); label maps are uint8 (H, W) with 0
for background and a tag's class index (1 … C) elsewhere.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from pycocotools import mask as mask_utils

MAX_CLASSES = 255  # label maps are uint8


@dataclass(frozen=True)
class ExportClass:
    """A class of the export: ``index`` in label maps (1 …), the COCO category id (same number)."""

    index: int
    name: str
    kind: str
    color: str
    tag_id: int


def encode_rle(mask: np.ndarray) -> dict:
    """COCO RLE of a bool (H, W) mask, JSON-ready: ``{"size": [H, W], "counts": str}``."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode("ascii")}


def coco_annotation(*, annotation_id: int, image_id: int, category_id: int, mask: np.ndarray, **extra) -> dict:
    """One COCO annotation of a bool (H, W) mask; ``area`` and ``bbox`` [x, y, w, h] come from its RLE."""
    rle = encode_rle(mask)
    coded = {"size": rle["size"], "counts": rle["counts"].encode("ascii")}
    return {
        "id": annotation_id, "image_id": image_id, "category_id": category_id, "segmentation": rle,
        "area": int(mask_utils.area(coded)), "bbox": [float(v) for v in mask_utils.toBbox(coded)],
        "iscrowd": 0, **extra,
    }


def coco_document(*, images: list[dict], annotations: list[dict], classes: Sequence[ExportClass], info: dict) -> dict:
    """A COCO instance-segmentation document. Segmentations are RLE with ``iscrowd`` 0 (one object each)."""
    return {
        "info": info,
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [{"id": c.index, "name": c.name, "supercategory": c.kind} for c in classes],
    }


def label_map(shape: tuple[int, int], masks: Sequence[tuple[int, np.ndarray]]) -> np.ndarray:
    """uint8 (H, W): 0 background, else the class index of the mask covering the pixel.

    Where masks of several classes overlap, the higher class index wins (classes are ordered so that
    specific findings come after broad regions); the COCO file keeps every mask whole.
    """
    labels = np.zeros(shape, np.uint8)
    for index, mask in sorted(masks, key=lambda item: item[0]):
        if not 0 < index <= MAX_CLASSES:
            raise ValueError(f"Class index {index} does not fit a uint8 label map.")
        labels[mask] = index
    return labels


def png_bytes(array: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".png", array)
    if not ok:
        raise OSError("Could not encode a PNG.")
    return buffer.tobytes()


def class_table(classes: Sequence[ExportClass]) -> list[dict]:
    """The class table as rows, background first: index, name, kind, colour, tag id."""
    rows = [{"index": 0, "name": "background", "kind": "", "color": "#000000", "tag_id": None}]
    rows += [{"index": c.index, "name": c.name, "kind": c.kind, "color": c.color, "tag_id": c.tag_id} for c in classes]
    return rows


def class_table_csv(classes: Sequence[ExportClass]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["index", "name", "kind", "color", "tag_id"], lineterminator="\n")
    writer.writeheader()
    for row in class_table(classes):
        writer.writerow({**row, "tag_id": "" if row["tag_id"] is None else row["tag_id"]})
    return out.getvalue()
