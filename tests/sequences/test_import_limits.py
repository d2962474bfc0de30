"""What an imported source may make the server read and decode: zip bombs and decompression bombs are refused
before anything big is read or decoded, and nothing of them is kept."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from sequences.models import Frame, FrameSequence
from sequences.services import ImportFailed, import_sequence
from sequences.sources import FrameTooLarge, ImageRejected, check_image_header

pytestmark = pytest.mark.django_db


def png_bytes(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


def blank_png(width: int, height: int) -> bytes:
    """A valid black 1-bit PNG of any size: 20000×20000 weighs ~50 kB, decoded as BGR it would take 1.2 GB."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def bomb_zip(path: Path, *, entry_bytes: int, name: str = "big.png") -> Path:
    """A zip holding one run of zeros named like an image (compressed about 1000:1) beside a real frame."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.png", png_bytes(np.full((48, 64, 3), 90, np.uint8)))
        with archive.open(name, "w", force_zip64=True) as entry:
            block = bytes(1024**2)
            for _ in range(entry_bytes // len(block)):
                entry.write(block)
    return path


def nothing_left(media_root: Path) -> bool:
    return not FrameSequence.all_objects.exists() and not Frame.objects.exists() and not list(media_root.rglob("*.*"))


# --- zip bombs --------------------------------------------------------------------------------------------


def test_zip_entry_compressed_like_a_bomb_is_refused_before_it_is_read(tmp_path, media_root):
    archive = bomb_zip(tmp_path / "bomb.zip", entry_bytes=16 * 1024**2)
    assert archive.stat().st_size < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(ImportFailed, match=r"'big.png' is compressed [\d,]+:1.*MAX_ZIP_RATIO.*zip bomb"):
            import_sequence(source=archive, name="Bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024**2  # the 16 MiB entry was never inflated
    assert nothing_left(media_root)


def test_zip_entry_declaring_more_than_an_image_may_is_refused(tmp_path, media_root, settings):
    settings.MAX_IMAGE_BYTES = 2 * 1024**2
    settings.MAX_ZIP_RATIO = 10**9  # only the declared size is at stake here
    archive = bomb_zip(tmp_path / "big.zip", entry_bytes=3 * 1024**2)
    with pytest.raises(ImportFailed, match=r"'big.png' declares 3,145,728 bytes uncompressed.*MAX_IMAGE_BYTES"):
        import_sequence(source=archive, name="Big")
    assert nothing_left(media_root)


def test_zip_whose_images_add_up_past_the_limit_is_refused(tmp_path, media_root, settings):
    frame = png_bytes(np.random.default_rng(1).integers(0, 255, (48, 64, 3), np.uint8))
    settings.MAX_ZIP_BYTES = 2 * len(frame) + 1
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for number in range(3):
            out.writestr(f"{number}.png", frame)
    with pytest.raises(ImportFailed, match="MAX_ZIP_BYTES"):
        import_sequence(source=archive, name="Many")
    assert nothing_left(media_root)
    settings.MAX_ZIP_BYTES = 3 * len(frame)
    assert import_sequence(source=archive, name="Many").frame_count == 3


def test_zip_bomb_is_a_form_error_and_a_command_error(client, user, tmp_path, media_root):
    archive = bomb_zip(tmp_path / "bomb.zip", entry_bytes=8 * 1024**2)
    client.force_login(user)
    upload = SimpleUploadedFile("bomb.zip", archive.read_bytes(), content_type="application/zip")
    response = client.post("/sequences/import/", {
        "name": "Bomb", "procedure": "colonoscopy", "every_nth": 1, "description": "", "files": [upload],
    })
    assert response.status_code == 200 and "looks like a zip bomb" in response.content.decode()
    with pytest.raises(CommandError, match="looks like a zip bomb"):
        call_command("import_sequence", str(archive))
    assert nothing_left(media_root)


# --- decompression bombs ----------------------------------------------------------------------------------


def test_check_image_header_reads_the_size_without_decoding():
    assert check_image_header(png_bytes(np.zeros((48, 64, 3), np.uint8)), 64 * 48) == (64, 48)
    jpeg = cv2.imencode(".jpg", np.zeros((30, 20, 3), np.uint8))[1].tobytes()
    assert check_image_header(jpeg, 10_000) == (20, 30)
    with pytest.raises(FrameTooLarge, match="64×48 pixels is more than the 3,071 pixels"):
        check_image_header(png_bytes(np.zeros((48, 64, 3), np.uint8)), 64 * 48 - 1)
    bomb = blank_png(20000, 20000)
    assert len(bomb) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(FrameTooLarge, match="MAX_FRAME_PIXELS"):
            check_image_header(bomb, 4096 * 4096)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024**2
    with pytest.raises(FrameTooLarge, match="5000×5000 pixels"):
        check_image_header(blank_png(5000, 5000), 4096 * 4096)
    with pytest.raises(ImageRejected, match="unreadable image"):
        check_image_header(b"not an image at all", 4096 * 4096)


def test_single_image_above_the_frame_limit_refuses_the_import(tmp_path, media_root):
    image = tmp_path / "bomb.png"
    image.write_bytes(blank_png(5000, 5000))  # 3 kB; 75 MB once decoded, over the 4096×4096 default
    with pytest.raises(ImportFailed, match=r"bomb.png: 5000×5000 pixels .*MAX_FRAME_PIXELS"):
        import_sequence(source=image, name="Bomb")
    assert nothing_left(media_root)


def test_too_large_image_in_a_folder_or_zip_is_skipped_with_its_reason(tmp_path, media_root):
    folder = tmp_path / "procedure"
    folder.mkdir()
    (folder / "a.png").write_bytes(png_bytes(np.full((48, 64, 3), 90, np.uint8)))
    (folder / "b.png").write_bytes(blank_png(5000, 5000))
    report = import_sequence(source=folder, name="Folder")
    assert report.frame_count == 1
    [skipped] = report.skipped
    assert skipped.name == "b.png" and "5000×5000 pixels" in skipped.reason and "MAX_FRAME_PIXELS" in skipped.reason
    archive = tmp_path / "p.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(folder / "a.png", "a.png")
        out.write(folder / "b.png", "b.png")
    report = import_sequence(source=archive, name="Zip")
    assert report.frame_count == 1 and "MAX_FRAME_PIXELS" in report.skipped[0].reason


def test_video_declaring_frames_above_the_limit_is_refused(tmp_path, media_root, settings):
    video = tmp_path / "procedure.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    for level in range(3):
        writer.write(np.full((48, 64, 3), 40 * level, np.uint8))
    writer.release()
    settings.MAX_FRAME_PIXELS = 64 * 48 - 1
    with pytest.raises(ImportFailed, match=r"procedure.avi: frames of 64×48 pixels .*MAX_FRAME_PIXELS"):
        import_sequence(source=video, name="Video")
    assert nothing_left(media_root)
    settings.MAX_FRAME_PIXELS = 64 * 48
    assert import_sequence(source=video, name="Video").frame_count == 3


def test_zip_entry_is_never_read_past_its_declared_size(tmp_path):
    """Reading a zip entry stops at its declared size: a forged header cannot make it read more."""
    from sequences.sources import SourceLimits, iter_source

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.png", bytes(200_000))
    data = bytearray(buffer.getvalue())
    # Forge both size fields (local header and central directory) down to 1,000 bytes.
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, 1000)
    struct.pack_into("<I", data, central + 24, 1000)
    forged = tmp_path / "forged.zip"
    forged.write_bytes(bytes(data))
    [item] = list(iter_source(forged, limits=SourceLimits()))
    assert item.name == "a.png" and item.reason.startswith("unreadable")
