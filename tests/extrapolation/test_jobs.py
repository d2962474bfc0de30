"""Extrapolation jobs: the API, the queue's real worker, progress, cancellation, replacement, tracks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.test import TestCase

from core.jobs import cancel
from extrapolation.models import ExtrapolationJob
from extrapolation.services import run_extrapolation
from masks.models import Mask
from masks.services import save_mask
from masks.storage import absolute, read_mask
from tests.conftest import run_worker_until_idle

pytestmark = pytest.mark.django_db


@pytest.fixture
def keyframe(sequence, synthetic, polyp, user) -> Mask:
    """The generated lesion of frame 2, saved by hand."""
    return save_mask(frame=sequence.frames.get(index=2), tag=polyp, color="#FF0000", mask=synthetic[1][2],
                     created_by=user)


def post(api, body: dict):
    with TestCase.captureOnCommitCallbacks(execute=True):  # the job is queued once the request commits
        return api.post("/extrapolate_masks/", json.dumps(body), content_type="application/json")


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.logical_and(a, b).sum() / max(1, np.logical_or(a, b).sum()))


def test_seed_request_makes_keyframe_then_propagates_through_the_worker(api, sequence, synthetic, polyp):
    frame = sequence.frames.get(index=2)
    ys, xs = np.nonzero(synthetic[1][2])
    body = {"sequence_id": sequence.id, "current_frame_id": frame.id, "tag_id": polyp.id,
            "points": [{"x": int(xs.mean()), "y": int(ys.mean()), "sign": "+"}], "mask_color": "#00FF00"}
    response = post(api, body)
    assert response.status_code == 202, response.content
    answer = response.json()
    assert answer["state"] == "queued" and answer["status_url"] == f"/api/jobs/extrapolation/{answer['job_id']}/"
    keyframe = Mask.objects.get(pk=answer["keyframe_mask_id"])
    assert keyframe.source == "manual" and keyframe.frame == frame and keyframe.track_id == answer["track_id"]

    run_worker_until_idle()
    status = api.get(answer["status_url"]).json()
    assert status["state"] == "succeeded", status
    assert status["done"] == status["total"] == 5 and status["progress"] == 1.0
    propagated = Mask.objects.filter(source="propagated").select_related("frame")
    assert status["written"] == propagated.count() > 0
    for mask in propagated:
        assert mask.track_id == keyframe.track_id and mask.keyframe_id == keyframe.id
        assert 0 <= mask.confidence <= 1 and mask.color == "#00FF00"
        assert absolute(mask.file.name).is_file()
    assert {m.frame.index for m in propagated} <= {0, 1, 3, 4, 5}


def camera_motion(count: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A generated frame seen by a camera drifting 3 px right and 2 px down per frame (lesion and mucosa move
    together, as in a real procedure); frames uint8 RGB and masks bool."""
    import cv2

    from sequences.synthetic import make_sequence

    (image,), (mask,) = make_sequence(count=1, seed=5)
    frames, masks = [], []
    for index in range(count):
        shift = np.float32([[1, 0, 3 * index - 30], [0, 1, 2 * index - 20]])
        size = (image.shape[1], image.shape[0])
        frames.append(cv2.warpAffine(image, shift, size, borderMode=cv2.BORDER_REFLECT))
        masks.append(cv2.warpAffine(mask.astype(np.uint8), shift, size, flags=cv2.INTER_NEAREST) > 0)
    return frames, masks


@pytest.mark.slow
def test_propagated_masks_follow_the_lesion(api, user, polyp):
    import tempfile
    from pathlib import Path

    from sequences.services import import_sequence
    from tests.conftest import write_frames

    images, truth = camera_motion(20)
    with tempfile.TemporaryDirectory() as folder:
        sequence = import_sequence(source=write_frames(Path(folder), images), name="Smooth").sequence
    keyframe = save_mask(frame=sequence.frames.get(index=10), tag=polyp, color="#FF0000", mask=truth[10])
    assert post(api, {"mask_id": keyframe.id}).status_code == 202
    run_worker_until_idle()
    masks = {m.frame.index: read_mask(m.file.name) for m in Mask.objects.filter(source="propagated")}
    assert set(masks) == set(range(20)) - {10}, "every other frame received a mask"
    scores = [iou(mask, truth[index]) for index, mask in masks.items()]
    assert np.mean(scores) > 0.85 and min(scores) > 0.7, scores


