"""Reading the frames of a procedure from a folder of images, a zip of images or a video file.

Framework-free: yields frames as encoded image bytes ready to store, with the images that could not be
read reported (and skipped) rather than raised. Whole-source problems raise :class:`SourceError`.

Nothing is read or decoded past :class:`SourceLimits`: a zip entry's declared size, the zip's total and its
compression ratio are checked before any entry is read (then read with a hard cap), and an image's or a video's
frame size is read from its header before any pixel is decoded (:func:`check_image_header`).
"""

from __future__ import annotations

import io
import itertools
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import cv2
import numpy as np
from natsort import natsorted
from PIL import Image, UnidentifiedImageError

from . import deidentify

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
VIDEO_EXTENSIONS = {".mp4", ".avi", ".mov", ".mkv", ".mpg", ".mpeg", ".wmv", ".webm", ".m4v"}
# Stored as they came: decoding them again later gives the same pixels. Others are stored as PNG.
KEPT_AS_IS = {".png": ".png", ".jpg": ".jpg", ".jpeg": ".jpg"}
# Pillow formats whose header is read for the frame size (the IMAGE_EXTENSIONS); nothing else is parsed.
HEADER_FORMATS = ("PNG", "JPEG", "BMP", "TIFF", "WEBP")
# Entries this small cannot make a bomb whatever their compression ratio (a tiny blank image compresses well).
RATIO_CHECKED_ABOVE = 1024**2
# Frames sampled from the start of a source to estimate the scope's field of view for de-identification.
FIELD_OF_VIEW_SAMPLE = 8


class SourceError(Exception):
    """The source as a whole cannot be imported (nothing of it should be kept)."""


class ImageRejected(SourceError):
    """One image cannot be taken: unreadable, or larger than allowed. The message is the reason."""


class FrameTooLarge(ImageRejected):
    """An image or video frame has more pixels than allowed (a decompression bomb, or simply too large)."""


@dataclass(frozen=True)
class SourceLimits:
    """What a source may make the importer read and decode (Django's settings ``MAX_*`` fill it in)."""

    max_frame_pixels: int = 4096 * 4096  # MAX_FRAME_PIXELS: width × height of one frame
    max_image_bytes: int = 128 * 1024**2  # MAX_IMAGE_BYTES: one image file or zip entry (read whole)
    max_zip_bytes: int = 16 * 1024**3  # MAX_ZIP_BYTES: all image entries of a zip, uncompressed
    max_zip_ratio: float = 100.0  # MAX_ZIP_RATIO: uncompressed / compressed size of an entry above 1 MiB


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


def iter_source(
    path: Path, *, every_nth: int = 1, limits: SourceLimits = SourceLimits(),
) -> Iterator[SourceFrame | Skipped]:
    """Frames of ``path`` in order (natural sort of names for images), keeping every ``every_nth``.

    Within a folder or zip, an image that is unreadable or too large is skipped with its reason; a single
    image or a video that is too large raises :class:`FrameTooLarge`, a zip past the limits :class:`SourceError`.
    """
    if every_nth < 1:
        raise SourceError("every_nth must be at least 1.")
    kind = source_kind(path)
    if kind == "video":
        yield from _iter_video(path, every_nth, limits.max_frame_pixels)
        return
    if kind == "folder":
        entries = [
            (p.name, lambda p=p: _read_file(p, limits.max_image_bytes))
            for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
        ]
    elif kind == "zip":
        entries = _zip_entries(path, limits)
    else:
        try:
            yield decode_image(path.name, _read_file(path, limits.max_image_bytes), limits.max_frame_pixels)
        except FrameTooLarge as exc:
            raise FrameTooLarge(f"{path.name}: {exc}; the image was not imported.") from exc
        except ImageRejected as exc:
            yield Skipped(path.name, str(exc))
        return
    images = []
    for name, read in natsorted(entries, key=lambda entry: entry[0]):
        if PurePosixPath(name).suffix.lower() in IMAGE_EXTENSIONS:
            images.append((name, read))
        else:
            yield Skipped(name, "not an image file")
    for name, read in images[::every_nth]:
        try:
            yield decode_image(name, read(), limits.max_frame_pixels)
        except ImageRejected as exc:
            yield Skipped(name, str(exc))


