"""The JSON API: /generate_mask/ with the scripts' request body, listing, deleting, authentication, bad input."""

from __future__ import annotations

import base64
import json

import cv2
import numpy as np
import pytest
from django.test import Client

from masks.models import Mask, Point
from masks.storage import absolute
from sequences.models import Frame
from tags.models import Tag

pytestmark = pytest.mark.django_db


def lesion_point(synthetic, index: int = 0) -> tuple[int, int]:
    """A pixel deep inside the generated lesion of frame ``index``."""
    mask = synthetic[1][index].astype(np.uint8)
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(distance.argmax()), distance.shape)
    return int(x), int(y)


def seed_body(sequence, synthetic, **changes) -> dict:
    frame = sequence.frames.get(index=0)
    x, y = lesion_point(synthetic)
    body = {
        "sequence_id": sequence.id,
        "frame_id": frame.id,
        "points": [{"x": x, "y": y, "sign": "+"}, {"x": 40, "y": 150, "sign": "-"}],
        "tag_id": Tag.objects.get(name="Polyp").id,
        "mask_color": "#FF0000",
    }
    body.update(changes)
    return body


def post(client: Client, body, url="/generate_mask/"):
    payload = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(url, payload, content_type="application/json")


def test_generate_mask_saves_png_mask_row_and_points(api, sequence, synthetic, media_root, user):
    response = post(api, seed_body(sequence, synthetic))
    assert response.status_code == 200, response.content
    answer = response.json()
    mask = Mask.objects.get(pk=answer["id"])
    assert mask.created_by == user and mask.color == "#FF0000" and mask.tag.name == "Polyp"
    assert answer["url"] == f"/media/{mask.file.name}"
    assert answer["segmenter"] == mask.segmenter and mask.segmenter
    assert list(mask.points.values_list("sign", flat=True)) == ["+", "-"]
    stored = cv2.imread(str(absolute(mask.file.name)), cv2.IMREAD_UNCHANGED)
    assert stored.dtype == np.uint8 and stored.shape == (288, 384)
    assert set(np.unique(stored)) <= {0, 255}
    assert answer["area"] == mask.area == int((stored == 255).sum())
    x, y, w, h = answer["bbox"]
    ys, xs = np.nonzero(stored)
    assert (x, y, x + w - 1, y + h - 1) == (xs.min(), ys.min(), xs.max(), ys.max())
    # The object was found: the mask overlaps the generated lesion far more than the background.
    truth = synthetic[1][0]
    overlap = np.logical_and(stored == 255, truth).sum() / np.logical_or(stored == 255, truth).sum()
    assert overlap > 0.5
    assert mask.file.name.startswith(f"masks/{sequence.id}/000000/")


def test_mask_color_defaults_to_the_tags_colour(api, sequence, synthetic):
    body = seed_body(sequence, synthetic)
    del body["mask_color"]
    answer = post(api, body).json()
    assert answer["color"] == Tag.objects.get(name="Polyp").color.upper()


def test_preview_saves_nothing(api, sequence, synthetic, media_root):
    response = post(api, seed_body(sequence, synthetic, preview=True))
    assert response.status_code == 200
    answer = response.json()
    assert answer["preview"] is True and answer["mask_png"].startswith("data:image/png;base64,")
    png = base64.b64decode(answer["mask_png"].removeprefix("data:image/png;base64,"))
    pixels = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    assert pixels.shape == (288, 384) and answer["area"] == np.count_nonzero(pixels) > 0  # the previewed mask's
    assert not Mask.objects.exists()
    assert not list((media_root / "masks").rglob("*.png")) if (media_root / "masks").exists() else True


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"points": []}, 400, "At least one point"),
        ({"points": [{"x": 10, "y": 10, "sign": "-"}]}, 400, "'+' point"),
        ({"points": [{"x": 384, "y": 10, "sign": "+"}]}, 400, "outside the frame"),
        ({"points": [{"x": -1, "y": 10, "sign": "+"}]}, 400, "outside the frame"),
        ({"points": [{"x": 10, "y": 10, "sign": "plus"}]}, 400, "'sign' must be"),
        ({"points": [{"x": "10", "y": 10, "sign": "+"}]}, 400, "'x' must be a number"),
        ({"points": "10,10"}, 400, "'points' must be a list"),
        ({"mask_color": "red"}, 400, "#RRGGBB"),
        ({"mask_color": "#FF00G0"}, 400, "#RRGGBB"),
        ({"tag_id": 999999}, 404, "No tag with id 999999"),
        ({"tag_id": "1"}, 400, "'tag_id' must be an integer"),
        ({"sequence_id": 999999}, 404, "No sequence with id 999999"),
        ({"frame_id": 999999}, 404, "No frame with id 999999"),
        ({"frame_id": True}, 400, "'frame_id' must be an integer"),
    ],
)
def test_bad_input_gets_a_json_error_and_writes_nothing(api, sequence, synthetic, media_root, change, status, message):
    response = post(api, seed_body(sequence, synthetic, **change))
    assert response.status_code == status
    assert message in response.json()["error"]
    assert not Mask.objects.exists() and not Point.objects.exists()
    assert not (media_root / "masks").exists() or not list((media_root / "masks").rglob("*.png"))


@pytest.mark.parametrize("missing", ["sequence_id", "frame_id", "points", "tag_id"])
def test_missing_field_is_named(api, sequence, synthetic, missing):
    body = seed_body(sequence, synthetic)
    del body[missing]
    response = post(api, body)
    assert response.status_code == 400
    assert response.json()["error"] == f"Missing field '{missing}'."


@pytest.mark.parametrize("payload", ["{not json", "[1, 2]", ""])
def test_malformed_json(api, db, payload):
    response = post(api, payload)
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


