"""A one-sequence export (issue 14, bug 6): said at export time (the export page, the manifest) and on the training
form; training then validates on a contiguous block of held-out frames, labelled as such, instead of "val Dice —"."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.management import call_command

from core.jobs import job_status_json
from datasets.models import DatasetExport
from datasets.services import create_export, export_path, run_export
from datasets.splits import frame_block_split, split_warnings
from tests.datasets.factories import annotated_sequence
from training.data import load_export
from training.services import hold_out_frames, run_training, start_training, train_config

pytestmark = pytest.mark.django_db


@pytest.fixture
def lone(polyp, user):
    """An export of one 12-frame sequence: everything lands in train."""
    sequence = annotated_sequence("lone", seed=40, count=12, tag=polyp, user=user)[0]
    export = create_export(name="lone", sequences=[sequence], tags=[polyp], enqueue=False)
    assert run_export(export.id) == "succeeded"
    export.refresh_from_db()
    return export


def test_frame_block_split_holds_out_the_end_after_a_gap():
    assert frame_block_split(40) == (list(range(32)), list(range(34, 40)))  # 6 held out, a gap of 2
    assert frame_block_split(4) == ([0, 1, 2], [3])
    assert frame_block_split(3) == ([0, 1], [2])
    assert frame_block_split(2) == ([0, 1], [])


def test_split_warnings_name_what_is_missing():
    assert "One sequence only" in split_warnings({"train": [1], "val": [], "test": []})[0]
    assert "No validation sequence" in split_warnings({"train": [1, 2], "val": [], "test": [3]})[0]
    assert split_warnings({"train": [1], "val": [2], "test": []}) == ["No test sequence: the trained model gets no "
                                                                       "test score."]
    assert split_warnings({"train": [1], "val": [2], "test": [3]}) == []


def test_the_export_says_it_in_its_manifest_and_on_its_page(lone, client_logged_in):
    assert lone.split == {"train": [lone.sequences.get().id], "val": [], "test": []}
    with zipfile.ZipFile(export_path(lone.file.name)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["warnings"] and "One sequence only" in manifest["warnings"][0]
    page = client_logged_in.get("/datasets/").content.decode()
    assert "split-warning" in page and "One sequence only" in page


def test_the_training_form_says_it(lone, client_logged_in):
    page = client_logged_in.get("/training/").content.decode()
    assert f"lone (#{lone.id}) — no validation sequence" in page


@pytest.mark.slow
def test_training_validates_on_a_labelled_block_of_held_out_frames(lone, user, client_logged_in):
    data, validation = hold_out_frames(load_export(export_path(lone.file.name)))
    assert validation == {"by": "frames", "frames": 2, "sequences": 1,
                          "label": "frames held out of the training sequences"}
    assert len(data.splits["train"]) == 9 and len(data.splits["val"]) == 2  # frames 1–9, then a gap, 11–12

    config = train_config(epochs=2, input_size=(32, 64), batch_size=4, threads=1)
    run = start_training(name="", config=config, export=lone, created_by=user, enqueue=False)
    assert run_training(run.id) == "succeeded"
    run.refresh_from_db()
    assert run.validation["by"] == "frames" and all(h["val_dice"] is not None for h in run.history)
    assert run.best_val_dice == max(h["val_dice"] for h in run.history)
    status = job_status_json(run)
    assert status["validation_label"] == "Validation Dice (frames held out of the training sequences)"
    page = client_logged_in.get(f"/training/runs/{run.id}/").content.decode()
    assert 'id="validation-note"' in page and "2 frames at the end of the training sequence" in page


def test_the_export_command_and_the_status_api_say_it(polyp, user, api, tmp_path):
    sequence = annotated_sequence("alone", seed=41, count=3, tag=polyp, user=user)[0]
    out = io.StringIO()
    call_command("export_dataset", "--name", "cli", "--sequence", str(sequence.id), "--tag", "Polyp",
                 "--out", str(tmp_path / "one.zip"), stdout=out)
    assert "Warning: One sequence only" in out.getvalue()
    export = DatasetExport.objects.get()
    assert "One sequence only" in api.get(f"/api/exports/{export.id}/").json()["warnings"][0]
