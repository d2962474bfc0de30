"""The annotation page in a real browser: log in, click + and − points, preview, save, manage masks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect

from masks.models import Mask
from masks.storage import absolute
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def deepest_point(mask: np.ndarray) -> tuple[int, int]:
    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(distance.argmax()), distance.shape)
    return int(x), int(y)


def click_image(page, x: float, y: float, **options) -> None:
    """Click the canvas at frame pixel (x, y), whatever its on-screen scale."""
    box = page.locator("#canvas").bounding_box()
    width = page.evaluate("document.getElementById('canvas').width")
    scale = box["width"] / width
    page.mouse.click(box["x"] + (x + 0.5) * scale, box["y"] + (y + 0.5) * scale, **options)


def open_annotation_page(page, live_server, sequence) -> None:
    log_in(page, live_server, "annotator", "secret-pass-123", f"/sequences/{sequence.id}/annotate/")
    expect(page.locator("#frame-label")).to_have_text("1 / 6")
    expect(page.locator("#mask-list")).to_contain_text("No mask on this frame yet.")  # frame drawn, masks loaded


def canvas_pixel(page, x: int, y: int) -> list[int]:
    """RGB of the canvas at frame pixel (x, y)."""
    script = f"Array.from(document.getElementById('canvas').getContext('2d').getImageData({x}, {y}, 1, 1).data)"
    return page.evaluate(script)[:3]


def test_annotate_with_points_save_and_delete(page, live_server, user, sequence, synthetic, screenshot):
    open_annotation_page(page, live_server, sequence)
    expect(page.locator("#segmenter-badge")).to_contain_text("opencv")

    x, y = deepest_point(synthetic[1][0])
    click_image(page, x, y)
    expect(page.locator("#status")).to_contain_text("Preview:")
    click_image(page, 60, 150, button="right")
    expect(page.locator("#points-info")).to_have_text("1 + / 1 − points")
    expect(page.locator("#status")).to_contain_text("Preview:")
    # The preview overlay is drawn: the lesion's pixel is tinted with the tag's colour.
    assert canvas_pixel(page, x, y) != list(synthetic[0][0][y, x])
    screenshot("annotate-preview")

    page.select_option("#tag-select", label="Polyp")
    page.click("#save-mask")
    expect(page.locator("#status")).to_contain_text("Saved mask")
    expect(page.locator(".mask-row")).to_have_count(1)
    screenshot("annotate-saved")

    mask = Mask.objects.get()
    assert mask.tag.name == "Polyp" and mask.created_by == user
    assert [p.sign for p in mask.points.all()] == ["+", "-"]
    stored = cv2.imread(str(absolute(mask.file.name)), cv2.IMREAD_GRAYSCALE)
    assert stored.shape == (288, 384) and stored[y, x] == 255 and stored[150, 60] == 0

    # Hiding the mask removes its overlay from the canvas.
    page.uncheck(".mask-row .toggle-mask")
    assert canvas_pixel(page, x, y) == list(synthetic[0][0][y, x])

    # Frame navigation by keyboard and back; the mask is still listed on frame 1.
    page.keyboard.press("ArrowRight")
    expect(page.locator("#frame-label")).to_have_text("2 / 6")
    expect(page.locator(".mask-row")).to_have_count(0)
    page.keyboard.press("ArrowLeft")
    expect(page.locator(".mask-row")).to_have_count(1)

    page.click(".mask-row .delete-mask")
    expect(page.locator(".mask-row")).to_have_count(0)
    assert not Mask.objects.exists()


def test_delete_all_masks_of_a_tag_asks_first(page, live_server, user, sequence, synthetic):
    open_annotation_page(page, live_server, sequence)
    for frame_number in (0, 1):
        if frame_number:
            page.click("#next-frame")
            expect(page.locator("#frame-label")).to_have_text("2 / 6")
            expect(page.locator("#mask-list")).to_contain_text("No mask on this frame yet.")
        x, y = deepest_point(synthetic[1][frame_number])
        click_image(page, x, y)
        expect(page.locator("#status")).to_contain_text("Preview:")
        page.click("#save-mask")
        expect(page.locator(".mask-row")).to_have_count(1)
    assert Mask.objects.count() == 2

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click(".delete-tag")
    expect(page.locator(".mask-row")).to_have_count(1)
    assert Mask.objects.count() == 2

    page.once("dialog", lambda dialog: dialog.accept())
    page.click(".delete-tag")
    expect(page.locator(".mask-row")).to_have_count(0)
    assert Mask.objects.count() == 0


def test_quick_tag_chips_pick_their_own_tag(page, live_server, user, sequence):
    open_annotation_page(page, live_server, sequence)
    page.click("#quick-tags .chip:nth-child(2)")
    expect(page.locator("#status")).to_contain_text("Tag: Ulcer")
    assert page.evaluate("document.getElementById('tag-select').selectedOptions[0].textContent") == "Ulcer"
