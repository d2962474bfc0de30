"""Reading the frames of a procedure from a folder of images, a zip of images or a video file.

Framework-free: yields frames as encoded image bytes ready to store, with the images that could not be
read reported (and skipped) rather than raised. Whole-source problems raise :class:`SourceError`.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import cv2
import numpy as np
from natsort import natsorted

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
VIDEO_EXTENSIONS = {".mp4", ".avi", ".mov", ".mkv", ".mpg", ".mpeg", ".wmv", ".webm", ".m4v"}
# Stored as they came: decoding them again later gives the same pixels. Others are stored as PNG.
KEPT_AS_IS = {".png": ".png", ".jpg": ".jpg", ".jpeg": ".jpg"}


class SourceError(Exception):
    """The source as a whole cannot be imported (nothing of it should be kept)."""


@dataclass(frozen=True)
class SourceFrame:
    """A readable frame: ``data`` is the encoded image to store with extension ``ext``; ``image`` is BGR uint8."""

    name: str
    data: bytes
    ext: str
    image: np.ndarray


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


def source_kind(path: Path) -> str:
    """'folder', 'zip', 'video' or 'image'; SourceError for anything else."""
    if path.is_dir():
        return "folder"
    if not path.is_file():
        raise SourceError(f"{path.name}: no such file or folder.")
    suffix = path.suffix.lower()
    if suffix == ".zip" or zipfile.is_zipfile(path):
        return "zip"
    if suffix in VIDEO_EXTENSIONS:
        return "video"
    if suffix in IMAGE_EXTENSIONS:
        return "image"
    raise SourceError(
        f"{path.name} is not an image, a zip of images or a video "
        f"(accepted: a folder, .zip, {', '.join(sorted(IMAGE_EXTENSIONS | VIDEO_EXTENSIONS))})."
    )


def iter_source(path: Path, *, every_nth: int = 1) -> Iterator[SourceFrame | Skipped]:
    """Frames of ``path`` in order (natural sort of names for images), keeping every ``every_nth``."""
    if every_nth < 1:
        raise SourceError("every_nth must be at least 1.")
    kind = source_kind(path)
    if kind == "video":
        yield from _iter_video(path, every_nth)
        return
    if kind == "folder":
        entries = [(p.name, p.read_bytes) for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
    elif kind == "zip":
        entries = _zip_entries(path)
    else:
        entries = [(path.name, path.read_bytes)]
    images = []
    for name, read in natsorted(entries, key=lambda entry: entry[0]):
        if PurePosixPath(name).suffix.lower() in IMAGE_EXTENSIONS:
            images.append((name, read))
        else:
            yield Skipped(name, "not an image file")
    for name, read in images[::every_nth]:
        yield decode_image(name, read())


def decode_image(name: str, data: bytes) -> SourceFrame | Skipped:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return Skipped(name, "unreadable image")
    ext = KEPT_AS_IS.get(PurePosixPath(name).suffix.lower())
    if ext is None:
        ext = ".png"
        data = encode_png(image)
    return SourceFrame(name, data, ext, image)


def encode_png(image: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".png", image)
    if not ok:
        raise SourceError("could not encode a frame as PNG")
    return buffer.tobytes()


def _zip_entries(path: Path) -> list[tuple[str, Callable[[], bytes]]]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise SourceError(f"{path.name} is not a valid zip file: {exc}") from exc
    entries = []
    for info in archive.infolist():
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if info.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise SourceError(f"zip entry {info.filename!r} escapes its folder; the zip was rejected.")
        if info.is_dir() or parts[0] == "__MACOSX" or parts[-1].startswith("."):
            continue
        entries.append((info.filename, lambda info=info: archive.read(info)))
    return entries


def _iter_video(path: Path, every_nth: int) -> Iterator[SourceFrame]:
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise SourceError(f"{path.name}: the video cannot be decoded.")
        position = 0
        while True:
            ok, image = capture.read()
            if not ok:
                break
            if position % every_nth == 0:
                yield SourceFrame(f"{path.name}#{position}", encode_png(image), ".png", image)
            position += 1
    finally:
        capture.release()


def video_fps(path: Path) -> float | None:
    """Frame rate a video declares, or None."""
    if source_kind(path) != "video":
        return None
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    return float(fps) if fps and fps > 0 else None
