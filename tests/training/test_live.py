"""Online mode: the framework-free pipeline (read → predict → overlay → encode), pacing, and the SSE stream."""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from sequences.services import import_sequence
from sequences.synthetic import make_sequence
from tests.conftest import write_frames
from training.inference import Segmenter
from training.live import LivePipeline, overlay, play
from training.services import store_model
from training.trainer import TrainConfig, train

pytestmark = pytest.mark.django_db

CONFIG = TrainConfig(epochs=12, batch_size=4, input_size=(64, 96), learning_rate=1e-2, seed=1, threads=1,
                     widths=(8, 16, 24, 32, 48), ema_decay=0.8)
RED = (255, 0, 0)


@pytest.fixture(scope="module")
def trained(lesion_data):
    train_samples, val_samples = lesion_data
    return train(train_samples=train_samples, val_samples=val_samples, class_names=["Polyp"], config=CONFIG)


@pytest.fixture(scope="module")
def unseen():
    return make_sequence(count=3, height=64, width=96, seed=23)


@pytest.fixture
def model(trained, polyp):
    return store_model(run=None, result=trained, metrics={}, config=CONFIG, name="tiny")


@pytest.fixture
def small_sequence(unseen, user):
    with tempfile.TemporaryDirectory() as folder:
        return import_sequence(source=write_frames(Path(folder), unseen[0]), name="live", created_by=user).sequence


def decode(jpeg: bytes) -> np.ndarray:
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def test_overlay_colours_only_where_the_mask_is():
    image = np.full((10, 12, 3), 100, np.uint8)
    probability = np.zeros((10, 12), np.float32)
    probability[2:8, 3:9] = 0.9
    shown = overlay(image, {"Polyp": probability, "Other": np.zeros_like(probability)}, {"Polyp": RED})
    assert shown[5, 5, 0] > 150 and shown[5, 5, 1] < 100  # inside: blended towards red
    assert (shown[0, 0] == 100).all() and (image == 100).all()  # outside untouched, input not modified


def test_the_pipeline_returns_overlaid_frames_where_the_model_predicts(trained, unseen, tmp_path):
    images, masks = unseen
    folder = write_frames(tmp_path / "frames", images)
    pipeline = LivePipeline(Segmenter(trained.checkpoint), {"Polyp": RED}, quality=95)
    frames = list(play(pipeline, [(i, folder / f"frame_{i}.png") for i in range(3)], fps=0))
    assert [f.index for f in frames] == [0, 1, 2]
    for frame, image, mask in zip(frames, images, masks, strict=True):
        shown = decode(frame.jpeg).astype(int)
        assert shown.shape == image.shape and frame.latency_ms > 0 and frame.tags == ["Polyp"]
        change = np.abs(shown - image.astype(int)).sum(axis=2)
        redder = shown[..., 0] - shown[..., 1] - (image[..., 0].astype(int) - image[..., 1])
        assert redder[mask].mean() > 40  # the lesion the model finds is drawn red
        assert np.median(change[~mask]) < 12  # the rest is the frame, up to JPEG noise
    assert frames[-1].fps > 0


def test_play_paces_frames_to_the_rate_and_loops(trained, unseen, tmp_path):
    folder = write_frames(tmp_path / "frames", unseen[0][:2])
    pipeline = LivePipeline(Segmenter(trained.checkpoint), {})
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    stream = play(pipeline, [(0, folder / "frame_0.png"), (1, folder / "frame_1.png")], fps=10, loop=True,
                  clock=lambda: now[0], sleep=sleep)
    indices = [next(stream).index for _ in range(5)]
    stream.close()
    assert indices == [0, 1, 0, 1, 0]
    assert slept == pytest.approx([0.1] * 4) and now[0] == pytest.approx(0.4)


def events(response, count: int) -> list[dict]:
    """The first ``count`` events of a streaming SSE response, as {"event", "data"}."""
    found, buffer = [], b""
    for chunk in response.streaming_content:
        buffer += chunk
        while b"\n\n" in buffer and len(found) < count:
            block, buffer = buffer.split(b"\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.decode().splitlines())
            found.append({"event": fields.get("event", "message"), "data": json.loads(fields["data"])})
        if len(found) >= count:
            break
    response.close()
    return found


def test_the_stream_sends_one_event_per_frame_then_ends(client_logged_in, model, small_sequence, unseen):
    url = f"/training/models/{model.id}/live/{small_sequence.id}/stream/?fps=0"
    response = client_logged_in.get(url)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/event-stream" and response["Cache-Control"] == "no-cache"
    sent = events(response, 4)
    assert [e["event"] for e in sent] == ["message"] * 3 + ["end"]
    for index, event in enumerate(sent[:3]):
        data = event["data"]
        assert set(data) == {"index", "jpeg", "findings", "tags", "latency_ms", "fps"}
        assert data["index"] == index and data["findings"] == {} and data["latency_ms"] > 0
        assert decode(base64.b64decode(data["jpeg"])).shape == unseen[0][index].shape
    assert "Polyp" in sent[0]["data"]["tags"] and sent[2]["data"]["fps"] > 0


def test_a_looping_stream_goes_on_until_the_client_closes_it(client_logged_in, model, small_sequence):
    response = client_logged_in.get(f"/training/models/{model.id}/live/{small_sequence.id}/stream/?fps=0&loop=1")
    assert [e["data"]["index"] for e in events(response, 7)] == [0, 1, 2, 0, 1, 2, 0]


def test_the_live_page_links_its_stream(client_logged_in, model, small_sequence):
    response = client_logged_in.get(f"/training/models/{model.id}/live/{small_sequence.id}/")
    assert response.status_code == 200
    assert f'data-stream-url="/training/models/{model.id}/live/{small_sequence.id}/stream/"' in response.text
    assert "js/live.js" in response.text
    models_page = client_logged_in.get("/training/models/")
    assert f'data-url="/training/models/{model.id}/live/0/"' in models_page.text


def test_live_needs_a_login_a_known_model_and_sequence_and_a_sane_rate(client, client_logged_in, model,
                                                                       small_sequence):
    for suffix in ("", "stream/"):
        url = f"/training/models/{model.id}/live/{small_sequence.id}/{suffix}"
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        assert client_logged_in.get(f"/training/models/{model.id + 99}/live/{small_sequence.id}/{suffix}") \
            .status_code == 404
        assert client_logged_in.get(f"/training/models/{model.id}/live/{small_sequence.id + 99}/{suffix}") \
            .status_code == 404
    stream = f"/training/models/{model.id}/live/{small_sequence.id}/stream/"
    assert client_logged_in.get(stream + "?fps=fast").status_code == 400
    assert client_logged_in.get(stream + "?fps=-1").status_code == 400
    (Path(model.checkpoint.storage.location) / model.checkpoint.name).unlink()
    assert client_logged_in.get(stream).status_code == 404
