"""Issue 14, bug 8 in a real browser: the zoom label's true scale, whole lane names and visible near-white colours on
the timeline, a word before saving a tiny mask, the favicon."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from findings.models import FrameFinding
from masks.models import Mask
from masks.services import save_mask
from tags.models import Tag
from tests.browser.conftest import log_in
from tests.browser.test_annotators_day import drag, open_page, set_brush_size

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def timeline_rgb(page, index: int, y: float, frames: int = 6) -> list[int]:
    """RGB of the timeline canvas in the middle of frame ``index``'s column, ``y`` CSS pixels from its top."""
    return page.evaluate(f"""(() => {{
        const c = document.getElementById('timeline'), r = window.devicePixelRatio || 1;
        const label = Number(c.dataset.labelWidth), unit = (c.width / r - label) / {frames};
        const x = Math.round((label + ({index} + 0.5) * unit) * r), y = Math.floor(({y} + 0.5) * r);
        return Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data).slice(0, 3); }})()""")


def test_the_zoom_label_says_screen_pixels_per_frame_pixel(page, live_server, user, sequence):
    # Before: "100 %" whatever the frame's size on screen (here about 2.3 screen pixels per frame pixel).
    open_page(page, live_server, sequence)
    shown = page.locator("#canvas").bounding_box()["width"] / 384
    assert shown > 1.5
    expect(page.locator("#zoom-level")).to_have_text(f"{round(shown * 100)} %")
    page.click("#zoom-in")
    zoomed = page.locator("#canvas").bounding_box()["width"] / 384
    expect(page.locator("#zoom-level")).to_have_text(f"{round(zoomed * 100)} %")


def test_timeline_lanes_are_named_whole_and_near_white_stays_visible(page, live_server, user, sequence):
    # Before: "Specular reflection (frames)" was cut to "Specular reflection (fr…" and its #F2F2F7 was lost on the
    # lane's #F1F2F4.
    specular = Tag.objects.get(name="Specular reflection")
    FrameFinding.objects.create(sequence=sequence, tag=specular, first_index=1, last_index=3)
    mask = np.zeros((288, 384), bool)
    mask[10:30, 10:30] = True
    save_mask(frame=sequence.frames.get(index=4), tag=specular, color=specular.color, mask=mask, created_by=user)
    open_page(page, live_server, sequence)
    expect(page.locator("#timeline li")).to_have_text(["Specular reflection", "Specular reflection (frames)"])
    # The mask lane's run on frame 5 has a grey outline: its top edge is darker than the tag's colour.
    top = timeline_rgb(page, 4, 14)
    assert max(top) < 180, top


def test_saving_a_tiny_mask_asks_first(page, live_server, user, sequence):
    # Before: a 1-pixel mask was saved without a word.
    polyp = Tag.objects.get(name="Polyp")
    pixels = np.zeros((288, 384), bool)
    pixels[100:103, 100:103] = True  # 9 pixels
    mask = save_mask(frame=sequence.frames.get(index=0), tag=polyp, color=polyp.color, mask=pixels, created_by=user)
    open_page(page, live_server, sequence)
    page.click(".mask-row .edit-mask")
    set_brush_size(page, 1)
    drag(page, (200, 200), (200, 200))  # one more pixel: 10
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.keyboard.press("Enter")
    expect(page.locator("#edit-info")).to_have_text("Edited, not saved")
    assert "only 10 pixels (fewer than 20)" in asked[0]
    assert Mask.objects.get().area == 9
    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("Saved the edits")
    assert Mask.objects.get(pk=mask.pk).area == 10
    # A tiny box asks too.
    page.keyboard.press("d")
    drag(page, (300, 200), (302, 202))
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.keyboard.press("Enter")
    expect(page.locator("#points-info")).to_have_text("Box: 4 px")
    assert "only 4 pixels" in asked[1] and Mask.objects.count() == 1


def test_every_page_has_a_favicon(page, live_server, user):
    # Before: an empty data: icon.
    log_in(page, live_server, "annotator", "secret-pass-123", "/")
    href = page.locator("link[rel=icon]").get_attribute("href")
    assert href.endswith(".svg") and not href.startswith("data:")
    answer = page.request.get(f"{live_server.url}{href}")
    assert answer.ok and answer.headers["content-type"].startswith("image/svg+xml") and b"<svg" in answer.body()
