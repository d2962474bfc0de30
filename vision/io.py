"""Reading and writing frames and masks as arrays.

Frames are uint8 RGB (H, W, 3) (OpenCV's BGR never leaves this module); masks are bool (H, W), stored as
single-channel PNGs of 0 and 255 and read back as True where the grey value is above 127.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np


def read_rgb(path: str | Path, size: tuple[int, int] | None = None) -> np.ndarray:
    """The image at ``path`` as uint8 RGB (H, W, 3), resized to ``size`` = (W, H) when given (area
    interpolation). Raises FileNotFoundError when there is no readable image there."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"No readable image at {path}.")
    if size is not None and (image.shape[1], image.shape[0]) != tuple(size):
        image = cv2.resize(image, tuple(size), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def decode_rgb(data: bytes) -> np.ndarray:
    """The image encoded in ``data`` (any format OpenCV decodes) as uint8 RGB (H, W, 3). Raises ValueError when
    it cannot be decoded."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("not a decodable image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def encode_rgb(image: np.ndarray, ext: str = ".png", quality: int | None = None) -> bytes:
    """uint8 RGB (H, W, 3) ``image`` encoded as ``ext`` (".png", ".jpg" …); ``quality``: JPEG quality."""
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if quality is not None else []
    ok, buffer = cv2.imencode(ext, cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise OSError(f"Could not encode the image as {ext}.")
    return buffer.tobytes()


def write_rgb(path: str | Path, image: np.ndarray, quality: int | None = None) -> None:
    """Write uint8 RGB (H, W, 3) ``image`` at ``path``, in the format its suffix names."""
    Path(path).write_bytes(encode_rgb(image, Path(path).suffix, quality))


def read_mask(path: str | Path) -> np.ndarray:
    """The mask image at ``path`` as bool (H, W): True where its grey value is above 127. Raises
    FileNotFoundError when there is no readable image there."""
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise FileNotFoundError(f"No readable mask image at {path}.")
    return image > 127


def encode_mask(mask: np.ndarray) -> bytes:
    """bool (H, W) ``mask`` as a single-channel PNG of 0 and 255."""
    ok, buffer = cv2.imencode(".png", np.where(mask, 255, 0).astype(np.uint8))
    if not ok:
        raise OSError("Could not encode the mask as PNG.")
    return buffer.tobytes()


def decode_mask(data: bytes) -> np.ndarray:
    """The mask image encoded in ``data`` as bool (H, W): True where its grey value is above 127 (a colour image
    is read as grey, an alpha channel ignored). Raises ValueError when it cannot be decoded."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise ValueError("not a decodable image")
    return image > 127


def write_mask(path: str | Path, mask: np.ndarray) -> None:
    """Write bool (H, W) ``mask`` at ``path`` as PNG, atomically (a reader never sees half a file); its folder
    is made when missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(encode_mask(mask))
    os.replace(temporary, path)
