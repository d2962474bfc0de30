"""Online mode: the framework-free pipeline (read or decode → predict → overlay → encode), pacing, the SSE
stream of a sequence or an uploaded video, the cap on concurrent streams, and a client going away."""

from __future__ import annotations

import base64
import http.client
import json
import tempfile
import time
from pathlib import Path
from unittest import mock

import cv2
import numpy as np
import pytest
from django.db import connection
from django.test import Client

from reports.indicators import detections_of, lesion_tracks
from reports.models import ProcedureReport
from sequences.services import import_sequence
from sequences.synthetic import make_sequence
from tags.taxonomy import install_default_tags
from tests.conftest import write_frames
from tests.training.conftest import POLYP_CONFIG
from training.inference import TrainedNetwork
from training.live import ImageFiles, LivePipeline, VideoError, VideoFile, overlay, play, probe_video
from training.live_streams import LIVE_STREAMS
from training.models import LiveVideo
from training.services import store_model

pytestmark = pytest.mark.django_db

RED = (255, 0, 0)


@pytest.fixture(scope="module")
def unseen():
    return make_sequence(count=3, height=64, width=96, seed=23)


@pytest.fixture
def small_sequence(unseen, user):
    with tempfile.TemporaryDirectory() as folder:
        return import_sequence(source=write_frames(Path(folder), unseen[0]), name="live", created_by=user).sequence


@pytest.fixture(autouse=True)
def no_stream_left():
    """Every stream a test opens gives its slot back by the test's end."""
    yield
    assert LIVE_STREAMS.active == 0


def write_video(path: Path, images, fps: float = 12.0, fourcc: str = "MJPG") -> Path:
    """uint8 RGB ``images`` as a video file OpenCV writes (this build: 'MJPG' in .avi, 'mp4v' in .mp4)."""
    height, width = images[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (width, height))
    assert writer.isOpened()
    for image in images:
        writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


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
    pipeline = LivePipeline(TrainedNetwork(trained.checkpoint), {"Polyp": RED}, quality=95)
    frames = list(play(pipeline, ImageFiles([(i, folder / f"frame_{i}.png") for i in range(3)]), fps=0))
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
    pipeline = LivePipeline(TrainedNetwork(trained.checkpoint), {})
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    stream = play(pipeline, ImageFiles([(0, folder / "frame_0.png"), (1, folder / "frame_1.png")]), fps=10,
                  loop=True, clock=lambda: now[0], sleep=sleep)
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
    close(response)
    return found


def close(response) -> None:
    """Close a streaming response as a server does when its client goes away. Its close() sends
    request_finished, whose handler would close the test's database connection inside the test's transaction."""
    with mock.patch.object(connection, "close_if_unusable_or_obsolete"):
        response.close()


def test_the_stream_sends_one_event_per_frame_then_ends(client_logged_in, model, small_sequence, unseen):
    url = f"/training/models/{model.id}/live/{small_sequence.id}/stream/?fps=0"
    response = client_logged_in.get(url)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/event-stream" and response["Cache-Control"] == "no-cache"
    sent = events(response, 4)
    assert [e["event"] for e in sent] == ["message"] * 3 + ["end"]
    for index, event in enumerate(sent[:3]):
        data = event["data"]
        # the procedure's indicators so far ride on the first frame, then about once a second of the stream
        assert set(data) == {"index", "jpeg", "findings", "tags", "latency_ms", "fps"} | ({"report"} if index == 0
                                                                                          else set())
        assert data["index"] == index and data["findings"] == {} and data["latency_ms"] > 0
        assert decode(base64.b64decode(data["jpeg"])).shape == unseen[0][index].shape
    assert "Polyp" in sent[0]["data"]["tags"] and sent[2]["data"]["fps"] > 0
    assert sent[0]["data"]["report"]["frames"] == 1
    # the stream's end saved the procedure report, and says where it is
    report = ProcedureReport.objects.get(source="live")
    assert sent[3]["data"] == {"report_id": report.id, "report_url": f"/reports/{report.id}/"}
    assert report.sequence == small_sequence and report.frame_indices == [0, 1, 2] and report.model == model


