"""Pages that show a background job follow it to its end (static/js/jobs.js): the pre-annotation list, a training
run's page. The job's row is moved to its final state in the database, as a worker would, while the page is open.
(Extrapolation on the annotation page: tests/browser/test_extrapolation_page.py.)"""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from training.models import PreannotationJob, TrainedModel, TrainingRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_preannotation_list_follows_a_job_to_its_end(page, live_server, user, sequence):
    model = TrainedModel.objects.create(name="m", checkpoint="models/missing.pt", class_names=["Polyp"],
                                        input_size=[96, 128], created_by=user)
    job = PreannotationJob.objects.create(model=model, sequence=sequence, created_by=user, total=40)
    log_in(page, live_server, "annotator", "secret-pass-123", "/training/models/")
    row = page.locator(f'#preannotation-list tr[data-job="{job.id}"]')
    expect(row).to_contain_text("Queued")
    expect(row).to_contain_text("0 / 40")
    PreannotationJob.objects.filter(pk=job.pk).update(state="succeeded", done=40, written=12,
                                                      finished_at=timezone.now())
    expect(row.locator(".job-state")).to_have_text("Succeeded", timeout=10_000)
    expect(row.locator(".job-frames")).to_have_text("40 / 40")
    expect(row.locator(".job-written")).to_have_text("12")


def test_a_training_run_page_follows_the_run_to_its_end(page, live_server, user):
    run = TrainingRun.objects.create(name="run", config={"input_size": [96, 128], "epochs": 2}, total=2,
                                     created_by=user)
    log_in(page, live_server, "annotator", "secret-pass-123", f"/training/runs/{run.id}/")
    expect(page.locator("#run-state")).to_have_text("Queued")
    expect(page.locator("#run-cancel")).to_be_visible()
    TrainingRun.objects.filter(pk=run.pk).update(
        state="succeeded", done=2, best_val_dice=0.5, finished_at=timezone.now(),
        history=[{"epoch": e, "train_loss": 1 - e / 5, "val_loss": 1 - e / 4, "val_dice": e / 4, "learning_rate": 1e-3,
                  "seconds": 3} for e in (1, 2)])
    expect(page.locator("#run-state")).to_have_text("Succeeded", timeout=15_000)
    expect(page.locator("#run-epochs")).to_have_text("2 / 2")
    expect(page.locator("#run-cancel")).to_have_count(0)
