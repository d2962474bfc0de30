"""Training pages: login, starting a run (form errors too), watching it, the models page, the status API."""

from __future__ import annotations

import pytest

from datasets.services import create_export, run_export
from tests.datasets.factories import annotated_sequence
from training.models import TrainedModel, TrainingRun
from training.services import run_training

pytestmark = pytest.mark.django_db


@pytest.fixture
def export(polyp, user):
    sequences = [annotated_sequence(f"s{i}", seed=40 + i, count=3, tag=polyp)[0] for i in range(2)]
    export = create_export(name="pages", sequences=sequences, tags=[polyp], fractions=(0.5, 0.5, 0.0),
                           enqueue=False)
    run_export(export.id)
    return export


@pytest.mark.parametrize(
    "url", ["/training/", "/training/runs/1/", "/training/models/", "/training/models/1/checkpoint/"]
)
def test_pages_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/login/")


@pytest.mark.slow
def test_start_watch_and_list_the_model(client, user, export, django_capture_on_commit_callbacks):
    client.force_login(user)
    form = {"name": "first", "export": export.id, "epochs": 1, "minutes": 5, "input_size": "144x192",
            "architecture": "unet-lite"}
    with django_capture_on_commit_callbacks(execute=False):  # queued, not run: the test runs it below
        response = client.post("/training/", form)
    run = TrainingRun.objects.get()
    assert response.status_code == 302 and response.url == f"/training/runs/{run.id}/"
    assert run.config["input_size"] == [144, 192] and run.config["minutes"] == 5 and run.created_by == user
    assert run.config["architecture"] == "unet-lite"
    page = client.get(response.url).content.decode()
    assert "Training run “first”" in page and 'id="run-status"' in page
    run_training(run.id)
    status = client.get(f"/api/training-runs/{run.id}/").json()
    assert status["state"] == "succeeded" and status["epochs_done"] == 1 and len(status["history"]) == 1
    assert status["history"][0]["train_loss"] > 0 and status["model_id"] == TrainedModel.objects.get().id
    models = client.get("/training/models/").content.decode()
    assert "first" in models and "Polyp" in models
    checkpoint = client.get(f"/training/models/{status['model_id']}/checkpoint/")
    assert checkpoint.status_code == 200 and len(b"".join(checkpoint.streaming_content)) > 1000


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"export": ""}, "This field is required."),
        ({"epochs": 0}, "Ensure this value is greater than or equal to 1."),
        ({"input_size": "10x10"}, "Select a valid choice."),
    ],
)
def test_form_errors(client, user, export, fields, message):
    client.force_login(user)
    form = {"name": "x", "export": export.id, "epochs": 1, "minutes": 5, "input_size": "144x192",
            "architecture": "unet-lite", **fields}
    response = client.post("/training/", form)
    assert response.status_code == 200 and message in response.content.decode()
    assert not TrainingRun.objects.exists()


def test_status_api_errors_are_json(client, api):
    assert client.get("/api/training-runs/1/").status_code == 401
    response = api.get("/api/training-runs/777/")
    assert response.status_code == 404 and response.json() == {"error": "No training run with id 777."}
