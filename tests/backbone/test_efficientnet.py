"""The pretrained backbone: its ImageNet weights really load (a wrong key mapping would train from noise)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from skimage import data as photos

from backbone import efficientnet

EGYPTIAN_CAT, ESPRESSO = 285, 967  # ImageNet class indices


@pytest.fixture(scope="module")
def imagenet_classifier():
    return efficientnet.classifier()


def class_probabilities(model, image: np.ndarray) -> torch.Tensor:
    small = cv2.resize(image, (224, 224), interpolation=cv2.INTER_AREA)
    with torch.inference_mode():
        return model(efficientnet.image_batch(small)).softmax(dim=1)[0]


@pytest.mark.parametrize("photo, label", [(photos.chelsea, EGYPTIAN_CAT), (photos.coffee, ESPRESSO)])
def test_the_weights_name_real_photos_of_known_classes(imagenet_classifier, photo, label):
    probabilities = class_probabilities(imagenet_classifier, photo())
    assert int(probabilities.argmax()) == label
    assert float(probabilities[label]) > 0.6  # 0.78 and 0.91 with the right mapping and padding


def test_random_weights_do_not(imagenet_classifier):
    probabilities = class_probabilities(efficientnet.classifier(pretrained=False), photos.chelsea())
    assert float(probabilities[EGYPTIAN_CAT]) < 0.05


def test_the_encoder_carries_the_same_trunk_weights_and_answers_five_scales(imagenet_classifier):
    encoder = efficientnet.encoder().eval()
    trunk = dict(imagenet_classifier.named_parameters())
    for name, parameter in encoder.named_parameters():
        assert torch.equal(parameter, trunk[name]), name
    with torch.inference_mode():
        features = encoder(efficientnet.image_batch(np.zeros((96, 128, 3), np.uint8)))
    assert [tuple(f.shape[1:]) for f in features] == [
        (channels, 96 // stride, 128 // stride)
        for channels, stride in zip(efficientnet.FEATURE_CHANNELS, efficientnet.STRIDES, strict=True)
    ]


def test_a_state_dict_of_another_layout_is_refused_by_name():
    with pytest.raises(KeyError, match="_blocks.0._se_reduce"):
        efficientnet.convert_state_dict({"_blocks.0._se_reduce.weight": torch.zeros(1)})
    with pytest.raises(KeyError, match="features.0"):
        efficientnet.convert_state_dict({"features.0.weight": torch.zeros(1)})


def test_normalise_maps_the_pixel_range_to_minus_one_one():
    images = torch.tensor([0, 255], dtype=torch.uint8).view(1, 1, 1, 2).expand(1, 3, 1, 2)
    assert efficientnet.normalise(images).flatten().tolist() == [-1.0, 1.0] * 3


def test_frame_features_are_computed_once_per_frame_key_and_recomputed_for_other_pixels():
    from backbone.features import FeatureExtractor

    extractor = FeatureExtractor(input_size=(64, 96), strides=(8, 16), cache_frames=2)
    frame = photos.chelsea()
    first = extractor.features(frame, image_key="frame-1-abc")
    assert extractor.features(frame, image_key="frame-1-abc") is first  # the cache, not a second run
    assert first.maps[8].shape == (40, 8, 12) and first.maps[16].shape == (112, 4, 6)
    assert np.allclose(np.linalg.norm(first.maps[8], axis=0), 1, atol=1e-4)
    other = extractor.features(photos.coffee(), image_key="frame-2-def")
    assert not np.allclose(other.maps[8], first.maps[8])
    extractor.features(frame, image_key="frame-3-ghi")
    assert not extractor.cached("frame-1-abc") and extractor.cached("frame-3-ghi")  # least recently used goes

