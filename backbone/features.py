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
                 normalised: bool = True, cache_frames: int = 32, threads: int | None = None):
        unknown = set(strides) - set(efficientnet.STRIDES)
        if unknown:
            raise ValueError(f"strides {sorted(unknown)}: the backbone has {efficientnet.STRIDES}")
        self.input_size = input_size
        self.strides = tuple(strides)
        self.normalised = normalised
        deepest = max(efficientnet.STRIDES.index(s) for s in strides)
        self._encoder = efficientnet.encoder(out_indices=tuple(range(deepest + 1))).eval()
        self._threads = threads
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
        if self._threads:
            torch.set_num_threads(self._threads)
        outputs = self._encoder(efficientnet.image_batch(small))
        maps = {}
        for stride in self.strides:
            found = outputs[efficientnet.STRIDES.index(stride)][0]
            if self.normalised:
                found = F.normalize(found, dim=0)
            maps[stride] = found.float().numpy()
        return FrameFeatures(maps=maps, input_size=self.input_size, shape=image.shape[:2])
