"""Online mode in a real browser: the live page plays a sequence through a model over one EventSource."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from training.models import TrainedModel
from training.network import Checkpoint, NetworkConfig, build_network

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def untrained_model(media_root: Path) -> TrainedModel:
    """A model row with an untrained default-size network: the page's plumbing, not its accuracy, is tested."""
    network = NetworkConfig(classes=1, findings=1)
    checkpoint = Checkpoint(network=network, state_dict=build_network(network).state_dict(), class_names=["Polyp"],
                            finding_names=["Bleeding"], input_size=(96, 128))
    (media_root / "models").mkdir(exist_ok=True)
    checkpoint.save(media_root / "models" / "live.pt")
    return TrainedModel.objects.create(name="live", checkpoint="models/live.pt", class_names=["Polyp"],
                                       finding_names=["Bleeding"], input_size=[96, 128])


def test_the_live_page_draws_frames_and_the_achieved_rate(page, live_server, sequence, media_root, screenshot):
    model = untrained_model(media_root)
    sequence.fps = 10
    sequence.save()

    log_in(page, live_server, "annotator", "secret-pass-123", "/training/models/")
    page.click("#model-list .live-form button")
    expect(page).to_have_url(re.compile(rf"/training/models/{model.id}/live/{sequence.id}/$"))
    expect(page.locator("#live-fps")).to_have_text(re.compile(r"^\d+\.\d$"))
    frame = page.locator("#live-frame")
    expect(frame).to_have_attribute("src", re.compile(r"^data:image/jpeg;base64,"))
    assert page.evaluate("document.getElementById('live-frame').naturalWidth") == 384
    expect(page.locator("#live-findings [data-finding=Bleeding] strong")).to_have_text(re.compile(r"^\d+ %$"))
    screenshot("training-live-page")
    expect(page.locator("#live-state")).to_have_text("ended")  # six frames at 10 frames/s, then the end event
    assert page.locator("#live").get_attribute("data-frames") == "6"
    achieved = float(page.locator("#live-fps").text_content())
    assert 5 < achieved < 13  # paced to the sequence's rate
    assert float(page.locator("#live-latency").text_content()) > 0