def test_bad_requests(api, sequence, synthetic, keyframe, polyp):
    assert post(api, {"mask_id": 999999}).status_code == 404
    assert post(api, {"sequence_id": sequence.id}).json()["error"] == "Missing field 'current_frame_id'."
    other = sequence.id + 1000
    assert "belongs to sequence" in post(api, {"mask_id": keyframe.id, "sequence_id": other}).json()["error"]
    no_plus = {"sequence_id": sequence.id, "current_frame_id": keyframe.frame_id, "tag_id": polyp.id,
               "points": [{"x": 5, "y": 5, "sign": "-"}]}
    assert post(api, no_plus).status_code == 400
    assert not ExtrapolationJob.objects.exists()
    assert Mask.objects.count() == 1
    assert api.get("/api/jobs/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_one_job_at_a_time_per_track(api, keyframe):
    assert post(api, {"mask_id": keyframe.id}).status_code == 202
    second = post(api, {"mask_id": keyframe.id})
    assert second.status_code == 409 and "already being extrapolated" in second.json()["error"]


def test_propagated_mask_is_not_a_keyframe(api, keyframe):
    post(api, {"mask_id": keyframe.id})
    run_worker_until_idle()
    propagated = Mask.objects.filter(source="propagated").first()
    response = post(api, {"mask_id": propagated.id})
    assert response.status_code == 400 and "made by hand" in response.json()["error"]


def test_running_again_replaces_the_tracks_propagated_masks_only(api, sequence, synthetic, keyframe, polyp, user):
    other = save_mask(frame=sequence.frames.get(index=4), tag=polyp, color="#0000FF", mask=synthetic[1][4],
                      created_by=user)  # made by hand, in no track: must survive
    post(api, {"mask_id": keyframe.id})
    run_worker_until_idle()
    first = set(Mask.objects.filter(source="propagated").values_list("id", flat=True))
    first_files = [absolute(n) for n in Mask.objects.filter(id__in=first).values_list("file", flat=True)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        post(api, {"mask_id": keyframe.id})
        run_worker_until_idle()
    second = set(Mask.objects.filter(source="propagated").values_list("id", flat=True))
    assert len(second) == len(first) and not first & second
    assert not any(path.exists() for path in first_files)
    assert Mask.objects.filter(pk=other.pk, source="manual").exists()
    assert Mask.objects.filter(pk=keyframe.pk, source="manual").exists()


def test_cancel_a_queued_job(api, keyframe):
    job_id = post(api, {"mask_id": keyframe.id}).json()["job_id"]
    response = api.post(f"/api/jobs/{job_id}/cancel/")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    run_worker_until_idle()
    assert ExtrapolationJob.objects.get(pk=job_id).state == "cancelled"
    assert not Mask.objects.filter(source="propagated").exists()


def test_cancel_while_running_keeps_what_was_written(api, keyframe, monkeypatch):
    from extrapolation import services

    job_id = post(api, {"mask_id": keyframe.id}).json()["job_id"]
    original = services.save_mask
    written = []

    def save_then_cancel(**kwargs):
        mask = original(**kwargs)
        written.append(mask.id)
        if len(written) == 2:
            cancel(ExtrapolationJob.objects.get(pk=job_id))
        return mask

    monkeypatch.setattr(services, "save_mask", save_then_cancel)
    assert run_extrapolation(job_id) == "cancelled"
    job = ExtrapolationJob.objects.get(pk=job_id)
    assert job.state == "cancelled" and job.written == 2 and job.done == 2
    kept = Mask.objects.filter(source="propagated")
    assert sorted(kept.values_list("id", flat=True)) == sorted(written)
    assert all(absolute(m.file.name).is_file() for m in kept)


def test_sequence_jobs_and_track_deletion(api, sequence, keyframe, django_capture_on_commit_callbacks):
    job_id = post(api, {"mask_id": keyframe.id}).json()["job_id"]
    active = api.get(f"/api/sequences/{sequence.id}/jobs/?active=1").json()["jobs"]
    assert [j["id"] for j in active] == [job_id]
    run_worker_until_idle()
    assert api.get(f"/api/sequences/{sequence.id}/jobs/?active=1").json()["jobs"] == []
    track_id = keyframe.refresh_from_db() or keyframe.track_id
    track = api.get(f"/api/tracks/{track_id}/").json()
    assert track["masks"][0]["source"] in ("manual", "propagated") and len(track["masks"]) >= 2
    files = [absolute(n) for n in Mask.objects.values_list("file", flat=True)]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(f"/api/tracks/{track_id}/")
    assert response.json()["deleted"] == len(files)
    assert not Mask.objects.exists() and not any(p.exists() for p in files)
    assert api.get(f"/api/tracks/{track_id}/").status_code == 404


def test_accepted_propagated_masks_survive_a_new_run_as_keyframes(api, keyframe):
    post(api, {"mask_id": keyframe.id})
    run_worker_until_idle()
    accepted = Mask.objects.filter(source="propagated").order_by("frame__index").first()
    assert api.post(f"/api/masks/{accepted.id}/review/", json.dumps({"decision": "accept"}),
                    content_type="application/json").status_code == 200
    job_id = post(api, {"mask_id": keyframe.id}).json()["job_id"]
    assert set(ExtrapolationJob.objects.get(pk=job_id).keyframe_ids) == {keyframe.id, accepted.id}
    run_worker_until_idle()
    assert Mask.objects.filter(pk=accepted.pk, source="propagated").exists()
    frames_with_masks = list(Mask.objects.values_list("frame__index", flat=True))
    assert len(frames_with_masks) == len(set(frames_with_masks)), "one mask per frame in the track"


def test_sam_reanchors_only_frames_with_a_cached_embedding(api, sequence, keyframe, sam_settings, monkeypatch):
    from masks.segmenters import active_segmenter
    from sequences.selectors import frame_image_key, frame_rgb

    sam, _ = active_segmenter()
    cached = sequence.frames.get(index=3)
    sam.compute_embedding(frame_rgb(cached), frame_image_key(cached))
    calls = []
    original = sam.segment

    def spy(image, points, **kwargs):
        calls.append(kwargs["image_key"])
        return original(image, points, **kwargs)

    monkeypatch.setattr(sam, "segment", spy)
    post(api, {"mask_id": keyframe.id})
    run_worker_until_idle()
    assert ExtrapolationJob.objects.get().state == "succeeded"
    assert calls == [frame_image_key(cached)]
    assert sam.encoder_runs == 1  # nothing was encoded during the job
