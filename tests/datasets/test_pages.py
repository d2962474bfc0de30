"""The exports page (login, form errors, creating an export through the queue), download, status API,
and the export_dataset command."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from datasets.models import DatasetExport

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def form(chosen, chosen_tags, **fields) -> dict:
    return {"name": "Polyps v1", "sequences": [s.id for s in chosen], "tags": [t.id for t in chosen_tags],
            "train_fraction": 0.6, "val_fraction": 0.2, "test_fraction": 0.2, "seed": 4, **fields}


@pytest.mark.parametrize("url", ["/datasets/", "/datasets/exports/1/download/"])
def test_pages_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_create_from_the_page_then_download(client, user, annotated, polyp, immediate_tasks,
                                            django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/datasets/", form(annotated, [polyp]))
    assert response.status_code == 302 and response.url == "/datasets/"
    export = DatasetExport.objects.get()
    assert export.state == "succeeded" and export.created_by == user and export.seed == 4
    page = client.get("/datasets/").content.decode()
    assert "Polyps v1" in page and f"/datasets/exports/{export.id}/download/" in page
    download = client.get(f"/datasets/exports/{export.id}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert "manifest.json" in archive.namelist()
    status = client.get(f"/api/exports/{export.id}/").json()
    assert status["state"] == "succeeded" and status["progress"] == 1.0 and status["counts"] == export.counts


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"train_fraction": 0.5}, "must sum to 1 (they sum to 0.9)"),
        ({"sequences": []}, "This field is required."),
        ({"tags": [999]}, "Select a valid choice."),
        ({"name": ""}, "This field is required."),
        ({"train_fraction": 0, "val_fraction": 0.5, "test_fraction": 0.5}, "The train fraction must be above 0."),
    ],
)
def test_form_errors_are_shown_and_nothing_is_created(client, user, annotated, polyp, fields, message):
    client.force_login(user)
    response = client.post("/datasets/", form(annotated, [polyp], **fields))
    assert response.status_code == 200 and message in response.content.decode()
    assert not DatasetExport.objects.exists()


def test_status_api_errors_are_json(client, user, api):
    assert client.get("/api/exports/1/").status_code == 401
    response = api.get("/api/exports/12345/")
    assert response.status_code == 404 and response.json() == {"error": "No dataset export with id 12345."}


def test_download_of_an_unfinished_export_is_404(client, user, annotated, polyp):
    from datasets.services import create_export

    export = create_export(name="queued", sequences=annotated, tags=[polyp], enqueue=False)
    client.force_login(user)
    assert client.get(f"/datasets/exports/{export.id}/download/").status_code == 404


def test_export_dataset_command(tmp_path, annotated, polyp, ulcer):
    out = tmp_path / "out" / "polyps.zip"
    ids = [str(s.id) for s in annotated[:4]]
    call_command("export_dataset", "--name", "cli", *sum((["--sequence", i] for i in ids), []), "--tag", "Polyp",
                 "--include-propagated", "--split", "0.5", "0.25", "0.25", "--out", str(out))
    export = DatasetExport.objects.get()
    assert export.include_propagated and list(export.tags.all()) == [polyp]
    assert sorted(sum(export.split.values(), [])) == sorted(int(i) for i in ids)
    assert zipfile.ZipFile(out).read("manifest.json")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--out", "x.tar"], "--out must name a .zip file"),
        (["--sequence", "999", "--out", "x.zip"], "No sequence with id 999"),
        (["--tag", "Unicorn", "--out", "x.zip"], "No tag named 'Unicorn'"),
        (["--split", "0.5", "0.5", "0.5", "--out", "x.zip"], "must sum to 1"),
    ],
)
def test_export_dataset_command_bad_input(annotated, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_dataset", "--name", "cli", *arguments)
    assert not DatasetExport.objects.exists()
