"""Clicks that correct an existing mask (a propagated or a model's): the segmenters start from its pixels, and
``/generate_mask/`` with ``mask_id`` previews or saves the correction in the mask's place."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from masks import services
from masks.evaluation.clicks import next_click
from masks.models import Mask, Track
from masks.segmentation.base import Click
from masks.segmentation.opencv import OpenCVSegmenter
from masks.segmentation.sam import mask_logits
from masks.storage import read_mask
from tags.models import Tag
from tests.masks.test_opencv_segmenter import synthetic_frame
from vision.metrics import jaccard


def innermost(mask: np.ndarray) -> tuple[int, int]:
    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(distance.argmax()), distance.shape)
    return int(x), int(y)


def blob(shape, cy: float, cx: float, radius: float) -> np.ndarray:
    out = np.zeros(shape, np.uint8)
    cv2.circle(out, (int(cx * shape[1]), int(cy * shape[0])), int(radius * shape[0]), 1, -1)
    return out > 0


def test_a_minus_click_removes_a_wrong_part_of_the_initial_mask_and_keeps_the_rest():
    image, truth = synthetic_frame(blobs=((0.45, 0.4, 0.18, 0.13),), seed=2)
    wrong = blob(truth.shape, 0.5, 0.8, 0.08) & ~truth
    initial = truth | wrong  # a propagated mask that also covers a patch of mucosa
    x, y = innermost(wrong)
    result = OpenCVSegmenter().segment(image, [Click(x, y, False)], initial=initial).mask
    assert not result[wrong].any()
    assert jaccard(result, truth) > 0.95  # the lesion's outline is the initial mask's, untouched


def test_a_plus_click_adds_what_the_initial_mask_missed():
    image, truth = synthetic_frame(blobs=((0.5, 0.5, 0.2, 0.15),), seed=4)
    initial = truth.copy()
    initial[:, truth.shape[1] // 2:] = False  # half of the lesion
    missing = truth & ~initial
    x, y = innermost(missing)
    result = OpenCVSegmenter().segment(image, [Click(x, y, True)], initial=initial).mask
    assert jaccard(result, truth) > max(0.8, jaccard(initial, truth) + 0.2)
    assert result[initial].all()  # a '+' click only adds


@pytest.mark.parametrize(("seed", "gap"), [(5, 5), (6, 8)])
def test_a_plus_click_moves_the_outline_along_the_side_of_a_mask_too_small_all_round(seed, gap):
    # a propagated mask is often off by a band along its whole side, not at one spot: one '+' click in the gap says
    # how far, and the band along the outline near it follows, not only a disc around the click
    image, truth = synthetic_frame(blobs=((0.5, 0.5, 0.22, 0.17),), seed=seed)
    initial = cv2.erode(truth.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * gap + 1,) * 2)) > 0
    click = next_click(initial, truth)
    assert click.positive
    pulled = OpenCVSegmenter().segment(image, [click], initial=initial).mask
    local = OpenCVSegmenter(pull=0).segment(image, [click], initial=initial).mask
    assert jaccard(initial, truth) < 0.8
    assert jaccard(pulled, truth) > max(0.75, jaccard(local, truth) + 0.05)
    assert pulled[initial].all()  # still only adds


def test_a_plus_click_after_minus_clicks_emptied_a_wrong_mask_designates_the_object_anew():
    # a propagated mask that lost the lesion and lies on mucosa: '-' removes it all, then '+' on the lesion
    image, truth = synthetic_frame(blobs=((0.5, 0.35, 0.18, 0.13),), seed=4)
    wrong = blob(truth.shape, 0.5, 0.8, 0.08) & ~truth
    segmenter = OpenCVSegmenter()
    minus = Click(*innermost(wrong), False)
    assert not segmenter.segment(image, [minus], initial=wrong).mask.any()
    result = segmenter.segment(image, [minus, Click(*innermost(truth), True)], initial=wrong).mask
    fresh = segmenter.segment(image, [Click(*innermost(truth), True)]).mask
    assert jaccard(result, truth) > 0.8  # the object, as a first click finds it, not a few pixels around the click
    assert jaccard(result, fresh) > 0.9
    assert not result[wrong].any()


def test_without_initial_minus_clicks_alone_make_nothing_and_an_empty_initial_is_none():
    image, truth = synthetic_frame(seed=1)
    x, y = innermost(~truth)
    segmenter = OpenCVSegmenter()
    assert not segmenter.segment(image, [Click(x, y, False)]).mask.any()
    empty = np.zeros_like(truth)
    assert not segmenter.segment(image, [Click(x, y, False)], initial=empty).mask.any()


def test_sam_mask_input_lays_the_mask_on_the_models_low_resolution_grid():
    mask = np.zeros((100, 200), bool)
    mask[:, :100] = True  # the left half of a frame twice as wide as high
    logits = mask_logits(mask)
    assert logits.shape == (1, 256, 256) and logits.dtype == np.float32
    # the frame fills the top 128 rows (1024 × 100 / 200 = 512 input rows, a quarter of them); padding is -10
    assert (logits[0, :128, :126] > 5).all() and (logits[0, :128, 130:] < -5).all()
    assert (logits[0, 130:, :] == -10).all()


def test_sam_refines_from_an_initial_mask_with_minus_clicks_alone(sam_settings):
    from masks.segmenters import active_segmenter

    segmenter, status = active_segmenter()
    assert status.kind == "sam"
    image, truth = synthetic_frame(height=96, width=128, seed=5)
    x, y = innermost(~truth)
    answer = segmenter.segment(image, [Click(x, y, False)], initial=truth, image_key="refine-test")
    assert answer.mask.shape == truth.shape and answer.logits.shape == (1, 256, 256)


# --- the endpoint --------------------------------------------------------------------------------------------

def propagated_mask(sequence, pixels: np.ndarray, index: int = 1) -> Mask:
    tag = Tag.objects.get(name="Polyp")
    track = Track.objects.create(sequence=sequence, tag=tag, color=tag.color)
    return services.save_mask(
        frame=sequence.frames.get(index=index), tag=tag, color=tag.color, mask=pixels,
        source=Mask.Source.PROPAGATED, track=track, confidence=0.4, segmenter="propagation",
    )


def post(client, body):
    return client.post("/generate_mask/", json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_refining_a_propagated_mask_previews_then_saves_in_its_place(api, sequence, synthetic, user):
    truth = synthetic[1][1]
    wrong = blob(truth.shape, 0.85, 0.15, 0.07) & ~truth
    mask = propagated_mask(sequence, truth | wrong)
    x, y = innermost(wrong)
    body = {"sequence_id": sequence.id, "frame_id": mask.frame_id, "mask_id": mask.id,
            "points": [{"x": x, "y": y, "sign": "-"}]}

    preview = post(api, {**body, "preview": True})
    assert preview.status_code == 200, preview.content
    assert preview.json()["area"] < int((truth | wrong).sum())
    assert Mask.objects.get(pk=mask.pk).source == Mask.Source.PROPAGATED  # a preview changes nothing

    saved = post(api, body)
    assert saved.status_code == 200, saved.content
    assert saved.json()["id"] == mask.id and Mask.objects.count() == 1
    mask.refresh_from_db()
    pixels = read_mask(mask.file.name)
    assert not pixels[wrong].any() and jaccard(pixels, truth) > 0.9
    # corrected by a person: a keyframe made by hand, still in its track, the click recorded
    assert mask.source == Mask.Source.MANUAL and mask.track_id is not None and mask.reviewed_by == user
    assert list(mask.points.values_list("sign", flat=True)) == ["-"]
    assert mask.area == int(pixels.sum())


@pytest.mark.django_db
def test_refining_a_mask_of_another_frame_or_removing_everything_is_refused(api, sequence, synthetic):
    truth = synthetic[1][1]
    mask = propagated_mask(sequence, truth)
    other = sequence.frames.get(index=2)
    x, y = innermost(truth)
    answer = post(api, {"sequence_id": sequence.id, "frame_id": other.id, "mask_id": mask.id,
                        "points": [{"x": x, "y": y, "sign": "-"}]})
    assert answer.status_code == 400 and "not on frame" in answer.json()["error"]
    missing = post(api, {"sequence_id": sequence.id, "frame_id": mask.frame_id, "mask_id": 999999,
                         "points": [{"x": x, "y": y, "sign": "-"}]})
    assert missing.status_code == 404
    name = mask.file.name
    small = propagated_mask(sequence, blob(truth.shape, 0.5, 0.5, 0.01), index=3)
    sx, sy = innermost(read_mask(small.file.name))
    emptied = post(api, {"sequence_id": sequence.id, "frame_id": small.frame_id, "mask_id": small.id,
                         "points": [{"x": sx, "y": sy, "sign": "-"}]})
    assert emptied.status_code == 400 and "delete the mask" in emptied.json()["error"]
    assert read_mask(name).any() and Mask.objects.get(pk=small.pk).source == Mask.Source.PROPAGATED
