"""The whole path with SAM: request → real SamPredictor (tiny random model) → PNG → database."""

from __future__ import annotations

import io
import json

import cv2
import numpy as np
import pytest
from django.core.management import call_command

from masks.models import Mask
from masks.segmenters import active_segmenter
from masks.storage import absolute
from tags.models import Tag

pytestmark = pytest.mark.django_db


def body(sequence, frame_index=0, **changes) -> dict:
    frame = sequence.frames.get(index=frame_index)
    data = {
        "sequence_id": sequence.id, "frame_id": frame.id,
        "points": [{"x": 190, "y": 130, "sign": "+"}], "tag_id": Tag.objects.get(name="Polyp").id,
        "mask_color": "#00FF00",
    }
    data.update(changes)
    return data


def post(client, data):
    return client.post("/generate_mask/", json.dumps(data), content_type="application/json")


def test_generate_mask_with_sam_saves_the_predictors_mask(api, sequence, sam_settings):
    segmenter, status = active_segmenter()
    assert status.kind == "sam" and status.problem is None
    first = post(api, body(sequence, preview=True))
    assert first.status_code == 200, first.content
    assert first.json()["segmenter"] == segmenter.name and segmenter.name.startswith("sam-vit_b-")
    points = [{"x": 190, "y": 130, "sign": "+"}, {"x": 60, "y": 200, "sign": "-"}]
    second = post(api, body(sequence, points=points))
    assert second.status_code == 200, second.content
    assert segmenter.encoder_runs == 1  # the second click on the frame used the cached embedding
    mask = Mask.objects.get(pk=second.json()["id"])
    assert mask.segmenter == segmenter.name
    stored = cv2.imread(str(absolute(mask.file.name)), cv2.IMREAD_UNCHANGED)
    assert stored.shape == (288, 384) and set(np.unique(stored)) <= {0, 255}
    # The stored mask is exactly the predictor's answer for these points.
    frame = sequence.frames.get(index=0)
    from masks.segmentation.base import Click
    from sequences.selectors import frame_image_key, frame_rgb

    again = segmenter.segment(
        frame_rgb(frame), [Click(190, 130, True), Click(60, 200, False)], image_key=frame_image_key(frame)
    )
    assert np.array_equal(again.mask, stored == 255) and mask.score == pytest.approx(again.score)
    assert segmenter.encoder_runs == 1
    assert list((sam_settings.SAM_EMBEDDING_CACHE_DIR).rglob("*.pt")), "embedding cached on disk"


def test_each_frame_is_encoded_once(api, sequence, sam_settings):
    segmenter, _ = active_segmenter()
    for frame_index in (0, 1, 0, 1):
        assert post(api, body(sequence, frame_index, preview=True)).status_code == 200
    assert segmenter.encoder_runs == 2


def test_annotation_page_names_sam(client, user, sequence, sam_settings):
    client.force_login(user)
    page = client.get(f"/sequences/{sequence.id}/annotate/").content.decode()
    assert "Segmenter: sam-vit_b-" in page and "cannot be used" not in page


@pytest.mark.parametrize(
    ("model_type", "expected"),
    [("vit_x", "vit_x"), ("vit_h", "vit_h")],
)
def test_wrong_model_type_is_reported_not_raised(client, user, sequence, sam_settings, model_type, expected):
    sam_settings.SAM_MODEL_TYPE = model_type
    client.force_login(user)
    response = client.get(f"/sequences/{sequence.id}/annotate/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "SAM is configured but cannot be used" in page and expected in page
    assert "Segmenter: opencv" in page


def test_start_up_check_warns_about_a_missing_checkpoint(settings, tmp_path):
    settings.SAM_CHECKPOINT = str(tmp_path / "nowhere" / "sam_vit_b_01ec64.pth")
    out, err = io.StringIO(), io.StringIO()
    call_command("check", stdout=out, stderr=err)
    text = out.getvalue() + err.getvalue()
    assert "masks.W001" in text and "sam_vit_b_01ec64.pth" in text
