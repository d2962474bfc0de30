"""benchmark_findings end to end on a tiny generated folder-per-class set: imported through the product's
import, every image scored once by a network that never saw it, the figures add up."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from findings.models import FrameFinding
from tests.findings.factories import write_class_folders

pytestmark = pytest.mark.slow

TINY = ["--minutes", "0.6", "--epochs", "4", "--views", "2", "--input-size", "64x64", "--threads", "1",
        "--no-deidentify"]


@pytest.mark.django_db
def test_cross_validation_scores_every_image_once(tmp_path):
    root = write_class_folders(tmp_path / "set", {"normal-cecum": 6, "bbps-2-3": 6, "bbps-0-1": 4},
                               kinds={"normal-cecum": "dark", "bbps-2-3": "pink", "bbps-0-1": "brown"})
    out = tmp_path / "figures.json"
    call_command("benchmark_findings", str(root), "--folds", "2", *TINY, "--json", str(out))
    figures = json.loads(out.read_text())
    assert FrameFinding.objects.count() == 16  # imported into the database the command runs against
    assert figures["images"] == 16 and figures["protocol"] == "2-fold cross-validation"
    assert {name: v["support"] for name, v in figures["per_class"].items()} == {
        "Caecum": 6, "BBPS 0–1": 4, "BBPS 2–3": 6}
    assert sum(fold["images"] for fold in figures["folds"]) == 16
    # the means are over the classes' own figures, the accuracy is the confusion matrix's diagonal
    per_class = figures["per_class"].values()
    assert figures["macro_f1"] == pytest.approx(sum(v["f1"] for v in per_class) / 3)
    assert figures["macro_auc"] == pytest.approx(sum(v["auc"] for v in per_class) / 3)
    confusion = figures["confusion"]["matrix"]
    assert figures["accuracy"] == pytest.approx(sum(confusion[k][k] for k in range(3)) / 16)
    assert figures["minutes"] > 0 and figures["ms_per_frame"] > 0
    assert figures["accuracy"] >= 0.75  # three kinds a colour tells apart


@pytest.mark.django_db
def test_a_test_dir_is_scored_whole_by_a_network_trained_on_all_of_the_set(tmp_path):
    root = write_class_folders(tmp_path / "set", {"polyp": 5, "blur": 5}, seed=1)
    other = write_class_folders(tmp_path / "other", {"polyp": 3, "blur": 2}, seed=2)
    out = tmp_path / "figures.json"
    call_command("benchmark_findings", str(root), "--test-dir", str(other), *TINY, "--json", str(out))
    figures = json.loads(out.read_text())
    assert figures["protocol"] == "test-dir" and figures["images"] == 5
    assert figures["per_class"]["Polyp"]["support"] == 3
