"""De-identification: the scope's field of view and burnt-in text found in generated frames, blanked at import
(the original bytes never reach the disk), from the form (on by default) and the command."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from sequences.deidentify import burnt_in_text, deidentify, field_of_view
from sequences.models import FrameSequence
from sequences.services import import_sequence

HEIGHT, WIDTH = 288, 384
CENTRE, RADIUS = (192, 144), 130
CORNER_TEXT, CORNER_AT = "DOE^JOHN 12/03/1957", (8, 22)  # on the black border, top left
INSIDE_TEXT, INSIDE_AT = "ID 0048213", (130, 150)  # over the tissue


def disc() -> np.ndarray:
    inside = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.circle(inside, CENTRE, RADIUS, 1, -1)
    return inside.astype(bool)


def text_ink() -> np.ndarray:
    """bool (H, W): the pixels the overlay text is drawn on."""
    ink = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.putText(ink, CORNER_TEXT, CORNER_AT, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 255, 1, cv2.LINE_AA)
    cv2.putText(ink, INSIDE_TEXT, INSIDE_AT, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 255, 1, cv2.LINE_AA)
    return ink > 0


def endoscopy_frame(seed: int) -> np.ndarray:
    """A bright textured reddish disc (the scope's image) on black, white patient text in a corner and inside."""
    rng = np.random.default_rng(seed)
    texture = cv2.GaussianBlur(rng.standard_normal((HEIGHT, WIDTH)).astype(np.float32), (0, 0), 3)
    texture = 25 * texture / np.abs(texture).max()
    tissue = np.stack([70 + texture, 95 + texture, 165 + 1.3 * texture], axis=2)  # BGR
    image = np.where(disc()[..., None], np.clip(tissue, 0, 255), 0).astype(np.uint8)
    ink = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.putText(ink, CORNER_TEXT, CORNER_AT, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 255, 1, cv2.LINE_AA)
    cv2.putText(ink, INSIDE_TEXT, INSIDE_AT, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 255, 1, cv2.LINE_AA)
    alpha = ink[..., None].astype(np.float32) / 255
    return (image * (1 - alpha) + 255 * alpha).astype(np.uint8)


def tissue_away_from_text() -> np.ndarray:
    """The disc, less a generous band around each line of text (blanked as a box with a margin)."""
    near_text = cv2.dilate(text_ink().astype(np.uint8), np.ones((15, 31), np.uint8)) > 0
    return disc() & ~near_text


def assert_deidentified(stored: np.ndarray, original: np.ndarray) -> None:
    ink = text_ink()
    assert stored[ink].max() == 0, "burnt-in text survived"
    # Two pixels of tolerance at the rim, where a JPEG's ringing is as bright as dark tissue.
    rim = cv2.dilate(disc().astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert stored[~rim].max() == 0, "something outside the field of view survived"
    keep = tissue_away_from_text()
    preserved = np.mean(np.all(stored[keep] == original[keep], axis=1))
    assert preserved > 0.98, f"only {preserved:.1%} of the tissue was preserved"


def test_field_of_view_is_the_scopes_disc_over_a_sequence():
    frames = [endoscopy_frame(seed) for seed in range(4)]
    found = field_of_view(frames)
    truth = disc()
    assert (found & truth).sum() / (found | truth).sum() > 0.98
    assert not found[:40, :80].any()  # the corner text is not taken for the image


def test_field_of_view_is_the_whole_frame_without_a_border():
    frames = [np.full((60, 80, 3), 120, np.uint8)]
    assert field_of_view(frames).all()


def test_text_is_found_inside_and_outside_the_field_of_view_and_tissue_is_not():
    image = endoscopy_frame(0)
    text = burnt_in_text(image)
    assert text[text_ink()].all()
    assert text[tissue_away_from_text()].mean() == 0
    assert_deidentified(deidentify(image, field_of_view([image])), image)


@pytest.mark.django_db
@pytest.mark.parametrize("ext", [".png", ".jpg"])
def test_import_stores_only_the_deidentified_frames(tmp_path, media_root, ext):
    folder = tmp_path / "case"
    folder.mkdir()
    originals = []
    for index in range(5):
        image = endoscopy_frame(index)
        cv2.imwrite(str(folder / f"frame{index}{ext}"), image)
        originals.append((folder / f"frame{index}{ext}").read_bytes())
    report = import_sequence(source=folder, name="Private", deidentify=True)
    sequence = report.sequence
    assert sequence.deidentified and report.frame_count == 5
    for frame, data in zip(sequence.frames.order_by("index"), originals, strict=True):
        assert frame.image.name.endswith(".png")
        original = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        assert_deidentified(cv2.imread(str(media_root / frame.image.name)), original)
        thumbnail = cv2.imread(str(media_root / frame.thumbnail.name))
        x, y = CORNER_AT
        assert thumbnail[round((y - 6) * 160 / WIDTH), round((x + 40) * 160 / WIDTH)].max() < 8
    stored = {path.read_bytes() for path in Path(media_root).rglob("*.*")}
    assert not stored & set(originals)


@pytest.mark.django_db
def test_without_deidentification_frames_are_stored_as_imported(tmp_path, media_root):
    folder = tmp_path / "case"
    folder.mkdir()
    cv2.imwrite(str(folder / "frame0.png"), endoscopy_frame(0))
    sequence = import_sequence(source=folder, name="As is").sequence
    assert not sequence.deidentified
    assert (media_root / sequence.frames.get().image.name).read_bytes() == (folder / "frame0.png").read_bytes()


@pytest.mark.django_db
def test_import_form_deidentifies_by_default(client, user, media_root):
    client.force_login(user)
    page = client.get("/sequences/import/").content.decode()
    assert 'name="deidentify"' in page and "checked" in page.split('name="deidentify"')[1].split(">")[0]
    image = endoscopy_frame(0)
    upload = SimpleUploadedFile("frame.png", cv2.imencode(".png", image)[1].tobytes(), content_type="image/png")
    client.post("/sequences/import/", {
        "name": "Uploaded", "procedure": "colonoscopy", "every_nth": 1, "description": "", "files": [upload],
        "deidentify": "on",
    })
    sequence = FrameSequence.objects.get()
    assert sequence.deidentified
    assert_deidentified(cv2.imread(str(media_root / sequence.frames.get().image.name)), image)


@pytest.mark.django_db
def test_import_command_deidentifies_unless_told_not_to(tmp_path, media_root):
    folder = tmp_path / "case"
    folder.mkdir()
    image = endoscopy_frame(0)
    cv2.imwrite(str(folder / "frame0.png"), image)
    out = io.StringIO()
    call_command("import_sequence", str(folder), "--name", "Default", stdout=out)
    assert "de-identified" in out.getvalue()
    default = FrameSequence.objects.get(name="Default")
    assert default.deidentified
    assert_deidentified(cv2.imread(str(media_root / default.frames.get().image.name)), image)
    call_command("import_sequence", str(folder), "--name", "Raw", "--no-deidentify", stdout=io.StringIO())
    raw = FrameSequence.objects.get(name="Raw")
    assert not raw.deidentified
    assert (media_root / raw.frames.get().image.name).read_bytes() == (folder / "frame0.png").read_bytes()
