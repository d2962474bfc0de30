"""Online mode in a real browser: the live page plays a sequence or an uploaded video through a model over one
streamed response, and says so when the server is busy."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SERVER, log_in
from training.models import LiveVideo, TrainedModel
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
    assert 0 < achieved < 13  # paced: never faster than the sequence's rate (how much slower depends on the load)
    assert float(page.locator("#live-latency").text_content()) > 0
    # the procedure's indicators accrued as it played, and its report was saved when it ended
    expect(page.locator("#live-indicators [data-indicator=lesions]")).to_contain_text("Lesions:")
    expect(page.locator("#live-report")).to_be_visible()
    page.click("#live-report-link")
    expect(page.locator("h1")).to_contain_text("Procedure report:")


def write_video(path: Path, images, fps: float) -> Path:
    """uint8 RGB ``images`` as an MPEG-4 (mp4v) file, which this OpenCV build writes and reads."""
    height, width = images[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    assert writer.isOpened()
    for image in images:
        writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def test_an_uploaded_video_plays_live_with_the_models_overlay(page, live_server, user, synthetic, media_root,
                                                              tmp_path, screenshot):
    model = untrained_model(media_root)
    video_file = write_video(tmp_path / "procedure.mp4", synthetic[0], fps=10)

    log_in(page, live_server, "annotator", "secret-pass-123", "/training/models/")
    page.set_input_files("#id_video", str(video_file))
    page.select_option("#id_model", str(model.id))
    page.click("#live-video-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/training/models/\d+/live/video/\d+/$"))
    video = LiveVideo.objects.get()
    assert page.url.endswith(f"/training/models/{model.id}/live/video/{video.id}/") and video.fps == 10
    expect(page.locator("h1")).to_contain_text("procedure.mp4")
    expect(page.locator("#live-frame")).to_have_attribute("src", re.compile(r"^data:image/jpeg;base64,"))
    assert page.evaluate("document.getElementById('live-frame').naturalWidth") == 384
    expect(page.locator("#live-tags")).to_have_text(re.compile(r"^(Polyp|none)$"))  # each frame says its masks
    expect(page.locator("#live-findings [data-finding=Bleeding] strong")).to_have_text(re.compile(r"^\d+ %$"))
    expect(page.locator("#live-state")).to_have_text("ended")
    assert page.locator("#live").get_attribute("data-frames") == "6"  # every frame of the file, then the end
    assert re.fullmatch(r"\d+\.\d", page.locator("#live-fps").text_content())
    assert float(page.locator("#live-latency").text_content()) > 0
    screenshot("training-live-video")

    page.goto(f"{live_server.url}/training/models/")  # listed: it plays again, and it can be deleted
    row = page.locator(f"#live-video-list tr[data-video='{video.id}']")
    screenshot("training-models-live-videos")
    row.locator(".live-form button").click()
    expect(page).to_have_url(re.compile(rf"/training/models/{model.id}/live/video/{video.id}/$"))
    expect(page.locator("#live-state")).to_have_text("ended")
    page.goto(f"{live_server.url}/training/models/")
    page.locator(f"#live-video-list tr[data-video='{video.id}'] .live-video-delete button").click()
    expect(page.locator("#live-video-list")).to_have_count(0)
    assert not LiveVideo.objects.exists() and not (media_root / video.file.name).exists()


@pytest.mark.skipif(bool(SERVER), reason="sets LIVE_MAX_STREAMS in this process, which the production server is not")
def test_a_busy_server_says_so_on_the_live_page(page, live_server, sequence, media_root, settings):
    model = untrained_model(media_root)
    settings.LIVE_MAX_STREAMS = 0
    log_in(page, live_server, "annotator", "secret-pass-123", f"/training/models/{model.id}/live/{sequence.id}/")
    state = page.locator("#live-state")
    expect(state).to_contain_text("LIVE_MAX_STREAMS")
    expect(state).to_have_class(re.compile(r"\berror\b"))
    expect(page.locator("#live-toggle")).to_have_text("Play")
