"""Protocol 3 (``benchmark_effort``) on small generated datasets: the loop of clicks, extrapolation and
corrections runs through the product's services and leaves nothing behind."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.management import call_command

from extrapolation.effort import run_effort_protocol, spearman
from extrapolation.motion import moved, smooth_motion
from masks.models import Mask
from sequences.models import FrameSequence
from sequences.synthetic import make_sequence
from vision.benchmark_dataset import load_dataset

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

KEYS = ("clicks_per_frame", "frame_by_frame_clicks_per_frame", "effort_ratio", "corrections_per_frame", "final_J",
        "J_after", "confidence_rank", "machine_s_per_frame", "next", "per_sequence")


def write_dataset(root: Path, sequences: dict[str, tuple[list[np.ndarray], list[np.ndarray]]]) -> Path:
    (root / "frames").mkdir(parents=True)
    (root / "masks").mkdir()
    index = []
    for name, (images, truths) in sequences.items():
        names = [f"{name}-{k:03d}.png" for k in range(len(images))]
        for file, image, truth in zip(names, images, truths, strict=True):
            cv2.imwrite(str(root / "frames" / file), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            cv2.imwrite(str(root / "masks" / file), truth.astype(np.uint8) * 255)
        index.append({"id": name, "frames": names})
    (root / "sequences.json").write_text(json.dumps(index))
    return root


@pytest.fixture
def smooth(tmp_path) -> Path:
    (image,), (mask,) = make_sequence(count=1, seed=5)
    return write_dataset(tmp_path / "smooth", {"smooth": moved(image, mask, smooth_motion(8, shift=12.0, zoom=0.1))})


def test_smooth_video_costs_a_fraction_of_clicking_every_frame(smooth, user):
    figures = run_effort_protocol(load_dataset(smooth), next_frame="oracle", user=user)
    assert set(KEYS) <= set(figures)
    row = figures["per_sequence"][0]
    assert row["frames"] == 8 and figures["final_J"] >= 0.85
    assert figures["effort_ratio"] < 0.5  # the keyframe's clicks, then extrapolation does the rest
    assert figures["clicks_per_frame"] * 8 == row["clicks"] >= 1
    assert not FrameSequence.all_objects.exists() and not Mask.objects.exists()  # imported, then deleted


def test_a_jump_is_corrected_and_the_correction_spreads(tmp_path, user):
    # two scenes cut together: in the first half the object is a patch of mucosa away from the lesion, which
    # extrapolation from the middle frame's lesion cannot know (it follows the lesion there)
    (first,), (lesion,) = make_sequence(count=1, seed=2)
    patch = np.zeros_like(lesion)
    patch[200:250, 40:110] = True
    (second,), (second_mask,) = make_sequence(count=1, seed=9)
    a = moved(first, patch & ~lesion, smooth_motion(4, shift=6.0))
    b = moved(second, second_mask, smooth_motion(4, shift=6.0))
    root = write_dataset(tmp_path / "cut", {"cut": (a[0] + b[0], a[1] + b[1])})
    figures = run_effort_protocol(load_dataset(root), next_frame="confidence", user=user)
    row = figures["per_sequence"][0]
    assert row["corrections"] >= 1 and figures["next"] == "confidence"
    assert figures["final_J"] >= 0.8
    # every frame ends right or corrected: the corrected scene's frames come from the correction's rerun
    assert row["corrections"] < 4
    assert len(figures["J_after"]) >= 2 and figures["J_after"][-1] > figures["J_after"][0]


def test_the_command_prints_and_writes_the_figures(smooth, tmp_path, capsys):
    out = tmp_path / "effort.json"
    call_command("benchmark_effort", str(smooth), "--json", str(out), "--segmenter", "opencv")
    figures = json.loads(out.read_text())
    assert set(KEYS) <= set(figures) and figures["segmenter"].startswith("opencv")
    assert "effort ratio" in capsys.readouterr().out


def test_spearman_ranks():
    assert spearman([0.1, 0.2, 0.3, 0.4], [1, 2, 3, 5]) == pytest.approx(1.0)
    assert spearman([0.1, 0.2, 0.3, 0.4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([0.1, 0.1, 0.1], [1, 2, 3]) is None and spearman([1, 2], [1, 2]) is None
