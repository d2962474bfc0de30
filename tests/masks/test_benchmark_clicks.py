"""The click benchmark command on a dataset folder generated in code."""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.management import CommandError, call_command

from sequences.synthetic import make_sequence

pytestmark = pytest.mark.slow

KEYS = {"mIoU@1", "mIoU@3", "mIoU@5", "NoC@85", "NoC@90", "ms_per_click_p50", "ms_per_click_p95", "frames",
        "segmenter"}


def write_dataset(root: Path, sequences: int = 2, frames: int = 4) -> Path:
    """A folder in the BENCHMARKS.md layout with generated frames and their lesion masks."""
    (root / "frames").mkdir(parents=True)
    (root / "masks").mkdir()
    index = []
    for number in range(sequences):
        images, masks = make_sequence(count=frames, seed=number, height=120, width=160)
        names = []
        for image, mask in zip(images, masks, strict=True):
            name = f"{number}_{len(names):03d}.png"
            cv2.imwrite(str(root / "frames" / name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            cv2.imwrite(str(root / "masks" / name), np.where(mask, 255, 0).astype(np.uint8))
            names.append(name)
        index.append({"id": f"gen-{number}", "frames": names})
    (root / "sequences.json").write_text(json.dumps(index))
    return root


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("dataset"))


def test_cpu_default_benchmark_writes_the_figures(dataset, tmp_path):
    out = io.StringIO()
    call_command("benchmark_clicks", str(dataset), "--json", str(tmp_path / "r.json"), "--max-clicks", "5",
                 "--frame-step", "2", "--segmenter", "opencv", stdout=out)
    figures = json.loads((tmp_path / "r.json").read_text())
    assert KEYS <= figures.keys()
    assert figures["frames"] == 4 and figures["segmenter"].startswith("opencv")
    assert figures["mIoU@5"] >= figures["mIoU@1"] > 0.5  # a generated lesion is easy to click out
    assert "| opencv" in out.getvalue()


def test_sam_benchmark_times_the_decoder_on_precomputed_embeddings(dataset, tmp_path, sam_settings):
    call_command("benchmark_clicks", str(dataset), "--json", str(tmp_path / "r.json"), "--max-clicks", "2",
                 "--frame-step", "4", "--segmenter", "sam", stdout=io.StringIO())
    figures = json.loads((tmp_path / "r.json").read_text())
    assert figures["segmenter"].startswith("sam-vit_b-") and figures["encoder_s_per_frame"] > 0
    assert figures["frames"] == 2


def test_sam_benchmark_refuses_without_sam(dataset):
    with pytest.raises(CommandError, match="SAM is not usable"):
        call_command("benchmark_clicks", str(dataset), "--segmenter", "sam", stdout=io.StringIO())


def test_not_a_dataset_folder(tmp_path):
    with pytest.raises(CommandError, match="sequences.json"):
        call_command("benchmark_clicks", str(tmp_path), stdout=io.StringIO())
