"""Propagation on sequences with known motion, generated here (and from real dev frames where present)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from extrapolation.flow import field_of_view, specular_highlights
from extrapolation.motion import moved, smooth_motion
from extrapolation.propagation import PropagatedMask, propagate
from vision.metrics import jaccard

pytestmark = pytest.mark.slow

SHARED = Path(__file__).resolve().parents[3] / "shared"
DEV = SHARED / "data" / "cvc-clinicdb-dev"


def tissue(h: int, w: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A mucosa-like uint8 RGB texture (smoothed multi-scale noise, orange-pink) with a purple textured
    blob (the "lesion"); returns (image, bool mask of the blob)."""
    rng = np.random.default_rng(seed)
    shade = np.zeros((h, w), np.float32)
    for sigma, amplitude in ((24, 1.0), (8, 0.6), (2, 0.3)):
        noise = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), sigma)
        shade += amplitude * noise / (noise.std() + 1e-6)
    base = np.array([205, 125, 95], np.float32)
    image = base + 18 * shade[..., None] * np.array([1.0, 0.8, 0.7], np.float32)
    yy, xx = np.mgrid[0:h, 0:w]
    cy, cx, ry, rx = h * 0.45, w * 0.4, h * 0.16, w * 0.12
    inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
    mask = inside <= 1.0
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.5)[..., None]
    lesion = np.array([165, 85, 120], np.float32) + 25 * shade[..., None]
    image = image * (1 - soft) + lesion * soft
    return np.clip(image, 0, 255).astype(np.uint8), mask


def mean_j(results: dict[int, PropagatedMask], truths: list[np.ndarray], skip: set[int]) -> float:
    scores = [
        jaccard(results[i].mask if i in results else np.zeros_like(t), t) for i, t in enumerate(truths) if i not in skip
    ]
    return float(np.mean(scores))


@pytest.mark.parametrize(
    "motion",
    [dict(shift=40.0), dict(zoom=0.3), dict(turn=20.0), dict(shift=25.0, zoom=-0.2, turn=-10.0)],
    ids=["translation", "zoom", "rotation", "combined"],
)
def test_follows_known_motion(motion):
    image, mask = tissue(240, 320, seed=1)
    frames, truths = moved(image, mask, smooth_motion(20, **motion))
    results = propagate(frames, None, {0: truths[0]})
    assert set(results) == set(range(1, 20))
    assert mean_j(results, truths, {0}) >= 0.9
    for r in results.values():
        assert r.mask.dtype == bool and r.mask.shape == truths[0].shape
        assert 0.0 <= r.confidence <= 1.0 and r.source_keyframe == 0


def test_propagates_backwards_and_forwards_from_a_middle_keyframe():
    image, mask = tissue(240, 320, seed=2)
    frames, truths = moved(image, mask, smooth_motion(15, shift=30.0, turn=8.0))
    results = propagate(frames, None, {7: truths[7]})
    assert set(results) == set(range(15)) - {7}
    assert mean_j(results, truths, {7}) >= 0.9


def test_frames_are_loaded_lazily_through_a_loader():
    image, mask = tissue(240, 320, seed=3)
    frames, truths = moved(image, mask, smooth_motion(10, shift=20.0))
    asked = []

    def load(index: int) -> np.ndarray:
        asked.append(index)
        return frames[index]

    results = propagate(load, len(frames), {0: truths[0]})
    assert set(asked) == set(range(10))
    assert mean_j(results, truths, {0}) >= 0.9


def test_real_frames_moved_by_smooth_camera_motion():
    if not (DEV / "sequences.json").is_file():
        pytest.skip(f"real dev frames not present at {DEV} (shared data is outside the repository)")
    sequences = json.loads((DEV / "sequences.json").read_text())
    scores = []
    for entry in sequences[::5]:  # a spread of sequences, not picked for their score
        name = entry["frames"][0]
        image = cv2.cvtColor(cv2.imread(str(DEV / "frames" / name)), cv2.COLOR_BGR2RGB)
        mask = cv2.imread(str(DEV / "masks" / name), cv2.IMREAD_GRAYSCALE) > 127
        frames, truths = moved(image, mask, smooth_motion(40, shift=20.0, zoom=0.15, turn=6.0))
        results = propagate(frames, None, {0: truths[0]})
        scores.append(mean_j(results, truths, {0}))
    assert float(np.mean(scores)) >= 0.97, scores


