"""Importing procedures: folders, zips, videos, bad input, and nothing half-imported."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.management import CommandError, call_command

from sequences.models import Frame, FrameSequence
from sequences.services import ImportFailed, import_sequence
from tests.conftest import write_frames

pytestmark = pytest.mark.django_db


def numbered_image(number: int, size=(48, 64)) -> np.ndarray:
    """A grey image whose level encodes ``number``, to check order after import."""
    image = np.zeros((*size, 3), np.uint8)
    image[...] = number * 10
    return image


def stored_numbers(sequence: FrameSequence, media_root: Path) -> list[int]:
    numbers = []
    for frame in sequence.frames.order_by("index"):
        image = cv2.imread(str(media_root / frame.image.name))
        numbers.append(int(round(float(image[20, 30].mean()) / 10)))
    return numbers


def test_folder_is_imported_in_natural_order(tmp_path, media_root):
    folder = tmp_path / "procedure"
    folder.mkdir()
    for number in (1, 2, 10, 11, 3):
        cv2.imwrite(str(folder / f"frame{number}.png"), numbered_image(number))
    report = import_sequence(source=folder, name="Natural", procedure="gastroscopy")
    assert stored_numbers(report.sequence, media_root) == [1, 2, 3, 10, 11]
    frame = report.sequence.frames.get(index=0)
    assert (frame.width, frame.height) == (64, 48)
    assert (media_root / frame.thumbnail.name).is_file()
    assert report.sequence.procedure == "gastroscopy"


def test_every_nth_frame_of_a_folder(tmp_path, media_root):
    folder = tmp_path / "procedure"
    folder.mkdir()
    for number in range(7):
        cv2.imwrite(str(folder / f"{number}.png"), numbered_image(number))
    report = import_sequence(source=folder, name="Every third", every_nth=3)
    assert stored_numbers(report.sequence, media_root) == [0, 3, 6]


def test_unreadable_and_non_image_files_are_reported_and_skipped(tmp_path):
    folder = tmp_path / "procedure"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), numbered_image(1))
    (folder / "b.png").write_bytes(b"not really a png")
    (folder / "notes.txt").write_text("hello")
    report = import_sequence(source=folder, name="Mixed")
    assert report.frame_count == 1
    assert {(s.name, s.reason) for s in report.skipped} == {
        ("b.png", "unreadable image"),
        ("notes.txt", "not an image file"),
    }


def make_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def png_bytes(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


def test_zip_of_images_in_subfolder(tmp_path, media_root):
    archive = make_zip(tmp_path / "p.zip", {
        "case/img_10.png": png_bytes(numbered_image(10)),
        "case/img_9.png": png_bytes(numbered_image(9)),
        "__MACOSX/case/._img_9.png": b"junk",
    })
    report = import_sequence(source=archive, name="Zip")
    assert stored_numbers(report.sequence, media_root) == [9, 10]


def test_zip_entry_escaping_its_folder_rejects_the_whole_zip(tmp_path, media_root):
    archive = make_zip(tmp_path / "evil.zip", {
        "ok.png": png_bytes(numbered_image(1)),
        "../../escape.png": png_bytes(numbered_image(2)),
    })
    with pytest.raises(ImportFailed, match="escapes its folder"):
        import_sequence(source=archive, name="Evil")
    assert not FrameSequence.objects.exists() and not Frame.objects.exists()
    assert not list(media_root.rglob("*.png"))


def test_source_without_any_readable_image_leaves_nothing(tmp_path, media_root):
    archive = make_zip(tmp_path / "empty.zip", {"readme.txt": b"no images"})
    with pytest.raises(ImportFailed, match="No readable image"):
        import_sequence(source=archive, name="Empty")
    assert not FrameSequence.objects.exists()
    assert not list(media_root.rglob("*"))


def test_file_that_is_not_an_image_is_rejected(tmp_path):
    document = tmp_path / "report.pdf"
    document.write_bytes(b"%PDF-1.4")
    with pytest.raises(ImportFailed, match="not an image, a zip of images or a video"):
        import_sequence(source=document, name="Pdf")


def write_video(path: Path, count: int, size=(64, 48)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, size)
    for number in range(count):
        writer.write(cv2.cvtColor(numbered_image(number, (size[1], size[0])), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def test_video_frames_every_nth(tmp_path, media_root):
    video = write_video(tmp_path / "procedure.avi", 10)
    report = import_sequence(source=video, name="Video", every_nth=4)
    assert report.frame_count == 3
    assert stored_numbers(report.sequence, media_root) == [0, 4, 8]
    assert report.sequence.fps == pytest.approx(25)


def test_broken_video_is_rejected_cleanly(tmp_path, media_root):
    video = tmp_path / "broken.mp4"
    video.write_bytes(b"\x00" * 1000)
    with pytest.raises(ImportFailed):
        import_sequence(source=video, name="Broken")
    assert not FrameSequence.objects.exists()
    assert not list(media_root.rglob("*.png"))


def test_failure_while_writing_removes_frames_already_written(tmp_path, media_root, monkeypatch):
    from sequences import services

    folder = write_frames(tmp_path / "frames", [numbered_image(i) for i in range(3)])
    original = services._store_frame
    calls = []

    def failing_store(sequence, index, frame, root):
        calls.append(index)
        if index == 2:
            raise OSError("disk full")
        return original(sequence, index, frame, root)

    monkeypatch.setattr(services, "_store_frame", failing_store)
    with pytest.raises(OSError, match="disk full"):
        import_sequence(source=folder, name="Interrupted")
    assert calls == [0, 1, 2]
    assert not FrameSequence.objects.exists()
    assert not list(media_root.rglob("*.png"))


def test_import_sequence_command(tmp_path, media_root):
    folder = write_frames(tmp_path / "colon", [numbered_image(i) for i in range(4)])
    out = io.StringIO()
    call_command("import_sequence", str(folder), "--procedure", "colonoscopy", "--every-nth", "2", stdout=out)
    sequence = FrameSequence.objects.get()
    assert sequence.name == "colon" and sequence.procedure == "colonoscopy"
    assert sequence.frames.count() == 2
    assert "2 frames" in out.getvalue()


def test_import_sequence_command_reports_errors(tmp_path):
    with pytest.raises(CommandError, match="no such file or folder"):
        call_command("import_sequence", str(tmp_path / "missing"))


def test_cached_pixels_never_outlive_their_frame(tmp_path, django_capture_on_commit_callbacks):
    """SQLite may give a new frame the id of a deleted one: caches are keyed by content too."""
    from sequences.selectors import frame_rgb
    from sequences.services import delete_sequence

    first = import_sequence(source=write_frames(tmp_path / "a", [numbered_image(1)]), name="First").sequence
    old = first.frames.get()
    assert frame_rgb(old)[0, 0, 0] == 10
    with django_capture_on_commit_callbacks(execute=True):
        delete_sequence(sequence=first)
    second = import_sequence(source=write_frames(tmp_path / "b", [numbered_image(2)]), name="Second").sequence
    new = second.frames.get()
    assert frame_rgb(new)[0, 0, 0] == 20
    assert new.checksum and new.checksum != old.checksum


def test_an_import_abandoned_mid_way_is_removed_by_the_next_import(tmp_path, media_root):
    """A killed import leaves a hidden sequence (``importing``) and its files; the next import removes them once
    they are older than any import takes, and leaves one still running alone."""
    from datetime import timedelta

    from django.utils import timezone

    from sequences.services import ABANDONED_IMPORT_AGE, sequence_dir

    killed = FrameSequence.all_objects.create(name="killed", importing=True)
    running = FrameSequence.all_objects.create(name="running", importing=True)
    abandoned = timezone.now() - ABANDONED_IMPORT_AGE - timedelta(1)
    FrameSequence.all_objects.filter(pk=killed.pk).update(created_at=abandoned)
    for sequence in (killed, running):
        (media_root / sequence_dir(sequence.pk) / "frames").mkdir(parents=True)
    import_sequence(source=write_frames(tmp_path / "f", [numbered_image(1)]), name="next")
    assert not FrameSequence.all_objects.filter(pk=killed.pk).exists()
    assert not (media_root / sequence_dir(killed.pk)).exists()
    assert FrameSequence.all_objects.filter(pk=running.pk).exists() and (media_root / sequence_dir(running.pk)).exists()
