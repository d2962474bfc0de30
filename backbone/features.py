"""Per-frame backbone features, computed once per frame and kept: what extrapolation and the click segmenter
read (as SAM's image embeddings are read by the SAM segmenter).

Framework-free. Frames are keyed by the caller's ``image_key`` (``sequences.selectors.frame_image_key``: the
frame's row and content checksum, the key SAM's embeddings are cached under); a frame without a key is
computed every time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch.nn import functional as F

from . import efficientnet

#: What pixels are matched by (extrapolation's memory, the click segmenter's feature cue): stride-16 features
#: (what a region is) upsampled onto the stride-8 grid, with stride-8 features (texture, edges) at half weight.
#: On CVC-ClinicDB's first-frame propagation, keyframe memory alone: stride 8 J 0.24, stride 16 0.43, stride 16
#: on the stride-8 grid 0.47, both 0.48.
MATCHED_STRIDES = (8, 16)
FINE_WEIGHT = 0.5
#: Long side (pixels) frames are resized to for matching: 288 scored as 384 did, in 60 % of the time.
MATCHING_SIDE = 288


@dataclass(frozen=True)
class FrameFeatures:
    """The backbone's features of one frame.

    ``maps``: float32 (C, h, w) arrays, one per requested stride, of an input resized to ``input_size``
    (H, W); ``shape``: the frame's own (H, W). ``normalised`` maps have unit-length feature vectors (for
    cosine similarity as a dot product).
    """

    maps: dict[int, np.ndarray]
    input_size: tuple[int, int]
    shape: tuple[int, int]


class FeatureExtractor:
    """The pretrained encoder run at ``input_size`` (H, W), answering the feature maps at ``strides``.

    ``cache_frames``: frames whose features are kept (least recently used dropped first); 32 frames of
    stride-8 features at 288×384 take ~7 MB.
    """

    def __init__(self, *, input_size: tuple[int, int] = (288, 384), strides: tuple[int, ...] = (8,),
                 normalised: bool = True, cache_frames: int = 32):
        unknown = set(strides) - set(efficientnet.STRIDES)
        if unknown:
            raise ValueError(f"strides {sorted(unknown)}: the backbone has {efficientnet.STRIDES}")
        self.input_size = input_size
        self.strides = tuple(strides)
        self.normalised = normalised
        deepest = max(efficientnet.STRIDES.index(s) for s in strides)
        self._encoder = efficientnet.encoder(out_indices=tuple(range(deepest + 1))).eval()
        self._cache: OrderedDict[str, FrameFeatures] = OrderedDict()
        self._cache_frames = cache_frames
        self._lock = threading.Lock()

    def features(self, image: np.ndarray, *, image_key: str | None = None) -> FrameFeatures:
        """The features of uint8 RGB ``image`` (H, W, 3), from the cache when ``image_key`` was seen before."""
        if image_key is not None:
            with self._lock:
                cached = self._cache.get(image_key)
                if cached is not None and cached.shape == image.shape[:2]:
                    self._cache.move_to_end(image_key)
                    return cached
        computed = self._compute(image)
        if image_key is not None:
            with self._lock:
                self._cache[image_key] = computed
                while len(self._cache) > self._cache_frames:
                    self._cache.popitem(last=False)
        return computed

    def cached(self, image_key: str) -> bool:
        return image_key in self._cache

    @torch.inference_mode()
    def _compute(self, image: np.ndarray) -> FrameFeatures:
        height, width = self.input_size
        small = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
        outputs = self._encoder(efficientnet.image_batch(small))
        maps = {}
        for stride in self.strides:
            found = outputs[efficientnet.STRIDES.index(stride)][0]
            if self.normalised:
                found = F.normalize(found, dim=0)
            maps[stride] = found.float().numpy()
        return FrameFeatures(maps=maps, input_size=self.input_size, shape=image.shape[:2])


def matching_features(maps: dict[int, np.ndarray]) -> np.ndarray:
    """The unit-length (C8 + C16, h, w) vectors pixels are matched by, on the stride-8 grid (h, w), from the
    backbone's unit-length stride-8 and stride-16 maps."""
    fine = torch.from_numpy(maps[8])
    coarse = F.interpolate(torch.from_numpy(maps[16])[None], size=fine.shape[1:], mode="bilinear",
                           align_corners=False)[0]
    return F.normalize(torch.cat([FINE_WEIGHT * fine, F.normalize(coarse, dim=0)]), dim=0).numpy()


def input_size(shape: tuple[int, ...], long_side: int) -> tuple[int, int]:
    """(H, W) a frame of ``shape`` is resized to: ``long_side`` on its long side, both multiples of 32."""
    height, width = shape[:2]
    scale = long_side / max(height, width)
    return max(32, round(height * scale / 32) * 32), max(32, round(width * scale / 32) * 32)


_SHARED: dict[tuple[int, int], FeatureExtractor] = {}
_SHARED_LOCK = threading.Lock()


def shared_extractor(size: tuple[int, int]) -> FeatureExtractor:
    """One extractor (and cache of frames' features) per input size for the whole process: the click
    segmenter and every extrapolation read a frame's features computed once."""
    with _SHARED_LOCK:
        if size not in _SHARED:
            _SHARED[size] = FeatureExtractor(input_size=size, strides=MATCHED_STRIDES, cache_frames=128)
        return _SHARED[size]


def frame_matching_features(image: np.ndarray, image_key: str | None = None, *,
                            long_side: int = MATCHING_SIDE) -> np.ndarray:
    """:func:`matching_features` of uint8 RGB ``image`` (H, W, 3), computed once per ``image_key``."""
    extractor = shared_extractor(input_size(image.shape, long_side))
    return matching_features(extractor.features(image, image_key=image_key).maps)
