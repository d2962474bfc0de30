"""Extrapolation from the annotation page, with the queue's real worker running beside the live server."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from playwright.sync_api import expect

from masks.models import Mask
from tests.browser.conftest import SERVER, log_in
from tests.browser.test_annotate_page import click_image, deepest_point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(transactional_db):
    """django-tasks-db's worker loop in a thread of this process, on the same (file) test database; against the
    production server, that server's own job workers."""
    if SERVER:
        yield None
        return
    from django_tasks_db.management.commands.db_worker import Worker

    loop = Worker(
        queue_names=["*"], interval=0.1, batch=False, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="browser-test", excluded_queue_names=[],
    )

    def run() -> None:
        try:
            loop.run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield loop
    loop.running = False
    thread.join(timeout=60)


def test_extrapolate_from_the_page(page, live_server, user, sequence, synthetic, worker, screenshot):
    log_in(page, live_server, "annotator", "secret-pass-123", f"/sequences/{sequence.id}/annotate/")
    expect(page.locator("#mask-list")).to_contain_text("No mask on this frame yet.")
    x, y = deepest_point(synthetic[1][0])
    click_image(page, x, y)
    expect(page.locator("#status")).to_contain_text("Preview:")
    page.click("#save-extrapolate")
    expect(page.locator("#job-panel")).to_be_visible()
    expect(page.locator("#job-text")).to_contain_text("Done:", timeout=60_000)
    assert page.evaluate("document.getElementById('job-progress').value") == 5
    # The status line ends with the job (it used to keep saying "Extrapolating…"), and the masks are read again.
    expect(page.locator("#status")).to_contain_text("Extrapolation done:")
    expect(page.locator("#status")).not_to_contain_text("Extrapolating")
    expect(page.locator("#job-cancel")).to_be_hidden()
    screenshot("extrapolation-done")

    propagated = set(Mask.objects.filter(source="propagated").values_list("frame__index", flat=True))
    assert propagated, "the job wrote propagated masks"
    for index in range(1, 6):
        page.keyboard.press("ArrowRight")
        expect(page.locator("#frame-label")).to_have_text(f"{index + 1} / 6")
        expected = 1 if index in propagated else 0
        expect(page.locator(".mask-row.propagated")).to_have_count(expected)
    screenshot("extrapolation-last-frame")