def test_a_stream_closed_early_saves_what_it_played(client_logged_in, model, small_sequence, unseen):
    response = client_logged_in.get(f"/training/models/{model.id}/live/{small_sequence.id}/stream/?fps=0&loop=1")
    assert [e["data"]["index"] for e in events(response, 5)] == [0, 1, 2, 0, 1]
    report = ProcedureReport.objects.get(source="live")
    assert report.frame_indices == [0, 1, 2]  # the loop's second pass is not recorded
    # one detection per frame, around the generated lesion; the lesion jumps between the three frames, so the
    # report counts the lesions the generated masks' own detections make
    truth = [d for index, mask in enumerate(unseen[1]) for d in detections_of(mask, index, "Polyp")]
    assert [d.frame for d in truth] == [0, 1, 2]
    assert [row[:2] for row in report.detections] == [[index, "Polyp"] for index in range(3)]
    for (_, _, x0, y0, x1, y1, *_), lesion in zip(report.detections, truth, strict=True):
        centre_x, centre_y = (lesion.box[0] + lesion.box[2]) / 2, (lesion.box[1] + lesion.box[3]) / 2
        assert x0 <= centre_x <= x1 and y0 <= centre_y <= y1
    assert report.data["indicators"]["lesions"]["count"] == len(lesion_tracks(truth, fps=small_sequence.fps or 25.0))


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


# ---------- a video file, decoded as it plays ----------


@pytest.fixture
def pages(client, user):
    """A logged-in client that posts forms as the browser does, past the CSRF check."""
    client.force_login(user)
    return client


def live_video_files(media_root: Path) -> list[Path]:
    return [p for p in (media_root / "live-videos").rglob("*") if p.is_file()]


def test_a_video_file_plays_frame_by_frame_at_its_rate_and_loops(trained, unseen, tmp_path):
    images, masks = unseen
    path = write_video(tmp_path / "procedure.avi", images, fps=12)
    info = probe_video(path, max_pixels=4096 * 4096)
    assert (info.fps, info.frame_count, info.width, info.height) == (12.0, 3, 96, 64)
    decoded = list(VideoFile(path).frames())
    assert [index for index, _ in decoded] == [0, 1, 2]
    for (_, image), original in zip(decoded, images, strict=True):
        assert image.dtype == np.uint8 and image.shape == original.shape
        assert np.abs(image.astype(int) - original).mean() < 8  # RGB as written, up to MJPEG's loss

    pipeline = LivePipeline(TrainedNetwork(trained.checkpoint), {"Polyp": RED})
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    stream = play(pipeline, VideoFile(path), fps=info.fps, loop=True, clock=lambda: now[0], sleep=sleep)
    frames = [next(stream) for _ in range(7)]
    stream.close()
    assert [f.index for f in frames] == [0, 1, 2, 0, 1, 2, 0]
    assert slept == pytest.approx([1 / 12] * 6)
    assert all(f.latency_ms > 0 for f in frames) and frames[0].tags == ["Polyp"]
    assert list(play(pipeline, VideoFile(path), fps=0, loop=False))[-1].index == 2  # no loop: once through


