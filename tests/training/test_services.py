"""Training runs on an export: recorded epochs, the stored model, cancellation, bad input, the commands."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.errors import InvalidInput
from datasets.models import DatasetExport
from datasets.services import create_export, export_path, run_export
from findings.services import create_finding
from masks.storage import absolute
from tags.models import Tag
from tests.datasets.factories import annotated_sequence
from training.data import load_export
from training.inference import TrainedNetwork
from training.models import TrainedModel, TrainingRun
from training.services import run_training, start_training, train_config

pytestmark = pytest.mark.django_db


@pytest.fixture
def export(polyp, user) -> DatasetExport:
    sequences = [annotated_sequence(f"s{i}", seed=30 + i, count=4, tag=polyp, user=user)[0] for i in range(3)]
    export = create_export(name="tiny", sequences=sequences, tags=[polyp], fractions=(0.34, 0.33, 0.33),
                           enqueue=False)
    assert run_export(export.id) == "succeeded"
    export.refresh_from_db()
    return export


def tiny_config(**options):
    return train_config(**{"epochs": 2, "input_size": (32, 64), "batch_size": 4, "threads": 1, **options})


def test_load_export_gives_the_exported_masks_per_split(export):
    data = load_export(export_path(export.file.name))
    assert data.class_names == ["Polyp"] and data.finding_names == []
    assert {side: len(samples) for side, samples in data.splits.items()} == {"train": 4, "val": 4, "test": 4}
    sample = data.splits["train"][0]
    assert sample.image.dtype.name == "uint8" and sample.image.shape == (48, 64, 3)
    assert sample.masks.shape == (1, 48, 64) and sample.masks.dtype == bool and sample.masks.any()
    assert {s.group for s in data.splits["val"]} == {str(i) for i in export.split["val"]}


@pytest.mark.slow
def test_a_run_records_every_epoch_and_stores_a_usable_model(export, user):
    run = start_training(name="", config=tiny_config(), export=export, created_by=user, enqueue=False)
    assert run.name == "tiny" and run.state == "queued" and run.total == 2
    assert run_training(run.id) == "succeeded"
    run.refresh_from_db()
    assert run.done == run.total == 2 and run.progress == 1.0
    assert [h["epoch"] for h in run.history] == [1, 2] and all(h["val_dice"] is not None for h in run.history)
    model = TrainedModel.objects.get(run=run)
    assert model.class_names == ["Polyp"] and model.input_size == [32, 64] and model.export == export
    assert set(model.metrics) >= {"val_dice", "test_dice", "ms_per_frame", "best_epoch", "epochs"}
    segmenter = TrainedNetwork(absolute(model.checkpoint.name))
    image = load_export(export_path(export.file.name)).splits["test"][0].image
    assert segmenter.predict(image).masks["Polyp"].shape == (48, 64)


@pytest.mark.slow
def test_a_run_cancelled_while_running_stops_and_stores_no_model(export):
    run = start_training(name="stop", config=tiny_config(epochs=20), export=export, enqueue=False)
    TrainingRun.objects.filter(pk=run.pk).update(cancel_requested=True)  # asked while it runs
    assert run_training(run.id) == "cancelled"
    run.refresh_from_db()
    assert run.done == 1 and not TrainedModel.objects.exists()


def test_bad_input_is_refused(export, tmp_path, polyp):
    with pytest.raises(InvalidInput, match="multiples of 16"):
        train_config(input_size=(50, 64))
    with pytest.raises(InvalidInput, match="at least 1"):
        train_config(epochs=0)
    unfinished = create_export(name="queued", sequences=list(export.sequences.all()), tags=[polyp], enqueue=False)
    with pytest.raises(InvalidInput, match="has no zip yet"):
        start_training(name="x", config=tiny_config(), export=unfinished)
    not_a_zip = tmp_path / "x.zip"
    not_a_zip.write_text("hello")
    run = start_training(name="x", config=tiny_config(), export_zip=not_a_zip, enqueue=False)
    assert run_training(run.id) == "failed"
    run.refresh_from_db()
    assert "is not a zip file" in run.error and not TrainedModel.objects.exists()


@pytest.mark.slow
def test_train_model_command_on_a_zip(export, tmp_path, capsys):
    call_command("train_model", "--export-zip", str(export_path(export.file.name)), "--epochs", "1",
                 "--input-size", "32x64", "--batch-size", "4", "--threads", "1", "--name", "cli")
    out = capsys.readouterr().out
    assert "epoch    1" in out and "val Dice" in out
    model = TrainedModel.objects.get()
    assert model.name == "cli" and f"Model {model.id}" in out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--export", "999"], "No dataset export with id 999"),
        (["--export-zip", "/nowhere.zip"], "does not exist"),
        (["--export-zip", "/nowhere.zip", "--input-size", "big"], "write HxW"),
        (["--export-zip", "/nowhere.zip", "--init", "/nowhere.pt"], "Initial weights /nowhere.pt do not exist"),
    ],
)
def test_train_model_command_bad_input(arguments, message, db):
    with pytest.raises(CommandError, match=message):
        call_command("train_model", *arguments)
    assert not TrainingRun.objects.exists()


@pytest.mark.slow
def test_findings_head_is_off_without_findings(export):
    run = start_training(name="f", config=tiny_config(epochs=1, findings_head=True), export=export, enqueue=False)
    assert run_training(run.id) == "succeeded"
    run.refresh_from_db()
    assert any("no frame-level findings" in note for note in run.notes)
    assert TrainedModel.objects.get().finding_names == []


@pytest.mark.slow
def test_findings_head_learns_from_the_exports_frame_findings(polyp, user):
    sequences = [annotated_sequence(f"f{i}", seed=60 + i, count=4, tag=polyp)[0] for i in range(2)]
    blur = Tag.objects.get(name="Blur")
    create_finding(sequence=sequences[0], tag=blur, first_index=0, last_index=1)
    export = create_export(name="findings", sequences=sequences, tags=[polyp], fractions=(0.5, 0.5, 0.0),
                           seed=0, enqueue=False)
    run_export(export.id)
    export.refresh_from_db()
    data = load_export(export_path(export.file.name))
    assert data.finding_names == ["Blur"]
    labelled: dict[str, list[float]] = {}
    for samples in data.splits.values():
        for sample in samples:
            labelled.setdefault(sample.group, []).append(float(sample.findings[0]))
    assert labelled[str(sequences[0].id)] == [1.0, 1.0, 0.0, 0.0] and labelled[str(sequences[1].id)] == [0.0] * 4
    run = start_training(name="f", config=tiny_config(epochs=1, findings_head=True), export=export, enqueue=False)
    assert run_training(run.id) == "succeeded"
    model = TrainedModel.objects.get()
    assert model.finding_names == ["Blur"]
    prediction = TrainedNetwork(absolute(model.checkpoint.name)).predict(data.splits["train"][0].image)
    assert set(prediction.findings) == {"Blur"} and 0 <= prediction.findings["Blur"] <= 1
    # per finding AUC, F1 at the threshold chosen on the validation frames, support: reported with the model
    scored = model.metrics["val_findings"]["per_class"]["Blur"]
    assert set(scored) == {"auc", "f1", "threshold", "support"} and 0 <= scored["f1"] <= 1
    assert 0 < model.metrics["finding_thresholds"]["Blur"] < 1
    assert model.metrics["val_findings"]["macro_f1"] == scored["f1"]  # the one finding's