def test_stops_when_the_object_leaves_the_view():
    # The camera pans across a wide scene; the lesion slides out of the left edge around frame 14.
    canvas, lesion = tissue(240, 900, seed=4)
    lesion[:, 500:] = False
    width, step, count = 320, 22, 30
    frames = [canvas[:, 200 + step * t : 200 + step * t + width].copy() for t in range(count)]
    truths = [lesion[:, 200 + step * t : 200 + step * t + width] for t in range(count)]
    gone = min(t for t in range(count) if not truths[t].any())
    calls: list[tuple[int, PropagatedMask]] = []
    results = propagate(frames, None, {0: truths[0]}, on_frame=lambda i, r: calls.append((i, r)) is None)

    assert [i for i, _ in calls] == list(range(1, count)), "every frame is reported, in order"
    visible = [t for t in range(1, gone) if truths[t].sum() > 0.3 * truths[0].sum()]
    assert all(t in results for t in visible)
    assert mean_j(results, truths, {0} | set(range(gone, count))) >= 0.8
    assert not any(t in results for t in range(gone, count)), "no garbage after the object left"
    assert all(r.mask is None for i, r in calls if i >= gone)


def test_cancel_from_the_callback_stops_the_work():
    image, mask = tissue(240, 320, seed=5)
    frames, truths = moved(image, mask, smooth_motion(12, shift=20.0))
    seen = []

    def on_frame(index: int, result: PropagatedMask) -> bool:
        seen.append(index)
        return len(seen) < 3

    results = propagate(frames, None, {0: truths[0]}, on_frame=on_frame)
    assert seen == [1, 2, 3]
    assert set(results) == {1, 2, 3}


