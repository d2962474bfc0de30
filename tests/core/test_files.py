"""Files and rows, one rule (issue 16): deleting a row that owns files under MEDIA_ROOT removes them once the
deletion commits, whichever way it goes — here the admin's delete page and its bulk "delete selected" action,
as a superuser through the real admin views."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from django.db import transaction
from django.db.models import Model

from core.files import remove_media
from datasets.models import DatasetExport
from masks.models import Mask, Track
from masks.services import save_mask
from sequences.models import Frame, FrameSequence
from sequences.services import import_sequence
from tags.models import Tag
from tests.conftest import write_frames
from training.models import LiveVideo, TrainedModel

pytestmark = pytest.mark.django_db

SIZE = (48, 64)  # (H, W) of the generated frames


def _media(name: str) -> Path:
    from django.conf import settings

    return Path(settings.MEDIA_ROOT) / name


def _write(name: str, data: bytes = b"content") -> str:
    path = _media(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return name


def _sequence(number: int, frames: int = 2) -> FrameSequence:
    """An imported sequence of ``frames`` frames, with a mask (in a track) on each frame."""
    rng = np.random.default_rng(number)
    images = [rng.integers(0, 255, (*SIZE, 3), dtype=np.uint8) for _ in range(frames)]
    with tempfile.TemporaryDirectory() as folder:
        sequence = import_sequence(source=write_frames(Path(folder), images), name=f"Sequence {number}").sequence
    polyp = Tag.objects.get(name="Polyp")
    track = Track.objects.create(sequence=sequence, tag=polyp, color=polyp.color)
    pixels = np.zeros(SIZE, bool)
    pixels[10:20, 10:30] = True
    for frame in sequence.frames.all():
        save_mask(frame=frame, tag=polyp, color=polyp.color, mask=pixels, track=track)
    return sequence


def _mask_files(masks) -> list[Path]:
    return [_media(name) for name in masks.values_list("file", flat=True)]


def _frame_files(frames) -> list[Path]:
    return [_media(name) for pair in frames.values_list("image", "thumbnail") for name in pair]


@dataclass(frozen=True)
class Owner:
    """A model that owns files: how to make rows of it and which paths each one owns."""

    admin: str  # "<app>/<model>" in the admin's URLs
    make: Callable[[int], list[Model]]  # ``n`` rows, each with its files written
    files: Callable[[Model], list[Path]]


def _sequences(n: int) -> list[FrameSequence]:
    return [_sequence(number) for number in range(n)]


def _sequence_files(sequence: FrameSequence) -> list[Path]:
    return [
        *_frame_files(sequence.frames.all()), *_mask_files(Mask.objects.filter(frame__sequence=sequence)),
        _media(f"sequences/{sequence.id}"), _media(f"masks/{sequence.id}"),
    ]


def _frames(n: int) -> list[Frame]:
    return list(_sequence(0, frames=n).frames.all())


def _frame_files_of(frame: Frame) -> list[Path]:
    return [*_frame_files(Frame.objects.filter(pk=frame.pk)), *_mask_files(frame.masks.all())]


def _masks(n: int) -> list[Mask]:
    return list(Mask.objects.filter(frame__sequence=_sequence(0, frames=n)))


def _tracks(n: int) -> list[Track]:
    return [Track.objects.get(sequence=sequence) for sequence in _sequences(n)]


def _trained_models(n: int) -> list[TrainedModel]:
    return [
        TrainedModel.objects.create(name=f"model {i}", checkpoint=_write(f"models/run0-{i}.pt"), class_names=["Polyp"],
                                    input_size=[32, 32])
        for i in range(n)
    ]


def _exports(n: int) -> list[DatasetExport]:
    return [
        DatasetExport.objects.create(name=f"export {i}", state=DatasetExport.State.SUCCEEDED,
                                     file=_write(f"exports/export-{i}.zip"))
        for i in range(n)
    ]


def _live_videos(n: int) -> list[LiveVideo]:
    return [
        LiveVideo.objects.create(name=f"video {i}", file=_write(f"live-videos/video-{i}.mp4"), width=64, height=48)
        for i in range(n)
    ]


def _own_file(row) -> list[Path]:
    return [_media(row.owned_files()[0])]


OWNERS = [
    Owner("sequences/framesequence", _sequences, _sequence_files),
    Owner("sequences/frame", _frames, _frame_files_of),
    Owner("masks/mask", _masks, lambda mask: [_media(mask.file.name)]),
    Owner("masks/track", _tracks, lambda track: _mask_files(track.masks.all())),
    Owner("training/trainedmodel", _trained_models, _own_file),
    Owner("datasets/datasetexport", _exports, _own_file),
    Owner("training/livevideo", _live_videos, _own_file),
]


@pytest.fixture
def unrelated(media_root) -> Path:
    """A file no row owns (a cache's): no deletion may take it."""
    path = media_root / "cache" / "embeddings" / "kept.pt"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"cache")
    return path


