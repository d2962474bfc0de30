"""Issue 14, bugs 1 and 2 in a real browser: the page's shortcuts work whatever was clicked last, and unsaved work
is not lost without a question when leaving the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from masks.services import save_mask
from masks.storage import read_mask
from tags.models import Tag
from tests.browser.test_annotate_page import click_image, deepest_point
from tests.browser.test_annotators_day import drag, open_page, square

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def polyp_mask(sequence, user):
    polyp = Tag.objects.get(name="Polyp")
    return save_mask(frame=sequence.frames.get(index=0), tag=polyp, color=polyp.color, mask=square(100, 150, 60),
                     created_by=user)


def test_enter_saves_an_edit_after_clicking_edit_with_the_mouse(page, live_server, user, sequence, polyp_mask):
    # Before: the clicked Edit button kept the focus and took Enter (it started the same edit again).
    open_page(page, live_server, sequence)
    page.click(".mask-row .edit-mask")
    drag(page, (20, 30), (80, 30))
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("Saved the edits")
    assert read_mask(type(polyp_mask).objects.get().file.name)[30, 50]


def test_space_drag_after_clicking_a_toolbar_button_only_pans(page, live_server, user, sequence):
    # Before: Space pressed the last-clicked button (zoom jumped) and the drag dropped a + point.
    open_page(page, live_server, sequence)
    page.click("#zoom-in")
    zoom = page.locator("#zoom-level").text_content()
    before = page.locator("#canvas").bounding_box()
    box = page.locator("#canvas-wrap").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.keyboard.down(" ")
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 60, cy + 40, steps=5)
    page.mouse.up()
    page.keyboard.up(" ")
    expect(page.locator("#zoom-level")).to_have_text(zoom)
    after = page.locator("#canvas").bounding_box()
    assert (after["x"], after["y"]) != (before["x"], before["y"])
    expect(page.locator("#points-info")).to_have_text("No points")
    # A clicked checkbox does not take Space either.
    page.click("#show-all")
    expect(page.locator("#show-all")).not_to_be_checked()
    page.keyboard.press(" ")
    expect(page.locator("#show-all")).not_to_be_checked()


def test_leaving_with_unsaved_brush_edits_asks_first(page, live_server, user, sequence, polyp_mask):
    # Before: a top-bar link left the page and the strokes were gone without a word.
    open_page(page, live_server, sequence)
    page.click(".mask-row .edit-mask")
    drag(page, (20, 30), (80, 30))
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click(".topbar nav a:text('Sequences')")
    expect(page.locator("#edit-info")).to_have_text("Edited, not saved")
    assert asked and "brush edits of mask" in asked[0] and "/annotate/" in page.url
    # Closing the tab (or reloading) gets the browser's own question.
    seen: list[str] = []
    page.once("dialog", lambda dialog: (seen.append(dialog.type), dialog.dismiss()))
    page.evaluate("setTimeout(() => window.location.reload(), 0)")
    for _ in range(50):
        if seen:
            break
        page.wait_for_timeout(100)
    assert seen == ["beforeunload"]
    expect(page.locator("#edit-info")).to_have_text("Edited, not saved")


def test_leaving_with_unsaved_points_asks_and_goes_when_confirmed(page, live_server, user, sequence, synthetic):
    open_page(page, live_server, sequence)
    click_image(page, *deepest_point(synthetic[1][0]))
    expect(page.locator("#status")).to_contain_text("Preview:")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click(".topbar nav a:text('Datasets')")
    page.wait_for_url("**/datasets/")
    assert "1 point of a new mask" in asked[0]