def test_several_keyframes_are_honoured_and_never_overwritten():
    image, mask = tissue(240, 320, seed=6)
    frames, truths = moved(image, mask, smooth_motion(21, shift=30.0, zoom=0.2))
    # The annotator's second keyframe outlines only the lesion's left half: the frames after it must
    # follow that outline, not the first keyframe's.
    half = truths[10].copy()
    columns = np.flatnonzero(half.any(axis=0))
    half[:, (columns[0] + columns[-1]) // 2 :] = False
    keyframes = {0: truths[0].copy(), 10: half.copy()}
    calls = []
    results = propagate(frames, None, keyframes, on_frame=lambda i, r: calls.append(i) is None)

    assert sorted(calls) == sorted(set(range(21)) - {0, 10}), "each non-keyframe reported once"
    assert not set(results) & set(keyframes), "keyframes are the annotator's: not in the result"
    assert np.array_equal(keyframes[10], half), "the caller's masks are not modified"
    for i in range(11, 21):
        assert results[i].source_keyframe == 10
        assert 0.3 < jaccard(results[i].mask, truths[i]) < 0.7, "a half, moved with the lesion"
    # Between the keyframes the two answers are averaged, the nearer keyframe weighing more: next to the first
    # the whole lesion, next to the second its half, and the source is the keyframe weighing more.
    for i in (1, 2):
        assert jaccard(results[i].mask, truths[i]) >= 0.85 and results[i].source_keyframe == 0
    for i in (8, 9):
        assert 0.3 < jaccard(results[i].mask, truths[i]) < 0.7 and results[i].source_keyframe == 10
    areas = [int(results[i].mask.sum()) for i in range(1, 10)]
    assert areas[0] > areas[4] > areas[-1]  # the outline passes from one keyframe's to the other's


def test_field_of_view_and_speculars():
    image, _ = tissue(120, 160, seed=7)
    image[:, :15] = 3  # the scope's dark border
    image[50:54, 80:84] = 255  # a specular spot
    image[60:70, 40:50] = 5  # a dark lumen inside the view stays inside
    fov = field_of_view(image)
    assert not fov[:, :15].any() and fov[60:70, 40:50].all() and fov[:, 30:].all()
    spots = specular_highlights(image)
    assert spots[50:54, 80:84].all() and spots.mean() < 0.01


def test_the_feature_path_finds_the_object_again_after_a_jump_the_flow_cannot_follow():
    """The camera jumps (a large turn and shift between two frames, as sampled or cut video does): optical flow
    loses the lesion, the backbone's features find it where it now is."""
    from extrapolation.propagation import PropagationParams

    image, mask = tissue(240, 320, seed=4)
    still, _ = moved(image, mask, [(0, 0, 1.0, 0)] * 3)
    jumped, jumped_truth = moved(image, mask, [(90.0, 50.0, 1.1, 75.0 + 3 * t) for t in range(4)])
    frames, truths = still + jumped, [mask] * 3 + jumped_truth
    after_jump = set(range(3))
    with_features = propagate(frames, None, {0: truths[0]})
    flow_only = propagate(frames, None, {0: truths[0]}, params=PropagationParams(feature_side=0))
    assert mean_j(flow_only, truths, after_jump) < 0.3
    assert mean_j(with_features, truths, after_jump) > 0.6


def test_only_frames_the_flow_and_the_features_agree_on_enter_the_memory(monkeypatch):
    import extrapolation.propagation as propagation
    from extrapolation.affinity import FeatureMemory
    from extrapolation.propagation import PropagationParams

    memorised = []

    class Recording(FeatureMemory):
        def add_recent(self, features, labels):
            memorised.append(labels.copy())
            super().add_recent(features, labels)

    monkeypatch.setattr(propagation, "FeatureMemory", Recording)
    image, mask = tissue(240, 320, seed=6)
    frames, truths = moved(image, mask, smooth_motion(8, shift=20.0))
    results = propagate(frames, None, {0: truths[0]})  # smooth motion: both cues draw the lesion
    assert len(memorised) == 7 and all(labels.max() > 0.9 for labels in memorised)
    memorised.clear()
    never = propagate(frames, None, {0: truths[0]}, params=PropagationParams(memory_agreement=1.01))
    assert memorised == [] and set(never) == set(results)


def test_a_walk_remembers_the_nearest_other_keyframes(monkeypatch):
    """Every mask a person made is a true sample of the object's look: each walk's feature memory holds its own
    keyframe and the nearest others, up to ``memory_keyframes`` in all."""
    import extrapolation.propagation as propagation
    from extrapolation.affinity import FeatureMemory
    from extrapolation.propagation import PropagationParams

    memories = []

    class Recording(FeatureMemory):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            memories.append([])

        def add_keyframe(self, features, labels):
            memories[-1].append(round(float(labels.sum()), 3))
            super().add_keyframe(features, labels)

    monkeypatch.setattr(propagation, "FeatureMemory", Recording)
    image, mask = tissue(240, 320, seed=6)
    frames, truths = moved(image, mask, smooth_motion(10, shift=20.0))
    keys = {0: truths[0], 4: truths[4] & (np.arange(320) < 140), 9: truths[9] & (np.arange(240) < 120)[:, None]}
    propagate(frames, None, {0: keys[0]}, params=PropagationParams(memory_keyframes=2))
    (alone,) = memories
    memories.clear()
    propagate(frames, None, keys, params=PropagationParams(memory_keyframes=2))
    own_and_nearest = memories.copy()
    memories.clear()
    propagate(frames, None, keys)
    everything = memories.copy()
    sums = [own_and_nearest[0][0], own_and_nearest[2][0], own_and_nearest[3][0]]  # walks from 0, 4 (back), 9
    area = dict(zip(keys, sums, strict=True))
    assert len(alone) == 1  # a single keyframe: nothing else to remember
    # walks: 0 → 1..3, 4 → 3..1 (between 0 and 4), then 4 → 5..8, 9 → 8..5; no walk after 9, none before 0
    assert own_and_nearest == [[area[0], area[4]], [area[4], area[0]], [area[4], area[0]], [area[9], area[4]]]
    assert [sorted(m) for m in everything] == [sorted(area.values())] * 4


def test_the_soft_mask_is_cut_where_it_keeps_its_area_and_a_nearly_lost_object_stays_lost():
    from extrapolation.propagation import area_preserving_cut

    truth = np.zeros((120, 160), bool)
    cv2.circle(truth.view(np.uint8), (80, 60), 25, 1, -1)
    fov = np.ones_like(truth)
    # two misaligned warps averaged, then blurred: the plain cut at one half shrinks the disc
    shifted = np.roll(truth, 8, axis=1).astype(np.float32)
    soft = cv2.GaussianBlur(0.5 * truth.astype(np.float32) + 0.5 * shifted, (0, 0), 4.0)
    shifted_truth = np.roll(truth, 4, axis=1)
    half = soft > 0.5
    cut = area_preserving_cut(soft, fov, (0.25, 0.75))
    assert abs(int(cut.sum()) - float(soft.sum())) < 0.02 * soft.sum() < abs(int(half.sum()) - float(soft.sum()))
    assert jaccard(cut, shifted_truth) > jaccard(half, shifted_truth)
    assert (area_preserving_cut(soft, fov, (0.5, 0.5)) == half | (soft == 0.5)).all()  # the range pins the cut
    assert not area_preserving_cut(0.2 * soft, fov, (0.25, 0.75)).any()  # every pixel below the range: lost
