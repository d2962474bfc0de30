"""The CPU default segmenter on synthetic endoscopy-like frames made here.

Each frame: textured reddish mucosa with shading, one or two paler textured blobs (the "polyps"),
specular highlights, and the dark octagonal border of the endoscope's view.
"""

import json

import cv2
import numpy as np
import pytest

from masks.evaluation.clicks import first_click, next_click, run_click_protocol
from masks.segmentation.base import Click
from masks.segmentation.opencv import OpenCVSegmenter, field_of_view, fisher_separation, geodesic_distance
from vision.benchmark_dataset import load_dataset
from vision.metrics import jaccard


def _texture(rng, shape, sigma):
    noise = rng.normal(0, 1, shape).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), sigma)
    return noise / (noise.std() + 1e-6)


def synthetic_frame(height=181, width=243, blobs=((0.5, 0.5, 0.18, 0.13),), seed=0):
    """(uint8 RGB (H, W, 3) frame, bool (H, W) mask of all blobs); blobs are (cy, cx, ry, rx) shares."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    shading = 0.75 + 0.25 * np.cos((xx / width - 0.3) * 2.5) * np.cos((yy / height - 0.6) * 2.0)
    base = np.array([190, 105, 80], np.float32)
    image = base * shading[..., None] + 12 * _texture(rng, (height, width), 2.0)[..., None]
    truth = np.zeros((height, width), bool)
    for cy, cx, ry, rx in blobs:
        blob = np.zeros((height, width), np.uint8)
        cv2.ellipse(blob, (int(cx * width), int(cy * height)), (int(rx * width), int(ry * height)), 20, 0, 360, 1, -1)
        truth |= blob > 0
        soft = cv2.GaussianBlur(blob.astype(np.float32), (0, 0), 1.2)[..., None]
        polyp = np.array([225, 150, 135], np.float32) * shading[..., None]
        polyp = polyp + 10 * _texture(rng, (height, width), 1.0)[..., None]
        image = image * (1 - soft) + polyp * soft
    for _ in range(6):  # specular highlights, inside and outside the blobs
        cv2.circle(image, (int(rng.integers(0, width)), int(rng.integers(0, height))), 2, (255, 255, 255), -1)
    cut = min(height, width) // 6
    octagon = np.array(
        [
            [cut, 0],
            [width - cut, 0],
            [width, cut],
            [width, height - cut],
            [width - cut, height],
            [cut, height],
            [0, height - cut],
            [0, cut],
        ],
        np.int32,
    )
    view = np.zeros((height, width), np.uint8)
    cv2.fillPoly(view, [octagon], 1)
    image[view == 0] = 8
    return np.clip(image, 0, 255).astype(np.uint8), truth & (view > 0)


def _near(shape, point, radius):
    disc = np.zeros(shape, np.uint8)
    cv2.circle(disc, (int(point.x), int(point.y)), radius, 1, -1)
    return disc > 0


@pytest.mark.parametrize("height,width", [(181, 243), (288, 384), (97, 131)])
def test_mask_is_bool_and_the_frame_size(height, width):
    image, truth = synthetic_frame(height, width)
    result = OpenCVSegmenter().segment(image, [first_click(truth)])
    assert result.mask.dtype == bool
    assert result.mask.shape == (height, width)
    assert 0.0 <= result.score <= 1.0


def test_one_click_finds_the_blob():
    image, truth = synthetic_frame()
    mask = OpenCVSegmenter().segment(image, [first_click(truth)]).mask
    assert jaccard(mask, truth) >= 0.8


def test_one_click_finds_the_blob_on_a_large_frame():
    image, truth = synthetic_frame(1024, 1280, blobs=((0.45, 0.55, 0.2, 0.12),))
    mask = OpenCVSegmenter().segment(image, [first_click(truth)]).mask
    assert mask.shape == (1024, 1280)
    assert jaccard(mask, truth) >= 0.8


def test_mask_holds_every_positive_point_and_no_negative_point():
    image, truth = synthetic_frame(blobs=((0.4, 0.35, 0.15, 0.12), (0.65, 0.7, 0.12, 0.1)))
    h, w = truth.shape
    points = [
        first_click(truth),
        Click(x=0.7 * w, y=0.65 * h, positive=True),
        Click(x=0.35 * w + 3, y=0.4 * h + 2, positive=False),  # inside the first blob
        Click(x=0.5 * w, y=0.2 * h, positive=False),
        Click(x=0.2 * w, y=0.8 * h, positive=True),  # on the background
    ]
    mask = OpenCVSegmenter().segment(image, points).mask
    for p in points:
        assert mask[round(p.y), round(p.x)] == p.positive, p


def test_negative_click_removes_the_region_around_it():
    image, truth = synthetic_frame()
    segmenter = OpenCVSegmenter()
    plus = first_click(truth)
    before = segmenter.segment(image, [plus], image_key="f").mask
    h, w = truth.shape
    minus = Click(x=plus.x + 0.08 * w, y=plus.y, positive=False)  # inside the blob, off centre
    after = segmenter.segment(image, [plus, minus], image_key="f").mask
    near = _near(truth.shape, minus, 6)
    assert before[near].all()
    assert not after[near].any()
    assert not (after & ~before).any()  # a '-' click only removes
    assert after[round(plus.y), round(plus.x)]


def test_positive_click_adds_the_region_around_it():
    image, truth = synthetic_frame(blobs=((0.4, 0.3, 0.14, 0.1), (0.6, 0.72, 0.14, 0.1)))
    h, w = truth.shape
    left = Click(x=0.3 * w, y=0.4 * h, positive=True)
    right = Click(x=0.72 * w, y=0.6 * h, positive=True)
    segmenter = OpenCVSegmenter()
    before = segmenter.segment(image, [left]).mask
    after = segmenter.segment(image, [left, right]).mask
    right_blob = truth & (np.arange(w)[None, :] > w // 2)
    assert (before & right_blob).sum() < 0.2 * right_blob.sum()
    assert (after & right_blob).sum() > 0.6 * right_blob.sum()
    assert not (before & ~after).any()  # a '+' click only adds
    assert after[_near(truth.shape, right, 4)].all()


def test_cached_and_uncached_calls_agree():
    image, truth = synthetic_frame(seed=3)
    h, w = truth.shape
    points = [
        first_click(truth),
        Click(x=0.2 * w, y=0.3 * h, positive=True),
        Click(x=0.52 * w, y=0.52 * h, positive=False),
    ]
    cached = OpenCVSegmenter(cache_frames=2)
    for k in range(1, len(points) + 1):
        cached.segment(image, points[:k], image_key="frame-1")
    other, _ = synthetic_frame(seed=4)
    cached.segment(other, points[:1], image_key="frame-2")
    again = cached.segment(image, points, image_key="frame-1").mask
    fresh = OpenCVSegmenter().segment(image, points).mask
    assert np.array_equal(again, fresh)


def test_no_positive_point_gives_an_empty_mask():
    image, _ = synthetic_frame()
    result = OpenCVSegmenter().segment(image, [Click(x=50, y=50, positive=False)])
    assert not result.mask.any()


def test_field_of_view_excludes_the_dark_border_but_not_a_dark_lumen():
    image, _ = synthetic_frame()
    h, w = image.shape[:2]
    cv2.circle(image, (w // 4, h // 2), 12, (5, 5, 5), -1)  # a dark lumen inside the view
    view = field_of_view(image)
    assert not view[0, 0] and not view[-1, -1]
    assert view[h // 2, w // 4] and view[h // 2, w // 2]


def test_geodesic_distance_is_euclidean_on_flat_cost_and_long_across_a_wall():
    cost = np.ones((41, 41), np.float32)
    flat = geodesic_distance(cost, (20, 20))
    assert flat[20, 20] == 0
    assert flat[20, 40] == pytest.approx(20.0, rel=1e-5)
    assert flat[40, 40] == pytest.approx(20 * np.sqrt(2), rel=1e-5)
    cost[:, 30] = 100.0  # a wall with no gap
    walled = geodesic_distance(cost, (20, 20))
    assert walled[20, 35] > walled[20, 25] + 90


def test_geodesic_distance_matches_dijkstra_on_an_uneven_cost():
    import heapq

    cost = (1.0 + 0.5 * np.random.default_rng(3).random((15, 11))).astype(np.float32)
    seed = (4, 7)
    exact = np.full(cost.shape, np.inf)
    exact[seed] = 0.0
    queue = [(0.0, seed)]
    while queue:
        found, (r, c) = heapq.heappop(queue)
        if found > exact[r, c]:
            continue
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                rr, cc = r + dr, c + dc
                if (dr or dc) and 0 <= rr < 15 and 0 <= cc < 11:
                    step = found + float(cost[r, c] + cost[rr, cc]) / 2 * np.hypot(dr, dc)
                    if step < exact[rr, cc]:
                        exact[rr, cc] = step
                        heapq.heappush(queue, (step, (rr, cc)))
    assert np.allclose(geodesic_distance(cost, seed), exact, rtol=1e-5)


def test_geodesic_distance_from_a_mask_is_the_nearest_of_its_pixels():
    cost = (1.0 + 2.0 * np.random.default_rng(4).random((30, 40))).astype(np.float32)
    seeds = np.zeros(cost.shape, bool)
    seeds[5, 6] = seeds[22, 31] = seeds[12, 20] = True
    nearest = np.minimum.reduce([geodesic_distance(cost, (r, c)) for r, c in zip(*np.nonzero(seeds), strict=True)])
    assert np.allclose(geodesic_distance(cost, seeds), nearest, rtol=1e-5)


def test_click_protocol_on_synthetic_frames_converges(tmp_path):
    (tmp_path / "frames").mkdir()
    (tmp_path / "masks").mkdir()
    names = []
    blobs = [((0.5, 0.5, 0.2, 0.15),), ((0.35, 0.6, 0.12, 0.2),), ((0.55, 0.4, 0.1, 0.1),)]
    for i, blob in enumerate(blobs):
        image, truth = synthetic_frame(blobs=blob, seed=10 + i)
        cv2.imwrite(str(tmp_path / "frames" / f"{i}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(tmp_path / "masks" / f"{i}.png"), truth.astype(np.uint8) * 255)
        names.append(f"{i}.png")
    (tmp_path / "sequences.json").write_text(json.dumps([{"id": "synthetic", "frames": names}]))
    segmenter = OpenCVSegmenter()

    def segment(image, points, key):
        return segmenter.segment(image, points, image_key=key).mask

    summary = run_click_protocol(load_dataset(tmp_path), segment, max_clicks=8, frame_step=1)
    assert summary["frames"] == 3
    assert summary["mIoU@1"] >= 0.8
    assert summary["mIoU@5"] >= summary["mIoU@1"]
    assert summary["NoC@85"] <= 3


@pytest.mark.parametrize("seed", [0, 4])
def test_colour_refinement_sharpens_the_outline(seed):
    image, truth = synthetic_frame(seed=seed, blobs=((0.45, 0.5, 0.2, 0.16),))
    points = [first_click(truth)]
    refined = OpenCVSegmenter().segment(image, points).mask
    geodesic_only = OpenCVSegmenter(refine_iterations=0).segment(image, points).mask
    assert jaccard(refined, truth) > jaccard(geodesic_only, truth) + 0.01


def test_each_click_only_adds_or_only_removes_along_the_protocol():
    image, truth = synthetic_frame(blobs=((0.4, 0.35, 0.15, 0.12), (0.65, 0.7, 0.12, 0.1)), seed=5)
    segmenter = OpenCVSegmenter()
    points = [first_click(truth)]
    before = segmenter.segment(image, points, image_key="f").mask
    signs = []
    for _ in range(12):
        click = next_click(before, truth)
        if click is None:
            break
        points.append(click)
        signs.append(click.positive)
        after = segmenter.segment(image, points, image_key="f").mask
        if click.positive:
            assert not (before & ~after).any()
        else:
            assert not (after & ~before).any()
        for p in points:
            assert after[round(p.y), round(p.x)] == p.positive
        before = after
    assert True in signs and False in signs, f"the protocol's clicks checked both ways: {signs}"


def test_result_does_not_depend_on_opencv_random_state():
    image, truth = synthetic_frame(seed=2)
    h, w = truth.shape
    points = [first_click(truth), Click(x=0.62 * w, y=0.5 * h, positive=False)]
    cv2.setRNGSeed(1)
    first = OpenCVSegmenter().segment(image, points).mask
    cv2.setRNGSeed(12345)
    cv2.kmeans(
        np.random.default_rng(0).random((50, 3), np.float32),
        3,
        None,
        (cv2.TERM_CRITERIA_MAX_ITER, 5, 0),
        2,
        cv2.KMEANS_PP_CENTERS,
    )
    second = OpenCVSegmenter().segment(image, points).mask
    assert np.array_equal(first, second)


@pytest.mark.slow
def test_a_thousand_points_in_one_request_give_the_mask_of_clicking_them_one_by_one():
    """The probe's ~1,000 points crashed with a RecursionError; the mask must not depend on how clicks arrive."""
    image, _ = synthetic_frame(height=60, width=80)
    rng = np.random.default_rng(1)
    points = [Click(40.0, 30.0, True)] + [
        Click(float(rng.integers(0, 80)), float(rng.integers(0, 60)), bool(rng.random() < 0.5))
        for _ in range(1099)
    ]
    at_once = OpenCVSegmenter(work_side=48, cache_clicks=8).segment(image, points)
    one_by_one = OpenCVSegmenter(work_side=48, cache_clicks=8)
    for count in (1, 2, 3, 700, 701, 1100):  # the requests an annotator's page would send, some left out
        incremental = one_by_one.segment(image, points[:count], image_key="frame")
    assert np.array_equal(at_once.mask, incremental.mask)
    assert all(at_once.mask[int(p.y), int(p.x)] == p.positive for p in points[-1:])


