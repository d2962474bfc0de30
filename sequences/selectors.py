"""Reading sequences and frames (what a review reads of their masks and findings is the review app's)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from django.conf import settings

from vision.io import read_rgb

from .models import Frame

_DECODED_FRAMES = 16
_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_lock = threading.Lock()


def frame_path(frame: Frame) -> Path:
    return Path(settings.MEDIA_ROOT) / frame.image.name


def frame_rgb(frame: Frame) -> np.ndarray:
    """The frame's pixels as uint8 RGB (H, W, 3); the last few decoded frames are kept in memory.

    Each click of an annotator asks for the same frame again; decoding it once saves ~5–50 ms a click.
    """
    key = frame_image_key(frame)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    try:
        image = read_rgb(frame_path(frame))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"Image of {frame} cannot be read at {frame.image.name}.") from exc
    image.flags.writeable = False
    with _lock:
        _cache[key] = image
        while len(_cache) > _DECODED_FRAMES:
            _cache.popitem(last=False)
    return image


def frame_image_key(frame: Frame) -> str:
    """The key per-frame work is cached under (decoded pixels, SAM embeddings): the row and the content,
    since a row id can be reused after a deletion (SQLite) while frames never change after import."""
    return f"frame-{frame.id}-{frame.checksum or 'unknown'}"
