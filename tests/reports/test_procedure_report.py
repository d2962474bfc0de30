"""A generated colonoscopy run through a real (small, quickly trained) model by the pre-annotation job: the
report's figures checked one by one against what the procedure holds, its page, JSON and CSV."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest

from reports.models import ProcedureReport
from sequences.services import import_sequence
from tests.conftest import write_frames
from tests.reports.procedure import FINDINGS, FPS, procedure_frames, training_samples
from training.preannotation import run_preannotation, start_preannotation
from training.services import store_model
from training.trainer import TrainConfig, train

CONFIG = TrainConfig(epochs=25, batch_size=4, input_size=(64, 96), learning_rate=1e-2, seed=1, threads=1,
                     widths=(8, 16, 24, 32, 48), ema_decay=0.8, augment="none", architecture="unet-lite",
                     findings_head=True, findings_weight=1.0)


@pytest.fixture(scope="module")
def trained():
    return train(train_samples=training_samples(1), val_samples=training_samples(2), class_names=["Polyp"],
                 finding_names=FINDINGS, config=CONFIG)


@pytest.fixture
def report(trained, db, user) -> ProcedureReport:
    model = store_model(run=None, result=trained, metrics={}, config=CONFIG, name="procedure model")
    with tempfile.TemporaryDirectory() as folder:
        sequence = import_sequence(source=write_frames(Path(folder), procedure_frames()), name="Generated colonoscopy",
                                   procedure="colonoscopy", created_by=user).sequence
    sequence.fps = FPS
    sequence.save(update_fields=["fps"])
    job = start_preannotation(model=model, sequence=sequence, created_by=user, enqueue=False)
    assert run_preannotation(job.id) == "succeeded"
    return ProcedureReport.objects.get(preannotation=job)


def test_the_report_holds_what_the_procedure_shows(report):
    data = report.data
    assert data["frames"] == 140 and data["fps"] == FPS and data["procedure"] == "colonoscopy"
    indicators = data["indicators"]
    # the caecum: frames 40-54, i.e. reached at 8 s
    assert indicators["caecum"]["reached"] and abs(indicators["caecum"]["first_frame"] - 40) <= 2
    assert data["landmarks"]["Caecum"]["reached"]
    # withdrawal: from the caecum (frame 40) to the last frame in the body (129): 90 frames, 18 s, below 6 min
    assert indicators["withdrawal"]["seconds"] == pytest.approx(18.0, abs=0.8)
    assert indicators["withdrawal"]["meets_minimum"] is False
    assert abs(indicators["withdrawal"]["last_frame"] - 129) <= 2
    # blurred: frames 85-99, 15 of the 120 frames in the body
    assert indicators["blur"]["share"] == pytest.approx(15 / 120, abs=0.03)
    assert abs(indicators["blur"]["stretches"][0]["first_frame"] - 85) <= 2
    # out of the body: frames 0-9 and 130-139, 4 s
    assert indicators["out_of_body"]["seconds"] == pytest.approx(4.0, abs=0.6)
    assert len(indicators["out_of_body"]["stretches"]) == 2
    # two lesions: frames 60-69 (moving) and 110-119
    lesions = data["lesions"]
    assert indicators["lesions"]["count"] == 2 and len(lesions) == 2
    assert abs(lesions[0]["first_frame"] - 60) <= 1 and abs(lesions[1]["first_frame"] - 110) <= 1
    assert 60 <= lesions[0]["largest_frame"] <= 69 and lesions[1]["largest_share"] > 0.03
    assert set(report.thumbnails) == {"1", "2"} and report.thumbnails["1"].startswith("data:image/jpeg;base64,")


def test_the_page_json_and_csv_link_every_figure_to_its_frames(report, client_logged_in):
    page = client_logged_in.get(f"/reports/{report.id}/")
    assert page.status_code == 200
    html = page.content.decode()
    annotate = f"/sequences/{report.sequence_id}/annotate/?frame="
    caecum_frame = report.data["indicators"]["caecum"]["first_frame"]
    assert f'href="{annotate}{caecum_frame}"' in html and 'data-lesion="2"' in html and "report.css" in html
    data = client_logged_in.get(f"/api/reports/{report.id}/").json()
    assert data["indicators"]["caecum"]["url"] == f"{annotate}{caecum_frame}"
    assert all(lesion["first_url"].startswith(annotate) for lesion in data["lesions"])
    rows = list(csv.DictReader(io.StringIO(client_logged_in.get(f"/reports/{report.id}/report.csv").content.decode())))
    by_name = {row["name"]: row for row in rows if row["section"] == "indicator"}
    assert by_name["Caecum reached"]["value"] == "True" and by_name["Lesions"]["value"] == "2"
    assert by_name["Withdrawal time"]["link"] == f"{annotate}{caecum_frame}"
    assert sum(row["section"] == "lesion" for row in rows) == 2
    models_page = client_logged_in.get("/training/models/").content.decode()
    assert f'href="/reports/{report.id}/">procedure report</a>' in models_page  # beside its pre-annotation job
