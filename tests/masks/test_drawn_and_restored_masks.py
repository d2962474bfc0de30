"""Masks drawn as a polygon or a box (POST /api/sequences/<id>/masks/), and masks brought back after a delete or a
reject (POST /api/masks/restore/, the page's undo): rows and files written together."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from extrapolation.models import RejectedFrame
from masks.drawing import rasterise_polygon
from masks.models import Mask, Track
from masks.services import reject_mask, save_mask
from masks.storage import absolute, mask_png_bytes, read_mask
from tags.models import Tag

pytestmark = pytest.mark.django_db


def send(client, url: str, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_rasterising_takes_the_pixels_whose_centres_are_inside():
    box = rasterise_polygon([(2, 1), (6, 1), (6, 4), (2, 4)], width=8, height=6)
    assert box.sum() == 4 * 3 and box[1:4, 2:6].all()
    triangle = rasterise_polygon([(0, 0), (8, 0), (0, 6)], width=8, height=6)
    assert triangle[0, 0] and triangle[0, 6] and not triangle[5, 7]


def test_a_drawn_polygon_and_box_are_stored_as_masks(api, sequence, user):
    polyp = Tag.objects.get(name="Polyp")
    frame = sequence.frames.get(index=1)
    url = f"/api/sequences/{sequence.id}/masks/"
    response = send(api, url, {"frame_id": frame.id, "tag_id": polyp.id, "tool": "box",
                               "vertices": [[100, 50], [140, 50], [140, 80], [100, 80]]})
    assert response.status_code == 201, response.content
    box = response.json()
    assert (box["area"], box["bbox"], box["segmenter"], box["source"]) == (40 * 30, [100, 50, 40, 30], "box", "manual")
    assert read_mask(Mask.objects.get(pk=box["id"]).file.name)[50:80, 100:140].all()
    polygon = send(api, url, {"frame_id": frame.id, "tag_id": polyp.id, "tool": "polygon", "mask_color": "#00ff00",
                              "vertices": [[200, 100], [260, 100], [230, 160]]}).json()
    assert polygon["segmenter"] == "polygon" and polygon["color"] == "#00FF00" and 1500 < polygon["area"] < 2000


@pytest.mark.parametrize(("body", "message"), [
    ({"tool": "lasso", "vertices": [[1, 1], [5, 1], [5, 5]]}, "not one of polygon, box"),
    ({"tool": "polygon", "vertices": [[1, 1], [5, 1]]}, "3 to 1000 vertices"),
    ({"tool": "polygon", "vertices": [[1, 1], [5, 1], [500, 5]]}, "Vertex 3 (500, 5) is outside"),
    ({"tool": "polygon", "vertices": [[1, 1], [5, 1], "x"]}, "Vertex 3 must be [x, y]"),
    ({"tool": "polygon", "vertices": [[10, 10], [10.2, 10], [10.1, 10.2]]}, "covers no pixel centre"),
])
def test_bad_drawings_are_refused(api, sequence, body, message):
    frame = sequence.frames.get(index=0)
    response = send(api, f"/api/sequences/{sequence.id}/masks/",
                    {"frame_id": frame.id, "tag_id": Tag.objects.get(name="Polyp").id, **body})
    assert response.status_code == 400 and message in response.json()["error"], response.content
    assert not Mask.objects.exists()


def png_url(pixels: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(mask_png_bytes(pixels)).decode()


def test_a_rejected_proposal_comes_back_in_its_track_and_is_no_longer_a_rejection(
    api, sequence, user, django_capture_on_commit_callbacks
):
    polyp = Tag.objects.get(name="Polyp")
    frames = list(sequence.frames.order_by("index"))
    track = Track.objects.create(sequence=sequence, tag=polyp, color=polyp.color, created_by=user)
    pixels = np.zeros((288, 384), bool)
    pixels[100:150, 100:160] = True
    keyframe = save_mask(frame=frames[0], tag=polyp, color=polyp.color, mask=pixels, track=track, created_by=user)
    proposal = save_mask(frame=frames[1], tag=polyp, color="#123456", mask=pixels, track=track, keyframe=keyframe,
                         source=Mask.Source.PROPAGATED, confidence=0.4, segmenter="propagation", created_by=user)
    old_file = proposal.file.name
    reject_mask(mask=proposal, user=user)
    assert RejectedFrame.objects.filter(track=track, frame=frames[1]).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = send(api, "/api/masks/restore/", {
            "frame_id": frames[1].id, "tag_id": polyp.id, "mask_color": "#123456", "png": png_url(pixels),
            "source": "propagated", "segmenter": "propagation", "confidence": 0.4, "track_id": track.id,
            "keyframe_id": keyframe.id, "points": [],
        })
    assert response.status_code == 201, response.content
    restored = Mask.objects.get(pk=response.json()["id"])
    assert restored.pk != proposal.pk and restored.file.name != old_file
    assert (restored.source, restored.track, restored.keyframe, restored.confidence, restored.reviewed_at) == (
        "propagated", track, keyframe, 0.4, None)
    assert np.array_equal(read_mask(restored.file.name), pixels) and absolute(restored.file.name).exists()
    assert not RejectedFrame.objects.filter(track=track, frame=frames[1]).exists()


def test_a_restore_into_a_track_deleted_meanwhile_is_refused_and_writes_nothing(api, sequence, user):
    polyp = Tag.objects.get(name="Polyp")
    frame = sequence.frames.get(index=0)
    pixels = np.zeros((288, 384), bool)
    pixels[10:20, 10:20] = True
    response = send(api, "/api/masks/restore/", {"frame_id": frame.id, "tag_id": polyp.id, "mask_color": "#FF0000",
                                                 "png": png_url(pixels), "source": "propagated", "track_id": 999})
    assert response.status_code == 404 and "No track with id 999" in response.json()["error"]
    response = send(api, "/api/masks/restore/", {"frame_id": frame.id, "tag_id": polyp.id, "mask_color": "#FF0000",
                                                 "png": png_url(pixels[:10]), "source": "manual"})
    assert response.status_code == 400 and "the frame is 384×288" in response.json()["error"]
    assert not Mask.objects.exists()