def _assert_files(paths: list[Path], exist: bool) -> None:
    assert paths, "the row owns no file to check"
    assert {str(p): p.exists() for p in paths} == {str(p): exist for p in paths}


@pytest.mark.parametrize("owner", OWNERS, ids=lambda owner: owner.admin)
def test_the_admins_delete_page_takes_the_rows_files(owner, admin_client, unrelated,
                                                     django_capture_on_commit_callbacks):
    deleted, kept = owner.make(2)
    gone, stay = owner.files(deleted), owner.files(kept)
    _assert_files(gone + stay, exist=True)
    model = type(deleted)
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client.post(f"/admin/{owner.admin}/{deleted.pk}/delete/", {"post": "yes"})
    assert answer.status_code == 302
    assert not model._base_manager.filter(pk=deleted.pk).exists()
    _assert_files(gone, exist=False)
    _assert_files(stay, exist=True)
    assert unrelated.exists()


@pytest.mark.parametrize("owner", OWNERS, ids=lambda owner: owner.admin)
def test_the_admins_bulk_delete_takes_every_rows_files(owner, admin_client, unrelated,
                                                       django_capture_on_commit_callbacks):
    *deleted, kept = owner.make(3)
    gone = [path for row in deleted for path in owner.files(row)]
    stay = owner.files(kept)
    _assert_files(gone + stay, exist=True)
    model = type(kept)
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client.post(f"/admin/{owner.admin}/", {
            "action": "delete_selected", "_selected_action": [row.pk for row in deleted], "post": "yes",
        })
    assert answer.status_code == 302
    assert not model._base_manager.filter(pk__in=[row.pk for row in deleted]).exists()
    assert model._base_manager.filter(pk=kept.pk).exists()
    _assert_files(gone, exist=False)
    _assert_files(stay, exist=True)
    assert unrelated.exists()


@pytest.mark.parametrize("owner", OWNERS, ids=lambda owner: owner.admin)
def test_a_rolled_back_delete_leaves_the_files(owner, admin_client, django_capture_on_commit_callbacks):
    (row,) = owner.make(1)
    paths = owner.files(row)

    class RolledBack(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RolledBack), transaction.atomic():
            assert admin_client.post(f"/admin/{owner.admin}/{row.pk}/delete/", {"post": "yes"}).status_code == 302
            raise RolledBack
    assert callbacks == []
    assert type(row)._base_manager.filter(pk=row.pk).exists()
    _assert_files(paths, exist=True)


def test_an_export_without_a_zip_removes_nothing(admin_client, media_root, unrelated,
                                                 django_capture_on_commit_callbacks):
    # Its file name is "" until the zip is written: never read as MEDIA_ROOT itself.
    export = DatasetExport.objects.create(name="failed", state=DatasetExport.State.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(f"/admin/datasets/datasetexport/{export.pk}/delete/",
                                 {"post": "yes"}).status_code == 302
    assert media_root.is_dir() and unrelated.exists()


def test_names_outside_media_root_are_refused(media_root, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not ours")
    remove_media(["../outside.txt", ".", ""])
    assert outside.exists() and media_root.is_dir()