def check_frame_size(width: int, height: int, max_pixels: int) -> None:
    """Raise :class:`FrameTooLarge` when a ``width`` × ``height`` frame has more than ``max_pixels`` pixels."""
    if width * height > max_pixels:
        raise FrameTooLarge(
            f"{width}×{height} pixels is more than the {max_pixels:,} pixels a frame may have (MAX_FRAME_PIXELS)"
        )


def check_image_header(data: bytes, max_pixels: int) -> tuple[int, int]:
    """(width, height) of the encoded image ``data`` (PNG, JPEG, BMP, TIFF, WebP), read from its header alone.

    No pixel is decoded. Raises :class:`FrameTooLarge` when the image declares more than ``max_pixels`` pixels,
    :class:`ImageRejected` ("unreadable image") when no header of those formats can be read. Pillow's own
    decompression-bomb guard (``Image.MAX_IMAGE_PIXELS``, a warning above ~89 M pixels and an error above twice
    that) is not relied on: its threshold is global and far above what a frame should be.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=HEADER_FORMATS) as image:
                width, height = image.size
        except Image.DecompressionBombError as exc:
            raise FrameTooLarge(
                f"the image declares more pixels than even Pillow decodes, far more than the {max_pixels:,} pixels "
                "a frame may have (MAX_FRAME_PIXELS)"
            ) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ImageRejected("unreadable image") from exc
    if width < 1 or height < 1:
        raise ImageRejected("unreadable image")
    check_frame_size(width, height, max_pixels)
    return width, height


def decode_image(name: str, data: bytes, max_pixels: int = SourceLimits.max_frame_pixels) -> SourceFrame:
    """The frame encoded in ``data``; :class:`ImageRejected` (the reason) when unreadable or too large."""
    check_image_header(data, max_pixels)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ImageRejected("unreadable image")
    check_frame_size(image.shape[1], image.shape[0], max_pixels)
    ext = KEPT_AS_IS.get(PurePosixPath(name).suffix.lower())
    if ext is None:
        ext = ".png"
        data = encode_png(image)
    return SourceFrame(name, data, ext, image)


def deidentified(items: Iterable[SourceFrame | Skipped]) -> Iterator[SourceFrame | Skipped]:
    """``items`` with every frame de-identified (:mod:`sequences.deidentify`) and re-encoded as PNG.

    The field of view is estimated once per frame size from the first ``FIELD_OF_VIEW_SAMPLE`` frames of that
    size, so it is the same over the sequence. The original bytes are dropped (with any metadata they held).
    """
    items = iter(items)
    head = list(itertools.islice(items, FIELD_OF_VIEW_SAMPLE))
    samples: dict[tuple[int, int], list[np.ndarray]] = {}
    for item in head:
        if isinstance(item, SourceFrame):
            samples.setdefault(item.image.shape[:2], []).append(item.image)
    fields = {shape: deidentify.field_of_view(images) for shape, images in samples.items()}
    for item in itertools.chain(head, items):
        if isinstance(item, Skipped):
            yield item
            continue
        shape = item.image.shape[:2]
        if shape not in fields:
            fields[shape] = deidentify.field_of_view([item.image])
        image = deidentify.deidentify(item.image, fields[shape])
        yield SourceFrame(item.name, encode_png(image), ".png", image)


def encode_png(image: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".png", image)
    if not ok:
        raise SourceError("could not encode a frame as PNG")
    return buffer.tobytes()


def _read_file(path: Path, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise ImageRejected(
            f"a file of {size:,} bytes, more than the {max_bytes:,} an image may have (MAX_IMAGE_BYTES)"
        )
    return path.read_bytes()


def _zip_entries(path: Path, limits: SourceLimits) -> list[tuple[str, Callable[[], bytes]]]:
    """The entries of a zip with a reader each, after checking what they declare against ``limits``."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise SourceError(f"{path.name} is not a valid zip file: {exc}") from exc
    entries = []
    total = 0
    for info in archive.infolist():
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if info.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise SourceError(f"zip entry {info.filename!r} escapes its folder; the zip was rejected.")
        if info.is_dir() or parts[0] == "__MACOSX" or parts[-1].startswith("."):
            continue
        if PurePosixPath(info.filename).suffix.lower() in IMAGE_EXTENSIONS:
            _check_zip_entry(info, limits)
            total += info.file_size
        entries.append((info.filename, lambda info=info: _read_zip_entry(archive, info, limits.max_image_bytes)))
    if total > limits.max_zip_bytes:
        raise SourceError(
            f"{path.name} holds {total:,} bytes of images uncompressed, more than the {limits.max_zip_bytes:,} "
            "a zip may (MAX_ZIP_BYTES); the zip was rejected."
        )
    return entries


