"""The one place that writes and reads mask files.

A mask file is a single-channel PNG of the frame's size, 0 for background and 255 for the object, at
``MEDIA_ROOT/masks/<sequence id>/<frame index, 6 digits>/<tag id>-<unique>.png``.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
from django.conf import settings

from vision import io as vision_io


def mask_name(*, sequence_id: int, frame_index: int, tag_id: int) -> str:
    """A new, unused path for a mask file, relative to MEDIA_ROOT."""
    return f"masks/{sequence_id}/{frame_index:06d}/{tag_id}-{uuid.uuid4().hex[:12]}.png"


def absolute(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


def write_mask(name: str, mask: np.ndarray) -> None:
    """Write bool (H, W) ``mask`` at ``name`` atomically (a reader never sees half a file)."""
    vision_io.write_mask(absolute(name), mask)


def read_mask(name: str) -> np.ndarray:
    """The mask at ``name`` as bool (H, W)."""
    try:
        return vision_io.read_mask(absolute(name))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"Mask file {name} is missing or unreadable.") from exc


def delete_mask_file(name: str) -> None:
    absolute(name).unlink(missing_ok=True)


def mask_png_bytes(mask: np.ndarray) -> bytes:
    """PNG of a bool mask, as stored (for previews that are not stored)."""
    return vision_io.encode_mask(mask)


def mask_from_png_bytes(data: bytes) -> np.ndarray:
    """Decode a mask sent as PNG bytes: bool (H, W), True where the (grey or first colour) value is > 127.

    Colour PNGs are read as grey; an alpha channel is ignored (send opaque black and white).
    Raises ValueError if ``data`` is not a decodable PNG.
    """
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("not a PNG image")
    try:
        return vision_io.decode_mask(data)
    except ValueError as exc:
        raise ValueError("the PNG cannot be decoded") from exc