def test_frame_of_another_sequence(api, sequence, synthetic, user):
    from sequences.services import import_sequence
    from tests.conftest import write_frames

    other = import_sequence(
        source=write_frames(absolute("..") / "other", synthetic[0][:1]), name="Other", created_by=user
    ).sequence
    body = seed_body(sequence, synthetic, frame_id=other.frames.get().id)
    response = post(api, body)
    assert response.status_code == 400
    assert f"belongs to sequence {other.id}, not to sequence {sequence.id}" in response.json()["error"]


def test_wrong_method(api, db):
    response = api.get("/generate_mask/")
    assert response.status_code == 405 and "POST" in response.json()["error"]


def test_authentication_is_required(sequence, synthetic):
    response = post(Client(), seed_body(sequence, synthetic))
    assert response.status_code == 401 and "Authentication required" in response.json()["error"]
    response = post(Client(HTTP_AUTHORIZATION="Token wrong"), seed_body(sequence, synthetic))
    assert response.status_code == 401 and response.json()["error"] == "Invalid API token."
    assert not Mask.objects.exists()


def test_session_requests_need_the_csrf_token(client_logged_in, sequence, synthetic):
    response = post(client_logged_in, seed_body(sequence, synthetic))
    assert response.status_code == 403 and "CSRF" in response.json()["error"]
    client_logged_in.get(f"/sequences/{sequence.id}/annotate/")  # sets the CSRF cookie, as the page does
    csrf = client_logged_in.cookies["csrftoken"].value
    response = client_logged_in.post(
        "/generate_mask/", json.dumps(seed_body(sequence, synthetic)), content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert response.status_code == 200, response.content


def test_list_frames_and_masks(api, sequence, synthetic):
    created = post(api, seed_body(sequence, synthetic)).json()
    frames = api.get(f"/api/sequences/{sequence.id}/frames/").json()
    assert [f["index"] for f in frames["frames"]] == list(range(6))
    assert frames["frames"][0]["mask_count"] == 1 and frames["frames"][1]["mask_count"] == 0
    listed = api.get(f"/api/sequences/{sequence.id}/masks/?frame_id={created['frame_id']}").json()["masks"]
    assert [m["id"] for m in listed] == [created["id"]]
    other_frame = sequence.frames.get(index=1).id
    assert api.get(f"/api/sequences/{sequence.id}/masks/?frame_id={other_frame}").json()["masks"] == []
    assert api.get(f"/api/sequences/{sequence.id}/masks/?tag_id=abc").status_code == 400
    assert api.get(f"/api/masks/{created['id']}/").json()["points"][0]["sign"] == "+"
    assert api.get("/api/masks/424242/").status_code == 404
    tags = api.get("/api/tags/").json()["tags"]
    assert {"Polyp", "Blur", "Pylorus", "Main carina"} <= {t["name"] for t in tags}


def test_mask_file_is_served_to_authenticated_users_only(api, sequence, synthetic):
    created = post(api, seed_body(sequence, synthetic)).json()
    assert api.get(created["url"]).status_code == 200
    assert Client().get(created["url"]).status_code == 302  # to the login page


def test_delete_one_mask_removes_row_points_and_file(api, sequence, synthetic, django_capture_on_commit_callbacks):
    created = post(api, seed_body(sequence, synthetic)).json()
    mask = Mask.objects.get(pk=created["id"])
    path = absolute(mask.file.name)
    assert path.is_file()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(f"/api/masks/{mask.id}/")
    assert response.status_code == 200 and response.json() == {"deleted": 1}
    assert not Mask.objects.exists() and not Point.objects.exists()
    assert not path.exists()
    assert api.delete(f"/api/masks/{mask.id}/").status_code == 404


def test_delete_all_masks_of_a_tag_in_a_sequence(api, sequence, synthetic, django_capture_on_commit_callbacks):
    polyp = Tag.objects.get(name="Polyp")
    ulcer = Tag.objects.get(name="Ulcer")
    x, y = lesion_point(synthetic, 1)
    second_frame = sequence.frames.get(index=1).id
    polyps = [
        post(api, seed_body(sequence, synthetic)).json(),
        post(api, seed_body(sequence, synthetic, frame_id=second_frame, points=[{"x": x, "y": y, "sign": "+"}])).json(),
    ]
    kept = post(api, seed_body(sequence, synthetic, tag_id=ulcer.id)).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(f"/api/sequences/{sequence.id}/tags/{polyp.id}/masks/")
    assert response.json() == {"deleted": 2}
    assert list(Mask.objects.values_list("id", flat=True)) == [kept["id"]]
    for created in polyps:
        assert not absolute(created["url"].removeprefix("/media/")).exists()
    assert absolute(kept["url"].removeprefix("/media/")).exists()
    assert api.delete(f"/api/sequences/{sequence.id}/tags/99999/masks/").status_code == 404


def test_database_failure_leaves_no_mask_file(api, sequence, synthetic, media_root, monkeypatch):
    def broken_bulk_create(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Point.objects, "bulk_create", broken_bulk_create)
    with pytest.raises(RuntimeError):
        post(api, seed_body(sequence, synthetic))
    assert not Mask.objects.exists()
    assert not list((media_root / "masks").rglob("*.png"))


def test_frame_ids_are_row_ids_not_indexes(api, sequence, synthetic):
    frame = Frame.objects.get(sequence=sequence, index=3)
    x, y = lesion_point(synthetic, 3)
    answer = post(api, seed_body(sequence, synthetic, frame_id=frame.id, points=[{"x": x, "y": y, "sign": "+"}])).json()
    assert answer["frame_id"] == frame.id and answer["frame_index"] == 3