def _check_zip_entry(info: zipfile.ZipInfo, limits: SourceLimits) -> None:
    if info.file_size > limits.max_image_bytes:
        raise SourceError(
            f"zip entry {info.filename!r} declares {info.file_size:,} bytes uncompressed, more than the "
            f"{limits.max_image_bytes:,} an image may have (MAX_IMAGE_BYTES); the zip was rejected."
        )
    ratio = info.file_size / max(1, info.compress_size)
    if info.file_size > RATIO_CHECKED_ABOVE and ratio > limits.max_zip_ratio:
        raise SourceError(
            f"zip entry {info.filename!r} is compressed {ratio:,.0f}:1, more than the {limits.max_zip_ratio:g}:1 "
            "images are (MAX_ZIP_RATIO): it looks like a zip bomb; the zip was rejected."
        )


def _read_zip_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, max_bytes: int) -> bytes:
    """The entry's bytes, never more than it declares nor than ``max_bytes`` (whatever its header claims)."""
    cap = min(info.file_size, max_bytes)
    chunks = []
    size = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(min(1024**2, cap + 1 - size)):
                size += len(chunk)
                if size > cap:
                    raise SourceError(
                        f"zip entry {info.filename!r} holds more than the {cap:,} bytes it may; the zip was rejected."
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        # Corrupt, encrypted or of an unsupported compression: that entry is unreadable, the others may not be.
        raise ImageRejected(f"unreadable zip entry ({exc})") from exc
    return b"".join(chunks)


def _iter_video(path: Path, every_nth: int, max_pixels: int) -> Iterator[SourceFrame]:
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise SourceError(f"{path.name}: the video cannot be decoded.")
        # The size the video declares is checked before a frame is decoded; a frame of another size than
        # declared (or none declared) as it comes.
        _check_video_frame(path, int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                           int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)), max_pixels)
        position = 0
        while True:
            ok, image = capture.read()
            if not ok:
                break
            _check_video_frame(path, image.shape[1], image.shape[0], max_pixels)
            if position % every_nth == 0:
                yield SourceFrame(f"{path.name}#{position}", encode_png(image), ".png", image)
            position += 1
    finally:
        capture.release()


def _check_video_frame(path: Path, width: int, height: int, max_pixels: int) -> None:
    try:
        check_frame_size(width, height, max_pixels)
    except FrameTooLarge as exc:
        raise FrameTooLarge(f"{path.name}: frames of {exc}; the video was not imported.") from exc


def video_fps(path: Path) -> float | None:
    """Frame rate a video declares, or None."""
    if source_kind(path) != "video":
        return None
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    return float(fps) if fps and fps > 0 else None
