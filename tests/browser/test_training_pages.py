"""The export and training pages in a real browser (issue 14): a one-sequence export warned about where it is made
and where it is trained on (bug 6); the training run's chart readable — axes, labels, validation Dice, as wide as
the page — with the per-epoch table collapsed (bug 9)."""

from __future__ import annotations

import json
import time
import zipfile

import pytest
from playwright.sync_api import expect

from datasets.models import DatasetExport
from findings.services import create_finding
from tags.models import Tag
from tests.browser.conftest import log_in
from tests.datasets.factories import annotated_sequence
from training.models import TrainingRun

# serialized_rollback: the flush between transactional tests would otherwise drop the migrated tag taxonomy.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_one_sequence_export_is_warned_about_on_both_pages(page, live_server, user, settings, screenshot):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    polyp = Tag.objects.get(name="Polyp")
    sequence = annotated_sequence("alone", seed=61, count=3, tag=polyp)[0]
    log_in(page, live_server, "annotator", "secret-pass-123", "/datasets/")
    page.fill("#id_name", "One procedure")
    page.check(f"#export-form input[name=sequences][value='{sequence.id}']")
    page.check(f"#export-form input[name=tags][value='{polyp.id}']")
    page.click("#export-form button[type=submit]")
    expect(page.locator(".messages li.warning")).to_contain_text("One sequence only")
    expect(page.locator(".export-row .split-warning")).to_contain_text("no validation or test sequence")
    screenshot("export-page-split-warning")
    export = DatasetExport.objects.get()
    # against the production server the export runs on its job worker, not in this process: wait for it
    deadline = time.monotonic() + 120
    while DatasetExport.objects.get(pk=export.pk).state != "succeeded" and time.monotonic() < deadline:
        time.sleep(0.5)
    page.goto(f"{live_server.url}/training/")
    option = page.locator(f"#id_export option[value='{export.id}']")
    expect(option).to_have_text(f"One procedure (#{export.id}) — no validation sequence")
    expect(page.locator("#training-form")).to_contain_text("held out for validation")


def test_a_frame_classification_export_is_made_from_findings_alone(page, live_server, user, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    polyp, blur = Tag.objects.get(name="Polyp"), Tag.objects.get(name="Blur")
    sequences = [annotated_sequence(f"quality-{i}", seed=63 + i, count=3, tag=polyp)[0] for i in range(2)]
    for sequence in sequences:
        create_finding(sequence=sequence, tag=blur, first_index=1, last_index=2)
    log_in(page, live_server, "annotator", "secret-pass-123", "/datasets/")
    page.fill("#id_name", "Blur frames")
    for sequence in sequences:
        page.check(f"#export-form input[name=sequences][value='{sequence.id}']")
    page.check(f"#export-form input[name=tags][value='{blur.id}']")  # a tag without any mask
    page.click("#export-form button[type=submit]")
    row = page.locator(".export-row").first
    expect(row.locator(".state")).to_have_text("Succeeded")
    with page.expect_download() as download_info:
        row.locator("a.download").click()
    path = tmp_path / "blur.zip"
    download_info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        documents = [json.loads(archive.read(f"annotations/instances_{side}.json")) for side in ("train", "val")]
    images = [image for document in documents for image in document["images"]]
    assert sorted(image["frame_index"] for image in images) == [1, 1, 2, 2]  # the Blur frames, no mask needed
    assert not any(image["masked"] or image["label_file"] for image in images)


def history(epochs: int) -> list[dict]:
    return [{"epoch": e, "train_loss": 1.2 / e, "val_loss": 1.4 / e, "val_dice": min(0.9, 0.1 * e),
             "val_dice_per_class": {}, "learning_rate": 1e-3, "seconds": 3.0 * e} for e in range(1, epochs + 1)]


def test_the_training_chart_has_axes_and_dice_and_fits_the_page(page, live_server, user, screenshot):
    run = TrainingRun.objects.create(
        name="chart", config={"input_size": [192, 256], "epochs": 300}, history=history(300), total=300, done=300,
        best_val_dice=0.9, state=TrainingRun.State.SUCCEEDED, validation={"by": "frames", "frames": 4, "sequences": 1},
    )
    log_in(page, live_server, "annotator", "secret-pass-123", f"/training/runs/{run.id}/")
    chart = page.locator("#run-chart svg.training-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("text.chart-label")).to_have_text(
        ["Epoch", "Loss", "Validation Dice"])
    expect(chart.locator("path[data-series=val_dice]")).to_have_count(1)
    expect(chart.locator("path[data-series=train_loss]")).to_have_count(1)
    expect(chart.locator("path[data-series=val_dice] title")).to_have_text(
        "Validation Dice (frames held out of the training sequences)")
    assert "300" in chart.locator("text.chart-tick").all_text_contents()  # the last epoch on the axis
    card = page.locator("section.card").first.bounding_box()
    box = chart.bounding_box()
    assert box["width"] > card["width"] - 60 and box["height"] < 400  # as wide as its card, not a fixed 720 px

    screenshot("training-run-chart")
    table = page.locator("#epoch-table")
    expect(table).not_to_have_attribute("open", "")
    expect(page.locator("#epoch-rows tr").first).to_be_hidden()  # 300 rows folded away
    assert page.evaluate("document.documentElement.scrollHeight") < 1600
    table.locator("summary").click()
    expect(page.locator("#epoch-rows tr")).to_have_count(300)
    expect(page.locator("#epoch-rows tr").first).to_be_visible()

    page.set_viewport_size({"width": 800, "height": 900})
    page.wait_for_function(
        "Math.abs(document.querySelector('#run-chart svg').getAttribute('width')"
        " - document.getElementById('run-chart').clientWidth) < 5")
    narrow = chart.bounding_box()
    assert narrow["width"] < box["width"] - 200
