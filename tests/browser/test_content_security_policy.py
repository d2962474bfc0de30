"""The Content-Security-Policy in a real browser: the main pages, the admin's included, run their scripts and draw
their styles with nothing refused (the `page` fixture fails a test on any violation), and a violation is seen."""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from masks.services import save_mask
from sequences.models import FrameSequence
from tags.models import Tag
from tests.browser.conftest import log_in
from tests.browser.test_live_page import untrained_model
from training.models import TrainingRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_main_pages_break_no_rule_of_the_policy(page, live_server, django_user_model, sequence, media_root,
                                                     csp_violations):
    django_user_model.objects.create_superuser(username="chief", password="secret-pass-123")
    polyp = Tag.objects.get(name="Polyp")
    mask = np.zeros((288, 384), bool)
    mask[100:160, 150:210] = True
    saved = save_mask(frame=sequence.frames.get(index=0), tag=polyp, color=polyp.color, mask=mask)
    model = untrained_model(media_root)
    run = TrainingRun.objects.create(name="policy", config={"input_size": [96, 128], "epochs": 2}, history=[
        {"epoch": 1, "train_loss": 0.5, "val_loss": 0.4, "val_dice": 0.6, "learning_rate": 0.001, "seconds": 3}])

    response = page.goto(f"{live_server.url}/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    log_in(page, live_server, "chief", "secret-pass-123")
    expect(page.locator("h1")).to_have_text("Sequences")
    page.wait_for_load_state("load")  # the list's script is attached (on a busy machine it comes after the h1)
    # The list's status select saves on change through its script, not an onchange attribute.
    with page.expect_navigation():
        page.select_option(f"tr[data-sequence-id='{sequence.id}'] select[name=status]", "done")
    expect(page.locator(f"tr[data-sequence-id='{sequence.id}'] select[name=status]")).to_have_class("status-done")
    assert FrameSequence.objects.get(pk=sequence.id).status == "done"

    page.goto(f"{live_server.url}/sequences/{sequence.id}/annotate/")
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    expect(page.locator(".mask-row")).to_have_count(1)
    for path, ready in [
        (f"/sequences/{sequence.id}/", "table.tag-stats"),
        ("/sequences/import/", "form"),
        ("/datasets/", "#export-form"),
        ("/training/", "#training-form"),
        (f"/training/runs/{run.id}/", "#epoch-rows tr"),  # filled by the page's script from its JSON data
        ("/training/models/", "#model-list"),
        ("/admin/", "#content"),
        ("/admin/tags/tag/", "#result_list svg.swatch"),
        (f"/admin/masks/mask/{saved.id}/change/", "svg image"),
        (f"/admin/sequences/frame/{saved.frame_id}/change/", "#content img"),
    ]:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator(ready).first).to_be_attached()
    page.goto(f"{live_server.url}/training/models/{model.id}/live/{sequence.id}/")  # the stream and its data: frames
    expect(page.locator("#live-frame")).to_have_attribute("src", re.compile(r"^data:image/jpeg;base64,"))
    expect(page.locator("#live-state")).to_have_text("ended", timeout=60_000)
    assert page.evaluate("document.getElementById('live-frame').naturalWidth") == 384
    assert not csp_violations

    # The detector itself: an injected inline handler is refused and reported.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=\"data:,\" onerror=\"window.ran = 1\">')")
    page.wait_for_timeout(500)
    assert page.evaluate("window.ran") is None
    assert any("script-src" in violation for violation in csp_violations), csp_violations
    csp_violations.clear()
