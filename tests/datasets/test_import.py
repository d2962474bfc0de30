"""Importing masks that already exist (import_masks) and whole benchmark-layout folders (import_dataset)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from masks.models import Mask
from masks.storage import absolute, read_mask
from sequences.models import FrameSequence
from tests.datasets.factories import write_dataset

pytestmark = pytest.mark.django_db


def test_import_dataset_keeps_listed_order_and_imports_masks(tmp_path, polyp):
    # Names whose natural order differs from the listed (video) order.
    truth = write_dataset(tmp_path / "set", {"a": (["b10.png", "b2.png", "a1.png"], 1), "b": (["c1.png", "c2.png"], 2)})
    call_command("import_dataset", str(tmp_path / "set"), "--tag", "polyp")
    first = FrameSequence.objects.get(name="a")
    frames = list(first.frames.order_by("index"))
    assert [f.original_name for f in frames] == ["b10.png", "b2.png", "a1.png"]
    for frame, expected in zip(frames, truth["a"], strict=True):
        mask = Mask.objects.get(frame=frame)
        assert mask.tag == polyp and mask.source == "manual" and mask.segmenter == "import"
        assert np.array_equal(read_mask(mask.file.name), expected)
    assert Mask.objects.count() == 5


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda root: (root / "sequences.json").unlink(), "has no sequences.json"),
        (lambda root: (root / "sequences.json").write_text("{oops"), "not valid JSON"),
        (lambda root: (root / "sequences.json").write_text('[{"id": "a"}]'), "non-empty 'frames' list"),
        (lambda root: (root / "frames" / "c2.png").unlink(), "frame file(s) missing, e.g. frames/c2.png"),
        (lambda root: (root / "frames" / "c2.png").write_bytes(b"not an image"), "unreadable frame(s): c2.png"),
        (lambda root: cv2.imwrite(str(root / "masks" / "c2.png"), np.zeros((10, 10), np.uint8)),
         "is 10×10 but frame 2 (c2.png)"),
    ],
)
def test_import_dataset_bad_input_is_a_clear_error_and_leaves_nothing(tmp_path, polyp, breakage, message):
    write_dataset(tmp_path / "set", {"a": (["a1.png", "a2.png"], 1), "b": (["c1.png", "c2.png"], 2)})
    breakage(tmp_path / "set")
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("import_dataset", str(tmp_path / "set"), "--tag", "Polyp")
    assert not FrameSequence.objects.exists() and not Mask.objects.exists()


def test_import_masks_by_name_is_idempotent_and_replaceable(tmp_path, sequence, synthetic, polyp):
    folder = tmp_path / "masks"
    folder.mkdir()
    for index, mask in enumerate(synthetic[1][:4]):  # masks for frames 0–3 of the 6, as imported (frame_<i>.png)
        cv2.imwrite(str(folder / f"frame_{index}.png"), np.where(mask, 255, 0).astype(np.uint8))
    call_command("import_masks", str(sequence.id), str(folder), "--tag", "Polyp")
    masks = Mask.objects.filter(frame__sequence=sequence).order_by("frame__index")
    assert [m.frame.index for m in masks] == [0, 1, 2, 3]
    assert all(np.array_equal(read_mask(m.file.name), synthetic[1][m.frame.index]) for m in masks)
    call_command("import_masks", str(sequence.id), str(folder), "--tag", "Polyp")  # nothing added twice
    assert Mask.objects.count() == 4
    before = set(masks.values_list("pk", flat=True))
    call_command("import_masks", str(sequence.id), str(folder), "--tag", "Polyp", "--replace")
    assert Mask.objects.count() == 4 and not Mask.objects.filter(pk__in=before).exists()


def test_import_masks_by_stem_and_by_order(tmp_path, sequence, synthetic, polyp):
    by_stem, by_order = tmp_path / "stem", tmp_path / "order"
    by_stem.mkdir(), by_order.mkdir()
    for index, mask in enumerate(synthetic[1]):
        cv2.imwrite(str(by_stem / f"frame_{index}.bmp"), np.where(mask, 255, 0).astype(np.uint8))
        cv2.imwrite(str(by_order / f"m{index:02d}.png"), np.where(mask, 255, 0).astype(np.uint8))
    call_command("import_masks", str(sequence.id), str(by_stem), "--tag", "Polyp", "--match", "stem")
    assert Mask.objects.count() == 6
    call_command("import_masks", str(sequence.id), str(by_order), "--tag", "Polyp", "--match", "order", "--replace")
    masks = Mask.objects.order_by("frame__index")
    assert masks.count() == 6
    assert all(np.array_equal(read_mask(m.file.name), synthetic[1][m.frame.index]) for m in masks)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["999", "{folder}", "--tag", "Polyp"], "No sequence with id 999"),
        (["{sequence}", "{folder}/nowhere", "--tag", "Polyp"], "is not a folder"),
        (["{sequence}", "{folder}", "--tag", "Unicorn"], "No tag named 'Unicorn'"),
        (["{sequence}", "{folder}", "--tag", "Polyp"], "No mask file in"),  # names match no frame
        (["{sequence}", "{folder}", "--tag", "Polyp", "--match", "order"], "one mask file per frame: 2 files"),
    ],
)
def test_import_masks_bad_input(tmp_path, sequence, polyp, arguments, message):
    folder = tmp_path / "masks"
    folder.mkdir()
    for name in ("other_1.png", "other_2.png"):
        cv2.imwrite(str(folder / name), np.full((288, 384), 255, np.uint8))
    filled = [a.format(folder=folder, sequence=sequence.id) for a in arguments]
    with pytest.raises(CommandError, match=message):
        call_command("import_masks", *filled)
    assert not Mask.objects.exists()


def test_import_masks_checks_every_file_before_saving_any(tmp_path, sequence, synthetic, polyp):
    folder = tmp_path / "masks"
    folder.mkdir()
    cv2.imwrite(str(folder / "frame_0.png"), np.where(synthetic[1][0], 255, 0).astype(np.uint8))
    cv2.imwrite(str(folder / "frame_5.png"), np.zeros((20, 20), np.uint8))  # the wrong size, last frame
    with pytest.raises(CommandError, match=r"frame_5.png is 20×20 but frame 6 \(frame_5.png\)"):
        call_command("import_masks", str(sequence.id), str(folder), "--tag", "Polyp")
    assert not Mask.objects.exists() and not list(absolute("masks").glob("*/*/*.png"))
