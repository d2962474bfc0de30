"""The simulated annotator of protocol 1 and its driver, on masks and datasets made here."""

import json

import cv2
import numpy as np
import pytest

from masks.evaluation.clicks import distance_inside, first_click, next_click, run_click_protocol
from masks.segmentation.base import Click
from vision.benchmark_dataset import load_dataset


def _box(shape, top, left, bottom, right):
    mask = np.zeros(shape, bool)
    mask[top:bottom, left:right] = True
    return mask


def test_distance_inside_counts_the_image_border_as_boundary():
    dist = distance_inside(np.ones((5, 9), bool))
    assert dist[2, 4] == pytest.approx(3.0)  # centre: 3 pixels from the padded border
    assert dist[0, 4] == pytest.approx(1.0)


def test_first_click_is_positive_at_the_deepest_ground_truth_pixel():
    gt = _box((40, 60), 10, 20, 31, 41)  # 21x21 square centred on (row 20, col 30)
    assert first_click(gt) == Click(x=30.0, y=20.0, positive=True)


def test_first_click_respects_the_image_border():
    # a 30x20 box against the left, top and bottom borders: had the border not counted, the deepest
    # pixel would sit on column 0; counted, every pixel 10 from all sides ties and the first in
    # row-major order wins
    gt = _box((30, 60), 0, 0, 30, 20)
    assert first_click(gt) == Click(x=9.0, y=9.0, positive=True)


def test_first_click_on_empty_ground_truth_is_none():
    assert first_click(np.zeros((4, 4), bool)) is None


def test_next_click_goes_to_the_deeper_error_region():
    gt = _box((60, 80), 10, 10, 50, 50)
    pred = gt.copy()
    pred[20:30, 20:30] = False  # a 10x10 hole: false negative, depth 5
    pred[5:55, 60:76] = True  # a 50x16 slab outside: false positive, depth 8
    click = next_click(pred, gt)
    assert click is not None and click.positive is False
    assert 60 <= click.x < 76 and 5 <= click.y < 55
    assert pred[int(click.y), int(click.x)] and not gt[int(click.y), int(click.x)]


def test_next_click_is_positive_at_the_centre_of_a_missed_region():
    gt = _box((60, 80), 10, 10, 50, 50)
    pred = gt.copy()
    pred[21:30, 31:40] = False  # a 9x9 hole centred on (row 25, col 35)
    assert next_click(pred, gt) == Click(x=35.0, y=25.0, positive=True)


def test_next_click_is_none_on_a_perfect_mask():
    gt = _box((20, 20), 5, 5, 15, 15)
    assert next_click(gt.copy(), gt) is None


def _write_dataset(root, sequences):
    """A dataset in the BENCHMARKS.md layout: each frame a grey image with the mask drawn brighter."""
    (root / "frames").mkdir()
    (root / "masks").mkdir()
    index = []
    for seq_id, masks in sequences.items():
        names = []
        for i, mask in enumerate(masks):
            name = f"{seq_id}-{i:03d}.png"
            image = np.full((*mask.shape, 3), 60, np.uint8)
            image[mask] = 200
            cv2.imwrite(str(root / "frames" / name), image)
            cv2.imwrite(str(root / "masks" / name), mask.astype(np.uint8) * 255)
            names.append(name)
        index.append({"id": seq_id, "frames": names})
    (root / "sequences.json").write_text(json.dumps(index))
    return load_dataset(root)


def test_run_click_protocol_scores_every_fifth_frame_with_unique_keys(tmp_path):
    masks = [_box((32, 48), 4 + i % 3, 6, 24, 30) for i in range(7)]
    sequences = _write_dataset(tmp_path, {"a": masks, "b": masks[:3]})
    keys, calls = [], []

    def segment(image, points, image_key):
        keys.append(image_key)
        calls.append(list(points))
        return np.zeros(image.shape[:2], bool)  # never right: every frame takes all clicks

    summary = run_click_protocol(sequences, segment, max_clicks=3, frame_step=5)
    assert summary["frames"] == 3  # a: frames 0 and 5, b: frame 0
    assert sorted(set(keys)) == ["a/a-000.png", "a/a-005.png", "b/b-000.png"]
    # every call sends all clicks so far, the first one '+'
    assert [len(c) for c in calls] == [1, 2, 3] * 3
    assert calls[2][:2] == calls[1] and calls[0][0].positive
    assert summary["mIoU@1"] == 0.0 and summary["NoC@85"] == 3 and summary["NoC@90"] == 3
    assert len(summary["per_frame"]) == 3
    for key in ("mIoU@3", "mIoU@5", "ms_per_click_p50", "ms_per_click_p95"):
        assert key in summary


def test_run_click_protocol_with_a_perfect_segmenter_needs_one_click(tmp_path):
    masks = [_box((30, 40), 5, 5, 20, 25), _box((30, 40), 10, 12, 28, 38)]
    sequences = _write_dataset(tmp_path, {"s": masks})

    def segment(image, points, image_key):
        return image[..., 0] > 127

    summary = run_click_protocol(sequences, segment, frame_step=1)
    assert summary["frames"] == 2
    assert summary["mIoU@1"] == 1.0 and summary["mIoU@5"] == 1.0
    assert summary["NoC@85"] == 1.0 and summary["NoC@90"] == 1.0


def test_run_click_protocol_rejects_a_mask_of_the_wrong_size(tmp_path):
    sequences = _write_dataset(tmp_path, {"s": [_box((30, 40), 5, 5, 20, 25)]})
    with pytest.raises(ValueError):
        run_click_protocol(sequences, lambda image, points, key: np.zeros((3, 3), bool))
