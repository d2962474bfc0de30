"""J, Dice, the DAVIS boundary F and the IoU of boxes, on masks and boxes drawn by hand."""

import math

import numpy as np
import pytest

from vision.metrics import boundary_f, boundary_map, box_iou, dice, j_and_f, jaccard


def _box(shape, top, left, bottom, right):
    mask = np.zeros(shape, bool)
    mask[top:bottom, left:right] = True
    return mask


def test_jaccard_and_dice_of_overlapping_boxes():
    pred = _box((10, 10), 0, 0, 4, 4)  # 16 pixels
    gt = _box((10, 10), 2, 2, 6, 6)  # 16 pixels, 4 shared
    assert jaccard(pred, gt) == pytest.approx(4 / 28)
    assert dice(pred, gt) == pytest.approx(2 * 4 / 32)


def test_jaccard_and_dice_when_both_are_empty_or_one_is():
    empty = np.zeros((5, 7), bool)
    full = np.ones((5, 7), bool)
    assert jaccard(empty, empty) == 1.0
    assert dice(empty, empty) == 1.0
    assert jaccard(empty, full) == 0.0
    assert dice(full, empty) == 0.0


def test_metrics_accept_non_bool_masks():
    gt = _box((8, 8), 1, 1, 5, 5)
    assert jaccard(gt.astype(np.uint8) * 255, gt) == 1.0


def test_boundary_map_is_the_inner_one_pixel_ring_and_ignores_the_image_border():
    mask = _box((7, 7), 1, 1, 6, 6)
    ring = boundary_map(mask)
    assert ring.sum() == 16  # 5x5 square minus its 3x3 interior
    assert not ring[2:5, 2:5].any()
    # a mask filling the frame has no boundary: the image border does not count
    assert not boundary_map(np.ones((7, 7), bool)).any()


def test_boundary_f_empty_cases():
    empty = np.zeros((20, 20), bool)
    blob = _box((20, 20), 5, 5, 15, 15)
    assert boundary_f(empty, empty) == 1.0
    assert boundary_f(blob, empty) == 0.0
    assert boundary_f(empty, blob) == 0.0


def test_boundary_f_tolerates_a_shift_within_the_radius_only():
    shape = (100, 100)
    radius = math.ceil(0.008 * math.hypot(*shape))  # 2 pixels here
    gt = _box(shape, 30, 30, 70, 70)
    near = _box(shape, 30 + radius, 30, 70 + radius, 70)
    far = _box(shape, 30 + 3 * radius, 30, 70 + 3 * radius, 70)
    assert boundary_f(gt, gt) == 1.0
    assert boundary_f(near, gt) == 1.0
    assert boundary_f(far, gt) < 0.7


def test_j_and_f_is_the_mean_of_both():
    gt = _box((40, 40), 10, 10, 30, 30)
    pred = _box((40, 40), 10, 10, 30, 20)
    j, f, jf = j_and_f(pred, gt)
    assert j == pytest.approx(0.5)
    assert 0 < f < 1
    assert jf == pytest.approx((j + f) / 2)


def test_dice_of_masks_of_other_dtypes_counts_non_zero_pixels():
    pred = np.array([[0, 255, 255], [0, 0, 0]], np.uint8)
    gt = np.array([[0, 1, 0], [0, 1, 0]], np.uint8)
    assert dice(pred, gt) == pytest.approx(2 * 1 / 4)
    assert jaccard(pred, gt) == pytest.approx(1 / 3)


def test_box_iou_of_overlapping_disjoint_and_touching_boxes():
    assert box_iou((0, 0, 4, 4), (2, 2, 6, 6)) == pytest.approx(4 / 28)
    assert box_iou((0, 0, 4, 4), (0, 0, 4, 4)) == 1.0
    assert box_iou((0, 0, 4, 4), (4, 0, 8, 4)) == 0.0  # x1 is exclusive: they share an edge, no pixel
    assert box_iou((0, 0, 2, 2), (5, 5, 9, 9)) == 0.0
