"""Pixel edits of a saved mask and the review of propagated masks: services and their JSON endpoints."""

from __future__ import annotations

import base64
import json

import cv2
import numpy as np
import pytest

from masks import services
from masks.models import Mask, Track
from masks.storage import absolute, read_mask
from tags.models import Tag

pytestmark = pytest.mark.django_db


def square(top: int = 100, left: int = 150, size: int = 40) -> np.ndarray:
    mask = np.zeros((288, 384), bool)
    mask[top:top + size, left:left + size] = True
    return mask


def saved(sequence, pixels=None, *, index: int = 0, propagated: bool = False, confidence: float | None = None) -> Mask:
    frame = sequence.frames.get(index=index)
    tag = Tag.objects.get(name="Polyp")
    track = Track.objects.create(sequence=sequence, tag=tag, color=tag.color) if propagated else None
    return services.save_mask(
        frame=frame, tag=tag, color=tag.color, mask=square() if pixels is None else pixels,
        source=Mask.Source.PROPAGATED if propagated else Mask.Source.MANUAL, track=track,
        confidence=confidence if propagated else None, segmenter="propagation" if propagated else "opencv",
    )


def png_data_url(mask: np.ndarray) -> str:
    png = cv2.imencode(".png", np.where(mask, 255, 0).astype(np.uint8))[1].tobytes()
    return "data:image/png;base64," + base64.b64encode(png).decode()


def post(client, url: str, body) -> object:
    return client.post(url, body if isinstance(body, str) else json.dumps(body), content_type="application/json")


def mask_files(media_root) -> list[str]:
    folder = media_root / "masks"
    return sorted(p.relative_to(media_root).as_posix() for p in folder.rglob("*.png")) if folder.exists() else []


def test_replace_pixels_writes_a_new_file_updates_the_row_and_removes_the_old_file(
    sequence, user, media_root, django_capture_on_commit_callbacks
):
    mask = saved(sequence)
    old_name = mask.file.name
    edited = square()
    edited[100:110, 150:190] = False  # erased a band
    edited[200:220, 20:40] = True  # painted a second blob
    with django_capture_on_commit_callbacks(execute=True):
        result = services.replace_mask_pixels(mask=mask, pixels=edited, user=user)
    mask.refresh_from_db()
    assert mask.file.name != old_name and not absolute(old_name).exists()
    assert np.array_equal(read_mask(mask.file.name), edited)
    assert mask.area == int(edited.sum()) == result.area
    assert mask.bbox == [20, 110, 170, 110]
    assert mask_files(media_root) == [mask.file.name]
    assert mask.reviewed_by == user and mask.segmenter == "opencv + brush"


def test_an_edited_propagated_mask_becomes_a_manual_keyframe_of_its_track(sequence, user):
    mask = saved(sequence, propagated=True, confidence=0.3)
    track_id = mask.track_id
    services.replace_mask_pixels(mask=mask, pixels=square(size=30), user=user)
    mask.refresh_from_db()
    assert mask.source == Mask.Source.MANUAL and mask.track_id == track_id
    assert mask.confidence is None and mask.keyframe is None and mask.is_reviewed


@pytest.mark.parametrize(
    ("pixels", "message"),
    [(np.zeros((288, 384), bool), "empty"), (np.ones((10, 10), bool), "differs from the frame")],
)
def test_bad_pixels_leave_the_mask_and_its_file_alone(sequence, media_root, pixels, message):
    mask = saved(sequence)
    with pytest.raises(services.InvalidInput, match=message):
        services.replace_mask_pixels(mask=mask, pixels=pixels)
    mask.refresh_from_db()
    assert mask_files(media_root) == [mask.file.name] and np.array_equal(read_mask(mask.file.name), square())


