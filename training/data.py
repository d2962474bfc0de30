"""Reading an export zip into training samples (framework-free: zipfile, pycocotools, OpenCV).

The COCO files are the source of the masks (not the label maps): they keep every tag's mask whole where
tags overlap, which a multi-label network needs.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from vision.io import decode_rgb

from .trainer import Sample

SPLITS = ("train", "val", "test")


class ExportFormatError(ValueError):
    """The file is not an export of this project (or is damaged); the message says what is wrong."""


@dataclass
class ExportData:
    class_names: list[str]
    finding_names: list[str]
    splits: dict[str, list[Sample]]
    manifest: dict = field(default_factory=dict)

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            side: {"frames": len(samples), "sequences": len({s.group for s in samples})}
            for side, samples in self.splits.items()
        }


def _read_json(archive: zipfile.ZipFile, name: str) -> dict:
    try:
        return json.loads(archive.read(name))
    except KeyError as exc:
        raise ExportFormatError(f"The export has no {name}.") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ExportFormatError(f"{name} in the export is not valid JSON: {exc}") from exc


def load_export(path: str | Path) -> ExportData:
    """Samples of every split of the export zip at ``path``: images uint8 (H, W, 3) RGB, masks bool (C, H, W).

    Classes are the COCO categories in id order (= the label maps' class indices 1 …), none when the export holds
    no mask at all (frame-level findings only). A sample's ``group`` is its sequence id (as a string), so scores
    can be averaged per sequence; its ``key`` its frame id; ``masked`` False for a frame exported for its
    findings alone (its masks are unknown, not absent).
    """
    path = Path(path)
    if not path.is_file():
        raise ExportFormatError(f"{path} does not exist.")
    if not zipfile.is_zipfile(path):
        raise ExportFormatError(f"{path} is not a zip file.")
    with zipfile.ZipFile(path) as archive:
        manifest = _read_json(archive, "manifest.json")
        documents = {side: _read_json(archive, f"annotations/instances_{side}.json") for side in SPLITS}
        categories = sorted(documents["train"].get("categories", []), key=lambda c: c["id"])
        if not categories:
            raise ExportFormatError("The export has no category (tag).")
        if not any(document.get("annotations") for document in documents.values()):
            # Frame-level findings alone (a folder-per-class import): nothing to segment, a classifier to train.
            categories = []
        channel = {c["id"]: i for i, c in enumerate(categories)}
        finding_names = list(manifest.get("finding_names", []))
        findings_by_frame: dict[int, set[str]] = {}
        for finding in manifest.get("frame_findings", []):
            findings_by_frame.setdefault(int(finding["frame_id"]), set()).add(finding["tag"])
        splits: dict[str, list[Sample]] = {}
        for side, document in documents.items():
            by_image: dict[int, list[dict]] = {}
            for annotation in document.get("annotations", []):
                by_image.setdefault(annotation["image_id"], []).append(annotation)
            samples = []
            for image in document.get("images", []):
                try:
                    data = archive.read(image["file_name"])
                except KeyError as exc:
                    raise ExportFormatError(f"The export lists {image['file_name']} but does not hold it.") from exc
                try:
                    rgb = decode_rgb(data)
                except ValueError as exc:
                    raise ExportFormatError(f"{image['file_name']} in the export is not a readable image.") from exc
                height, width = rgb.shape[:2]
                masks = np.zeros((len(categories), height, width), bool)
                for annotation in by_image.get(image["id"], []):
                    rle = dict(annotation["segmentation"])
                    if isinstance(rle.get("counts"), str):
                        rle["counts"] = rle["counts"].encode("ascii")
                    masks[channel[annotation["category_id"]]] |= mask_utils.decode(rle).astype(bool)
                present = findings_by_frame.get(image["id"], set())
                findings = np.array([name in present for name in finding_names], np.float32)
                samples.append(Sample(
                    image=rgb, masks=masks,
                    group=str(image.get("sequence_id", "")), findings=findings, key=str(image["id"]),
                    masked=bool(image.get("masked", True)),
                ))
            splits[side] = samples
    return ExportData(class_names=[c["name"] for c in categories], finding_names=finding_names, splits=splits,
                      manifest=manifest)
