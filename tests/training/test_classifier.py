"""The findings classifier: trained on generated frames of three kinds, it recognises unseen ones, keeps the
thresholds chosen on validation frames, and the product's inference applies them."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from reports.models import ProcedureReport
from sequences.services import import_sequence
from tests.conftest import write_frames
from tests.findings.factories import class_image
from training.classifier import FeatureCache, train_classifier
from training.inference import TrainedNetwork
from training.network import CLASSIFIER, Checkpoint
from training.preannotation import run_preannotation, start_preannotation
from training.services import store_model
from training.trainer import Sample, TrainConfig

NAMES = ["BBPS 0–1", "BBPS 2–3", "Caecum"]
KINDS = {"BBPS 0–1": "brown", "BBPS 2–3": "pink", "Caecum": "dark"}
GROUPS = {"Bowel preparation (BBPS)": ["BBPS 0–1", "BBPS 2–3"]}


def samples(per_class: int, seed: int) -> list[Sample]:
    out = []
    for k, name in enumerate(NAMES):
        for i in range(per_class):
            findings = np.zeros(len(NAMES), np.float32)
            findings[k] = 1
            out.append(Sample(image=class_image(KINDS[name], seed + 100 * k + i), masks=np.zeros((0, 60, 72), bool),
                              findings=findings, key=f"{seed}-{k}-{i}", masked=False))
    return out


CONFIG = TrainConfig(epochs=8, input_size=(64, 64), learning_rate=3e-3, threads=1, views=4, classifier_batch_size=8,
                     frozen_blocks=5, augment="light", keep="last")


@pytest.fixture(scope="module")
def trained():
    cache = FeatureCache()
    result = train_classifier(train_samples=samples(6, 1), val_samples=samples(3, 2), finding_names=NAMES,
                              config=CONFIG, groups=GROUPS, cache=cache)
    return result, cache


def test_it_recognises_unseen_frames_and_keeps_thresholds_and_groups(trained, tmp_path):
    result, _ = trained
    checkpoint = result.checkpoint
    assert checkpoint.network.architecture == CLASSIFIER and checkpoint.class_names == []
    assert len(checkpoint.finding_thresholds) == 3 and all(0 < t < 1 for t in checkpoint.finding_thresholds)
    assert checkpoint.finding_groups == GROUPS
    checkpoint.save(tmp_path / "model.pt")
    segmenter = TrainedNetwork(Checkpoint.load(tmp_path / "model.pt"))
    assert segmenter.finding_thresholds == pytest.approx(checkpoint.finding_thresholds)
    right = 0
    for sample in samples(3, 7):
        prediction = segmenter.predict(sample.image)
        assert prediction.masks == {} and set(prediction.findings) == set(NAMES)
        truth = NAMES[int(sample.findings.argmax())]
        right += max(prediction.findings, key=prediction.findings.get) == truth
        # thresholds applied, and never both BBPS classes at once
        assert all(prediction.findings[n] >= segmenter.finding_thresholds[NAMES.index(n)] for n in prediction.shown)
        assert not {"BBPS 0–1", "BBPS 2–3"} <= set(prediction.shown)
    assert right >= 8  # of 9 unseen frames


def test_the_frozen_features_are_computed_once_per_frame_and_view(trained):
    result, cache = trained
    assert len(cache.features) == 18 + 9  # the training frames and the validation frames, each once
    first = next(iter(cache.features.values()))
    assert first.dtype.is_floating_point and first.shape[0] == CONFIG.views
    again = train_classifier(train_samples=samples(6, 1), val_samples=[], finding_names=NAMES,
                             config=replace(CONFIG, epochs=1), groups=GROUPS, cache=cache)
    assert len(cache.features) == 27 and again.checkpoint.finding_thresholds == [0.5, 0.5, 0.5]


def test_a_classifier_pre_annotates_for_the_procedure_report(trained, db, user, tmp_path):
    model = store_model(run=None, result=trained[0], metrics={}, config=CONFIG, name="classes")
    frames = [class_image("pink", 500 + i) for i in range(8)] + [class_image("dark", 600 + i) for i in range(12)]
    with tempfile.TemporaryDirectory() as folder:
        sequence = import_sequence(source=write_frames(Path(folder), frames), name="procedure",
                                   procedure="colonoscopy", created_by=user).sequence
    sequence.fps = 4.0
    sequence.save(update_fields=["fps"])
    job = start_preannotation(model=model, sequence=sequence, created_by=user, enqueue=False)
    assert run_preannotation(job.id) == "succeeded"
    report = ProcedureReport.objects.get(preannotation=job)
    assert report.names == NAMES and len(report.probabilities) == 20
    caecum = report.data["indicators"]["caecum"]
    assert caecum["reached"] and 7 <= caecum["first_frame"] <= 9  # the dark frames from frame 8
    assert report.data["indicators"]["lesions"]["count"] == 0  # a classifier draws no mask


def test_the_models_page_shows_a_classifiers_figures_per_finding(trained, db, client_logged_in):
    metrics = {"test_findings": {"macro_auc": 0.99, "macro_f1": 0.9, "per_class": {
        name: {"auc": 0.99, "f1": 0.9, "threshold": 0.4, "support": 3} for name in NAMES},
        "confusion": {"Bowel preparation (BBPS)": {"classes": NAMES[:2], "matrix": [[3, 0], [1, 2]], "frames": 6}}}}
    store_model(run=None, result=trained[0], metrics=metrics, config=CONFIG, name="classes")
    page = client_logged_in.get("/training/models/").content.decode()
    assert "macro AUC 0.990, F1 0.900 (test frames)" in page and "<td>BBPS 0–1</td><td>0.990</td>" in page
    assert "3 0 / 1 2" in page