def test_a_file_that_is_no_video_is_rejected_when_probed_and_when_played(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(VideoError, match="junk.mp4"):
        probe_video(junk, max_pixels=4096 * 4096)
    with pytest.raises(VideoError):
        list(VideoFile(junk).frames())


def test_an_uploaded_video_plays_live_at_its_rate(pages, model, unseen, tmp_path, media_root, user):
    path = write_video(tmp_path / "colonoscopy.avi", unseen[0], fps=12)
    with path.open("rb") as upload:
        response = pages.post("/training/live-videos/", {"video": upload, "model": model.id, "name": ""})
    video = LiveVideo.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/training/models/{model.id}/live/video/{video.id}/"
    assert (video.name, video.fps, video.frame_count, video.width, video.height, video.created_by) == \
        ("colonoscopy.avi", 12.0, 3, 96, 64, user)
    assert video.path.read_bytes() == path.read_bytes() and video.path.parent == media_root / "live-videos"

    page = pages.get(response["Location"])
    stream_url = f"/training/models/{model.id}/live/video/{video.id}/stream/"
    assert f'data-stream-url="{stream_url}"' in page.text and "Target <strong>12.0</strong>" in page.text

    sent = events(pages.get(stream_url + "?fps=0"), 4)
    assert [e["event"] for e in sent] == ["message"] * 3 + ["end"]
    assert [e["data"]["index"] for e in sent[:3]] == [0, 1, 2]
    for event in sent[:3]:
        assert decode(base64.b64decode(event["data"]["jpeg"])).shape == (64, 96, 3)
        assert event["data"]["latency_ms"] > 0
    assert "Polyp" in sent[0]["data"]["tags"] and sent[2]["data"]["fps"] > 0
    looping = events(pages.get(stream_url + "?fps=0&loop=1"), 5)
    assert [e["data"]["index"] for e in looping] == [0, 1, 2, 0, 1]

    models_page = pages.get("/training/models/").text
    assert f'data-url="/training/models/0/live/video/{video.id}/"' in models_page
    assert f'action="/training/live-videos/{video.id}/delete/"' in models_page


@pytest.mark.parametrize("name, content, problem", [
    ("broken.mp4", b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 200, "broken.mp4 cannot be played"),
    ("notes.txt", b"a procedure", "notes.txt is not a video file"),
    ("empty.avi", b"", "The submitted file is empty."),
])
def test_a_rejected_upload_says_why_and_leaves_no_file_and_no_row(pages, model, media_root, name,
                                                                  content, problem):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = pages.post("/training/live-videos/", {
        "video": SimpleUploadedFile(name, content), "model": model.id,
    })
    assert response.status_code == 200 and problem in response.content.decode()
    assert 'id="live-video-form"' in response.text
    assert not LiveVideo.objects.exists() and live_video_files(media_root) == []


def test_an_upload_over_the_size_limit_is_refused(pages, model, unseen, tmp_path, settings, media_root):
    settings.MAX_UPLOAD_BYTES = 100
    path = write_video(tmp_path / "long.avi", unseen[0])
    with path.open("rb") as upload:
        response = pages.post("/training/live-videos/", {"video": upload, "model": model.id})
    assert "(MAX_UPLOAD_BYTES)" in response.content.decode()
    assert not LiveVideo.objects.exists() and live_video_files(media_root) == []


def test_deleting_a_video_deletes_its_file(pages, model, unseen, tmp_path,
                                           django_capture_on_commit_callbacks):
    for name in ("a.avi", "b.avi"):
        with write_video(tmp_path / name, unseen[0]).open("rb") as upload:
            pages.post("/training/live-videos/", {"video": upload, "model": model.id})
    first, second = LiveVideo.objects.order_by("id")
    paths = [first.path, second.path]
    assert all(p.is_file() for p in paths)
    with django_capture_on_commit_callbacks(execute=True):
        response = pages.post(f"/training/live-videos/{first.id}/delete/")
    assert response.status_code == 302 and not paths[0].exists() and paths[1].is_file()
    with django_capture_on_commit_callbacks(execute=True):
        LiveVideo.objects.all().delete()  # as the admin's bulk delete does
    assert not paths[1].exists()
    assert pages.get(f"/training/models/{model.id}/live/video/{first.id}/").status_code == 404


def test_a_video_whose_file_is_gone_is_not_streamed(pages, model, unseen, tmp_path):
    with write_video(tmp_path / "a.avi", unseen[0]).open("rb") as upload:
        pages.post("/training/live-videos/", {"video": upload, "model": model.id})
    video = LiveVideo.objects.get()
    video.path.unlink()
    assert pages.get(f"/training/models/{model.id}/live/video/{video.id}/stream/").status_code == 404


# ---------- the cap on concurrent streams, and a client going away ----------


def test_past_the_cap_a_stream_is_refused_with_429_until_one_ends(pages, model, small_sequence, settings):
    settings.LIVE_MAX_STREAMS = 1
    url = f"/training/models/{model.id}/live/{small_sequence.id}/stream/?fps=0"
    first = pages.get(url + "&loop=1")
    assert first.status_code == 200 and LIVE_STREAMS.active == 1
    refused = pages.get(url)
    assert refused.status_code == 429
    assert "already plays 1 live stream" in refused.json()["error"] and "LIVE_MAX_STREAMS" in refused.json()["error"]
    assert [e["data"]["index"] for e in events(first, 2)] == [0, 1]  # the refusal did not disturb the first
    assert LIVE_STREAMS.active == 0  # closed by the client
    finished = pages.get(url)
    assert [e["event"] for e in events(finished, 4)][-1] == "end"
    unread = pages.get(url)
    assert LIVE_STREAMS.active == 1
    close(unread)  # closed before its first event: the slot comes back all the same


def read_event(response: http.client.HTTPResponse) -> dict:
    fields = {}
    while (line := response.readline()) not in (b"\n", b""):
        key, value = line.decode().rstrip("\n").split(": ", 1)
        fields[key] = value
    assert fields, "the stream ended early"
    return json.loads(fields["data"])


def wait_for(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.django_db(transaction=True)
def test_a_client_going_away_stops_its_stream_on_a_real_server(live_server, settings, trained, user, unseen):
    install_default_tags()  # a transactional test's database may have been flushed by an earlier one
    model = store_model(run=None, result=trained, metrics={}, config=POLYP_CONFIG, name="tiny")
    with tempfile.TemporaryDirectory() as folder:
        sequence = import_sequence(source=write_frames(Path(folder), unseen[0]), name="live", created_by=user).sequence
    settings.LIVE_MAX_STREAMS = 1
    browser = Client()
    browser.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    host, port = live_server.thread.host, live_server.thread.port
    path = f"/training/models/{model.id}/live/{sequence.id}/stream/?loop=1"

    def open_stream() -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        connection.request("GET", path, headers={"Cookie": cookie, "Accept": "text/event-stream"})
        return connection, connection.getresponse()

    connection, response = open_stream()
    assert response.status == 200
    assert [read_event(response)["index"] for _ in range(2)] == [0, 1]
    assert LIVE_STREAMS.active == 1
    other, refused = open_stream()
    assert refused.status == 429 and "LIVE_MAX_STREAMS" in json.loads(refused.read())["error"]
    other.close()

    response.close()
    connection.close()  # the client goes away while the sequence loops on
    assert wait_for(lambda: LIVE_STREAMS.active == 0), "the server went on playing to a closed connection"

    connection, response = open_stream()  # the slot is free for the next client
    assert response.status == 200 and read_event(response)["index"] == 0
    response.close()
    connection.close()
    assert wait_for(lambda: LIVE_STREAMS.active == 0)


def test_an_uploaded_video_with_frames_over_the_frame_limit_is_refused(pages, model, unseen, tmp_path, settings,
                                                                        media_root):
    settings.MAX_FRAME_PIXELS = 64 * 64  # the video's frames are 96×64
    path = write_video(tmp_path / "wide.avi", unseen[0])
    with path.open("rb") as upload:
        response = pages.post("/training/live-videos/", {"video": upload, "model": model.id})
    assert response.status_code == 200 and "(MAX_FRAME_PIXELS)" in response.content.decode()
    assert not LiveVideo.objects.exists() and live_video_files(media_root) == []
