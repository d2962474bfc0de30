"""The exports page in a real browser: create an export from the form, watch it finish, download the zip."""

from __future__ import annotations

import json
import zipfile

import pytest
from playwright.sync_api import expect

from datasets.models import DatasetExport
from tags.models import Tag
from tests.browser.conftest import log_in
from tests.datasets.factories import annotated_sequence

# serialized_rollback: the flush between transactional tests would otherwise drop the migrated tag taxonomy.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_create_an_export_and_download_its_zip(page, live_server, user, settings, tmp_path, screenshot):
    # The queue runs the job as soon as the request commits: no separate worker in the test.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    polyp = Tag.objects.get(name="Polyp")
    sequences = [annotated_sequence(f"browser-{i}", seed=50 + i, count=3, tag=polyp)[0] for i in range(3)]

    log_in(page, live_server, "annotator", "secret-pass-123", "/datasets/")
    expect(page.locator("h1")).to_have_text("Dataset exports")
    page.fill("#id_name", "Polyps from the browser")
    for sequence in sequences:
        page.check(f"#export-form input[name=sequences][value='{sequence.id}']")
    page.check(f"#export-form input[name=tags][value='{polyp.id}']")
    page.fill("#id_train_fraction", "0.5")
    page.fill("#id_val_fraction", "0.6")
    page.click("#export-form button[type=submit]")
    expect(page.locator("#export-form .error")).to_contain_text("must sum to 1")  # the form keeps what was typed
    page.fill("#id_val_fraction", "0.25")
    page.fill("#id_test_fraction", "0.25")
    page.click("#export-form button[type=submit]")

    expect(page.locator(".messages")).to_contain_text("queued")
    row = page.locator(".export-row").first
    expect(row.locator(".state")).to_have_text("Succeeded")
    screenshot("datasets-export-list")
    with page.expect_download() as download_info:
        row.locator("a.download").click()
    download = download_info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    export = DatasetExport.objects.get()
    assert path.name.endswith(".zip") and export.name == "Polyps from the browser"
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["export"]["id"] == export.id and manifest["counts"]["train"]["frames"] == 3
    assert sorted(manifest["split"]["train"] + manifest["split"]["val"] + manifest["split"]["test"]) == sorted(
        s.id for s in sequences)
