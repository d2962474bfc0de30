"""benchmark_training end to end on a generated BENCHMARKS.md-layout folder, in its own scratch database:
both protocols run, every sequence is scored by a network that never saw it, the figures add up."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.core.management import call_command

from datasets.services import export_path
from masks.storage import absolute
from sequences.models import FrameSequence
from tests.datasets.factories import write_dataset
from training.data import load_export
from training.inference import TrainedNetwork
from training.models import TrainedModel
from training.trainer import dice, mean_dice

pytestmark = pytest.mark.slow

TINY = ["--minutes", "0.2", "--epochs", "2", "--input-size", "32x48"]


@pytest.fixture
def dataset(tmp_path):
    root = tmp_path / "set"
    write_dataset(root, {f"seq-{i}": ([f"{i}-{j}.png" for j in range(4)], 40 + i) for i in range(4)})
    return root


def test_cross_validation_scores_every_sequence_once_with_a_network_that_never_saw_it(dataset, tmp_path):
    out = tmp_path / "figures.json"
    call_command("benchmark_training", str(dataset), "--folds", "2", "--parallel", "2", *TINY, "--json", str(out))
    figures = json.loads(out.read_text())
    assert figures["protocol"] == "2-fold cross-validation by sequence, last epoch"
    folds = figures["folds"]
    assert sorted(name for fold in folds for name in fold["val_sequences"]) == [f"seq-{i}" for i in range(4)]
    for variant in ("plain", "flips"):
        scores = figures[variant]
        assert set(scores["dice_per_sequence"]) == {f"seq-{i}" for i in range(4)}
        assert scores["mean_over_sequences"] == pytest.approx(np.mean(list(scores["dice_per_sequence"].values())))
        assert scores["worst_fold"] == min(f[f"dice_{variant}"] for f in folds)
    assert all(1 <= fold["epochs"] <= 2 and fold["run_id"] != folds[0]["run_id"] for fold in folds[1:])
    assert figures["machine"]["torch_threads_per_run"] == 1 and figures["ms_per_frame_384x288"] > 0


@pytest.mark.django_db
def test_hold_out_reports_validation_and_test_dice(dataset, tmp_path):
    out = tmp_path / "figures.json"
    call_command("benchmark_training", str(dataset), "--split", "0.5", "0.25", "0.25", *TINY, "--in-place",
                 "--json", str(out))
    figures = json.loads(out.read_text())
    assert figures["protocol"] == "hold-out"
    assert [len(figures["split"][side]) for side in ("train", "val", "test")] == [2, 1, 1]
    # In place the kept network stays: its Dice on each held-out side, scored here frame by frame.
    model = TrainedModel.objects.get(pk=figures["model_id"])
    segmenter = TrainedNetwork(absolute(model.checkpoint.name))
    data = load_export(export_path(model.run.export.file.name))
    names = dict(FrameSequence.objects.values_list("id", "name"))
    for side, figure in (("val", "val_dice_best_epoch"), ("test", "test_dice")):
        samples = data.splits[side]
        assert sorted({names[int(s.group)] for s in samples}) == figures["split"][side]
        scores = [dice(segmenter.predict(s.image).binary()["Polyp"], s.masks[0]) for s in samples]
        assert figures[figure] == pytest.approx(mean_dice(scores, [s.group for s in samples]), abs=1e-3)


def test_test_dirs_score_every_sequence_of_other_folders_including_a_folder_of_single_images(dataset, tmp_path):
    other = tmp_path / "other-hospital"
    write_dataset(other, {f"proc-{i}": ([f"p{i}-{j}.png" for j in range(3)], 70 + i) for i in range(2)})
    singles = tmp_path / "single-images"
    write_dataset(singles, {"all": ([f"img{j}.png" for j in range(3)], 90)})
    (singles / "sequences.json").unlink()  # frames/ and masks/ only: each image its own sequence
    out = tmp_path / "figures.json"
    call_command("benchmark_training", str(dataset), *TINY, "--test-dir", str(other), "--test-dir", str(singles),
                 "--json", str(out))
    figures = json.loads(out.read_text())
    assert figures["architecture"] == "unet-efficientnet-lite0" and figures["ms_per_frame"] > 0
    assert sorted(len(figures["split"][side]) for side in ("train", "val")) == [1, 3]  # all of it trains but val
    assert figures["split"]["test"] == []
    tests = figures["tests"]
    assert set(tests) == {"other-hospital", "single-images"}
    assert set(tests["other-hospital"]["per_sequence"]) == {"proc-0", "proc-1"}
    assert tests["other-hospital"]["frames"] == 6
    assert set(tests["single-images"]["per_sequence"]) == {"img0", "img1", "img2"}
    first = tests["other-hospital"]
    assert figures["test_dice"] == first["test_dice"] == pytest.approx(np.mean(list(first["per_sequence"].values())))


def test_test_dirs_are_checked_before_anything_runs(dataset, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="not a dataset folder"):
        call_command("benchmark_training", str(dataset), *TINY, "--test-dir", str(tmp_path / "nowhere"))
    with pytest.raises(CommandError, match="not with --folds"):
        call_command("benchmark_training", str(dataset), *TINY, "--folds", "2", "--test-dir", str(dataset))
