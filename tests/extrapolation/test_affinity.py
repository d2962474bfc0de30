"""Label propagation by feature affinity (extrapolation.affinity) on feature maps made here."""

from __future__ import annotations

import numpy as np
import pytest

from extrapolation.affinity import FeatureMemory


def unit_features(seed: int, shape=(8, 6, 6)) -> np.ndarray:
    features = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return features / np.linalg.norm(features, axis=0, keepdims=True)


def test_each_pixel_reads_the_label_of_the_memory_pixels_it_resembles():
    features = unit_features(0)
    labels = np.zeros((6, 6), np.float32)
    labels[2:4, 1:5] = 1
    memory = FeatureMemory()
    memory.add_keyframe(features, labels)
    moved = np.ascontiguousarray(features[:, ::-1, ::-1])  # the same pixels, elsewhere: each finds itself
    read, known = memory.read(moved)
    assert np.allclose(read, labels[::-1, ::-1], atol=1e-3)
    _, unknown = memory.read(unit_features(1))  # pixels the memory has never seen resemble it less
    assert known.mean() > unknown.mean() + 0.08  # the mean over the top 5: one exact match among them


def test_recent_frames_are_kept_up_to_their_number_and_keyframes_always():
    from extrapolation.affinity import AffinityParams

    memory = FeatureMemory(AffinityParams(recent=1, top_k=1))
    key, first, second = unit_features(2), unit_features(3), unit_features(4)
    memory.add_keyframe(key, np.zeros((6, 6), np.float32))
    memory.add_recent(first, np.ones((6, 6), np.float32))
    memory.add_recent(second, np.full((6, 6), 0.5, np.float32))  # pushes ``first`` out
    assert memory.read(first)[0].max() <= 0.5 + 1e-6  # its label 1 is gone with it
    assert np.allclose(memory.read(second)[0], 0.5) and np.allclose(memory.read(key)[0], 0.0)
    with pytest.raises(ValueError, match="no keyframe"):
        FeatureMemory().read(key)