def test_a_click_on_a_textured_region_selects_the_region_of_that_texture():
    """Stripes inside, smooth mottling around, the same colours on average: colour edges are everywhere inside
    the stripes and nowhere at the region's outline, so only the backbone's features can find it."""
    from backbone.features import frame_matching_features

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:288, 0:384]
    stripes = 128 + 70 * np.sign(np.sin(xx / 2.0 + yy / 3.0))
    mottled = cv2.GaussianBlur(rng.normal(0, 1, (288, 384)).astype(np.float32), (0, 0), 4)
    mottled = 128 + 45 * (mottled - mottled.mean()) / mottled.std()
    region = ((yy - 150) / 70) ** 2 + ((xx - 200) / 90) ** 2 <= 1
    grey = np.where(region, stripes, mottled)
    image = np.clip(grey[..., None] * np.array([1.0, 0.8, 0.7]), 0, 255).astype(np.uint8)
    click = [Click(200.0, 150.0, True)]
    seeing = OpenCVSegmenter(features=frame_matching_features).segment(image, click).mask
    blind = OpenCVSegmenter().segment(image, click).mask
    assert jaccard(seeing, region) > 0.85
    assert jaccard(blind, region) < 0.2


def test_a_positive_click_on_a_far_part_of_the_object_takes_that_part_not_the_tissue_around_it():
    image, truth = synthetic_frame(blobs=((0.3, 0.25, 0.12, 0.08), (0.65, 0.75, 0.12, 0.08)), seed=5)
    near = np.zeros_like(truth)
    near[: truth.shape[0] // 2, : truth.shape[1] // 2] = True
    first = first_click(truth & near)
    second = first_click(truth & ~near)
    segmenter = OpenCVSegmenter()
    one = segmenter.segment(image, [first]).mask
    assert jaccard(one, truth & near) > 0.8 and not (one & ~near).any()
    both = segmenter.segment(image, [first, second]).mask
    assert jaccard(both, truth) > 0.8


def test_fisher_separation_is_large_between_different_features_and_small_within_one_kind():
    rng = np.random.default_rng(0)
    features = rng.normal(0, 0.1, (8, 12, 16)).astype(np.float32)
    features[0, :, 8:] += 1.0  # the right half is another kind of tissue
    left = np.zeros((48, 64), bool)  # masks at the working size, four times the features' grid
    left[:, :32] = True
    top_left = left.copy()
    top_left[24:] = False
    bottom_left = left & ~top_left
    assert fisher_separation(features, left, ~left) > 3.0  # 1 / (2 × 8 × 0.1²)
    assert fisher_separation(features, top_left, bottom_left) < 0.3
    assert fisher_separation(features, left, np.zeros_like(left)) == 0.0


def test_the_first_click_region_only_grows_past_its_most_salient_outline():
    """Growing to a better-separated outline adds to the most salient region, never takes from it."""
    from backbone.features import frame_matching_features

    for seed in range(3):
        image, truth = synthetic_frame(seed=seed)
        click = [first_click(truth)]
        grown = OpenCVSegmenter(features=frame_matching_features).segment(image, click).mask
        salient = OpenCVSegmenter(features=frame_matching_features, grow_share=2.0).segment(image, click).mask
        assert (grown | salient).sum() - grown.sum() <= 0.02 * salient.sum()
        assert jaccard(grown, truth) >= jaccard(salient, truth) - 0.02