def test_a_failed_update_removes_the_new_file(sequence, media_root, monkeypatch):
    mask = saved(sequence)

    def fail(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(Mask, "save", fail)
    with pytest.raises(RuntimeError):
        services.replace_mask_pixels(mask=mask, pixels=square(size=20))
    assert mask_files(media_root) == [Mask.objects.get().file.name]  # never a file without a row


def test_pixels_endpoint_replaces_the_mask(api, sequence, user, media_root,
                                           django_capture_on_commit_callbacks):
    mask = saved(sequence)
    edited = square(top=50, left=60, size=25)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, f"/api/masks/{mask.id}/pixels/", {"png": png_data_url(edited)})
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["area"] == 625 and answer["bbox"] == [60, 50, 25, 25] and answer["reviewed_by"] == user.username
    assert np.array_equal(read_mask(Mask.objects.get().file.name), edited)
    assert mask_files(media_root) == [Mask.objects.get().file.name]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"png": "data:image/jpeg;base64,AAAA"}, 400, "must be a data URL"),
        ({"png": "data:image/png;base64,!!!"}, 400, "not valid base64"),
        ({"png": "data:image/png;base64," + base64.b64encode(b"not a png").decode()}, 400, "not a PNG"),
        ({"png": png_data_url(np.ones((20, 30), bool))}, 400, "the frame is 384×288"),
        ({"png": png_data_url(np.zeros((288, 384), bool))}, 400, "empty"),
        ({}, 400, "Missing field 'png'"),
        ("[1, 2]", 400, "must be an object"),
    ],
)
def test_pixels_endpoint_rejects_bad_input_with_json_errors(api, sequence, media_root, body, status,
                                                             message):
    mask = saved(sequence)
    response = post(api, f"/api/masks/{mask.id}/pixels/", body)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert mask_files(media_root) == [mask.file.name]


def test_pixels_endpoint_needs_an_existing_mask_and_a_login(client, api, sequence):
    assert post(api, "/api/masks/999/pixels/", {"png": png_data_url(square())}).status_code == 404
    mask = saved(sequence)
    assert post(client, f"/api/masks/{mask.id}/pixels/", {"png": png_data_url(square())}).status_code == 401


def test_accept_marks_a_propagated_mask_reviewed(api, sequence, user):
    mask = saved(sequence, propagated=True, confidence=0.4)
    response = post(api, f"/api/masks/{mask.id}/review/", {"decision": "accept"})
    assert response.status_code == 200 and response.json()["reviewed_by"] == user.username
    mask.refresh_from_db()
    assert mask.reviewed_by == user and mask.reviewed_at is not None and mask.source == Mask.Source.PROPAGATED


def test_reject_deletes_a_propagated_mask_with_its_file(api, sequence, media_root,
                                                        django_capture_on_commit_callbacks):
    mask = saved(sequence, propagated=True, confidence=0.9)
    keeper = saved(sequence, index=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, f"/api/masks/{mask.id}/review/", {"decision": "reject"})
    assert response.status_code == 200 and response.json()["deleted"] == 1
    assert list(Mask.objects.all()) == [keeper] and mask_files(media_root) == [keeper.file.name]


@pytest.mark.parametrize(("decision", "message"), [("reject", "made by hand"), ("maybe", "'accept' or 'reject'")])
def test_review_rejects_what_it_cannot_do(api, sequence, decision, message):
    mask = saved(sequence)
    response = post(api, f"/api/masks/{mask.id}/review/", {"decision": decision})
    assert response.status_code == 400 and message in response.json()["error"]
    assert Mask.objects.filter(pk=mask.pk).exists()


def test_the_masks_json_carries_the_review_rules_the_page_shows(api, sequence):
    """The annotation page shows a mask's review state without working it out: the JSON says whether it is a
    proposal, whether it awaits review and its state, from the model's rule and the timeline's."""
    manual = saved(sequence)
    low = saved(sequence, index=1, propagated=True, confidence=0.2)
    sure = saved(sequence, index=2, propagated=True, confidence=0.9)
    accepted = saved(sequence, index=3, propagated=True, confidence=0.2)
    post(api, f"/api/masks/{accepted.id}/review/", {"decision": "accept"})
    answer = api.get(f"/api/sequences/{sequence.id}/masks/").json()["masks"]
    shown = {m["id"]: (m["is_proposal"], m["needs_review"], m["review_state"]) for m in answer}
    assert shown == {
        manual.id: (False, False, "manual"),
        low.id: (True, True, "low_confidence"),
        sure.id: (True, True, "propagated"),
        accepted.id: (True, False, "accepted"),
    }
    assert [m.id for m in Mask.objects.awaiting_review()] == [low.id, sure.id]
    states = api.get(f"/api/sequences/{sequence.id}/timeline/").json()["states"]
    assert states == {"manual": 0, "accepted": 1, "propagated": 2, "low_confidence": 3}
