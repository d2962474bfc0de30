"""The annotator's day in a real browser: brush and eraser edits, undo and redo, review of propagated masks,
frame findings on the timeline, keyboard shortcuts and their help, zoom and pan, the sequence pages."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from findings.models import FrameFinding
from masks.models import Mask, Track
from masks.services import save_mask
from masks.storage import absolute, read_mask
from sequences.models import FrameSequence
from tags.models import Tag
from tests.browser.conftest import log_in
from tests.browser.test_annotate_page import click_image, deepest_point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def square(top: int, left: int, size: int) -> np.ndarray:
    mask = np.zeros((288, 384), bool)
    mask[top:top + size, left:left + size] = True
    return mask


def open_page(page, live_server, sequence, frame: int = 0) -> None:
    log_in(page, live_server, "annotator", "secret-pass-123", f"/sequences/{sequence.id}/annotate/?frame={frame}")
    expect(page.locator("body")).to_have_attribute("data-ready", "1")


def screen(page, x: float, y: float) -> tuple[float, float]:
    """Where frame pixel (x, y) is on the screen, whatever the zoom."""
    box = page.locator("#canvas").bounding_box()
    scale = box["width"] / page.evaluate("document.getElementById('canvas').width")
    return box["x"] + (x + 0.5) * scale, box["y"] + (y + 0.5) * scale


def drag(page, start: tuple[int, int], end: tuple[int, int], button: str = "left") -> None:
    page.mouse.move(*screen(page, *start))
    page.mouse.down(button=button)
    page.mouse.move(*screen(page, *end), steps=8)
    page.mouse.up(button=button)


def set_brush_size(page, size: int) -> None:
    page.evaluate(f"(() => {{ const s = document.getElementById('brush-size'); s.value = {size};"
                  " s.dispatchEvent(new Event('input')); })()")


@pytest.fixture
def reviewed_sequence(sequence, user):
    """Frame 1: a Polyp keyframe; frames 2, 3 and 5 propagated from it (confidence 0.9, 0.3, 0.8)."""
    polyp = Tag.objects.get(name="Polyp")
    frames = list(sequence.frames.order_by("index"))
    track = Track.objects.create(sequence=sequence, tag=polyp, color=polyp.color)
    keyframe = save_mask(frame=frames[0], tag=polyp, color=polyp.color, mask=square(100, 150, 60), track=track,
                         created_by=user, segmenter="opencv")
    for index, confidence in ((1, 0.9), (2, 0.3), (4, 0.8)):
        save_mask(frame=frames[index], tag=polyp, color=polyp.color, mask=square(100 + 5 * index, 150, 60),
                  source=Mask.Source.PROPAGATED, track=track, keyframe=keyframe, confidence=confidence,
                  segmenter="propagation", created_by=user)
    return sequence


def test_brush_and_eraser_edit_a_saved_mask_with_undo_and_redo(page, live_server, user, sequence, screenshot):
    polyp = Tag.objects.get(name="Polyp")
    mask = save_mask(frame=sequence.frames.get(index=0), tag=polyp, color=polyp.color, mask=square(100, 150, 60))
    old_file = mask.file.name
    open_page(page, live_server, sequence)
    page.click(".mask-row .edit-mask")
    expect(page.locator("#edit-panel")).to_be_visible()
    set_brush_size(page, 10)
    drag(page, (20, 30), (80, 30))  # brush: a band above-left of the square
    page.keyboard.press("x")  # eraser
    expect(page.locator("#eraser-tool")).to_have_attribute("aria-pressed", "true")
    drag(page, (160, 130), (200, 130))  # erase a band through the square
    page.keyboard.press("b")
    drag(page, (300, 250), (340, 250))  # a third stroke, undone then redone then undone again
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+Shift+Z")
    page.keyboard.press("Control+z")
    expect(page.locator("#redo-stroke")).to_be_enabled()
    screenshot("annotate-edit-brush")
    page.click("#save-edits")
    expect(page.locator("#status")).to_contain_text("Saved the edits")
    expect(page.locator("#edit-panel")).to_be_hidden()

    mask.refresh_from_db()
    pixels = read_mask(mask.file.name)
    assert pixels[30, 50] and pixels[30, 20] and pixels[30, 80]  # painted
    assert not pixels[130, 180] and not pixels[130, 160]  # erased
    assert pixels[105, 155] and pixels[150, 205]  # the rest of the square is untouched
    assert not pixels[250, 320]  # the undone stroke is not there
    assert mask.area == int(pixels.sum()) and mask.segmenter.endswith("brush")
    assert not absolute(old_file).exists()


def test_points_undo_and_redo(page, live_server, user, sequence, synthetic):
    open_page(page, live_server, sequence)
    x, y = deepest_point(synthetic[1][0])
    click_image(page, x, y)
    click_image(page, 60, 150, button="right")
    expect(page.locator("#points-info")).to_have_text("1 + / 1 − points")
    page.keyboard.press("Control+z")
    expect(page.locator("#points-info")).to_have_text("1 + / 0 − points")
    page.click("#redo-point")
    expect(page.locator("#points-info")).to_have_text("1 + / 1 − points")
    page.click("#undo-point")
    page.click("#undo-point")
    expect(page.locator("#points-info")).to_have_text("No points")
    page.keyboard.press("Control+y")
    expect(page.locator("#points-info")).to_have_text("1 + / 0 − points")
    expect(page.locator("#status")).to_contain_text("Preview:")


def test_review_propagated_masks(page, live_server, user, reviewed_sequence, screenshot):
    sequence = reviewed_sequence
    FrameFinding.objects.create(sequence=sequence, tag=Tag.objects.get(name="Blur"), first_index=3, last_index=5)
    open_page(page, live_server, sequence)
    expect(page.locator("#review-count")).to_have_text("(3)")
    screenshot("annotate-timeline")
    # Low confidence comes first: frame 3 (confidence 0.3).
    page.keyboard.press("n")
    expect(page.locator("#frame-label")).to_have_text("3 / 6")
    expect(page.locator(".mask-row.pending")).to_have_count(1)
    page.keyboard.press("a")
    expect(page.locator(".mask-row.accepted")).to_have_count(1)
    expect(page.locator("#review-count")).to_have_text("(2)")
    accepted = Mask.objects.get(frame__index=2)
    assert accepted.reviewed_by == user and accepted.source == Mask.Source.PROPAGATED
    # Then the next propagated mask awaiting review after frame 3: frame 5.
    page.click("#next-review")
    expect(page.locator("#frame-label")).to_have_text("5 / 6")
    rejected = Mask.objects.get(frame__index=4)
    page.click(".mask-row .reject-mask")
    expect(page.locator(".mask-row")).to_have_count(0)
    expect(page.locator("#review-count")).to_have_text("(1)")
    assert not Mask.objects.filter(pk=rejected.pk).exists() and not absolute(rejected.file.name).exists()
    page.keyboard.press("n")
    expect(page.locator("#frame-label")).to_have_text("2 / 6")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.wait_for_timeout(200)
    screenshot("annotate-review")  # the README's picture (docs/annotate.png) is copied from this artefact

    # Deleting by keyboard asks first.
    page.click(".mask-row .info")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.keyboard.press("Delete")
    expect(page.locator(".mask-row")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("Delete")
    expect(page.locator(".mask-row")).to_have_count(0)
    assert Mask.objects.count() == 2

    # The sequence's status, set on the page, shows in the list.
    page.select_option("#sequence-status", "ready_for_review")
    expect(page.locator("#status")).to_contain_text("ready for review")
    assert FrameSequence.objects.get().status == "ready_for_review"
    page.goto(f"{live_server.url}/")
    expect(page.locator(f'tr[data-sequence-id="{sequence.id}"] select')).to_have_value("ready_for_review")
    screenshot("sequence-list")
    page.goto(f"{live_server.url}/sequences/{sequence.id}/")
    expect(page.locator('tr[data-tag="Polyp"]')).to_be_visible()
    screenshot("sequence-page")


def timeline_pixel(page, index: int, row: int) -> list[int]:
    """RGB of the timeline canvas in the middle of frame ``index`` of row ``row``."""
    return page.evaluate(f"""(() => {{
        const c = document.getElementById('timeline'), r = window.devicePixelRatio || 1, n = 6;
        const label = Number(c.dataset.labelWidth);
        const x = label + ({index} + 0.5) * (c.width / r - label) / n, y = 14 + {row} * 19 + 6;
        return Array.from(c.getContext('2d').getImageData(Math.round(x * r), Math.round(y * r), 1, 1).data).slice(0, 3);
    }})()""")


def test_frame_findings_over_a_range(page, live_server, user, sequence, screenshot):
    open_page(page, live_server, sequence, frame=1)
    page.select_option("#finding-tag", label="Bubbles")
    page.click("#finding-first-here")  # frame 2
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#frame-label")).to_have_text("4 / 6")
    page.keyboard.press("o")  # last frame = frame 4
    page.fill("#finding-note", "foam on the lens")
    page.click("#save-finding")
    expect(page.locator(".finding-row")).to_have_count(1)
    expect(page.locator(".finding-row")).to_contain_text("Bubbles · frames 2–4 · foam on the lens")
    finding = FrameFinding.objects.get()
    assert (finding.first_index, finding.last_index, finding.created_by) == (1, 3, user)
    # On the timeline: a row of the tag, filled on frames 2–4 only.
    background = [241, 242, 244]
    assert timeline_pixel(page, 2, 0) != background and timeline_pixel(page, 1, 0) != background
    assert timeline_pixel(page, 0, 0) == background and timeline_pixel(page, 5, 0) == background
    screenshot("annotate-findings")
    # Bad input is refused with the server's message.
    page.fill("#finding-first", "5")
    page.fill("#finding-last", "2")
    page.click("#save-finding")
    expect(page.locator("#status")).to_contain_text("comes before the first")
    assert FrameFinding.objects.count() == 1
    # Deleting asks first.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click(".finding-row .delete-finding")
    expect(page.locator(".finding-row")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(".finding-row .delete-finding")
    expect(page.locator(".finding-row")).to_have_count(0)
    assert not FrameFinding.objects.exists()
    expect(page.locator("#finding-list")).to_contain_text("No frame finding yet")
    assert timeline_pixel(page, 2, 0) == [0, 0, 0]  # the row is gone: nothing drawn there


def test_shortcuts_and_their_help(page, live_server, user, sequence, screenshot):
    open_page(page, live_server, sequence)
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    expect(page.locator("#help")).to_contain_text("Next frame to review")
    screenshot("annotate-help")
    page.keyboard.press("Escape")
    expect(page.locator("#help")).to_be_hidden()
    second_tag = page.evaluate("document.getElementById('tag-select').options[1].value")
    page.keyboard.press("2")
    expect(page.locator("#tag-select")).to_have_value(second_tag)
    page.keyboard.press("m")
    expect(page.locator("#mode-toggle")).to_have_text("− points")
    click_image(page, 100, 100)
    expect(page.locator("#points-info")).to_have_text("0 + / 1 − points")
    page.keyboard.press("+")
    expect(page.locator("#mode-toggle")).to_have_text("+ points")
    page.keyboard.press("Escape")
    expect(page.locator("#points-info")).to_have_text("No points")
    page.keyboard.press("v")
    expect(page.locator("#show-all")).not_to_be_checked()
    page.keyboard.press("v")
    expect(page.locator("#show-all")).to_be_checked()
    page.keyboard.press("End")
    expect(page.locator("#frame-label")).to_have_text("6 / 6")
    page.keyboard.press("Home")
    expect(page.locator("#frame-label")).to_have_text("1 / 6")
    page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#frame-label")).to_have_text("6 / 6")


def test_zoom_then_click_lands_on_the_right_pixel(page, live_server, user, sequence, synthetic):
    open_page(page, live_server, sequence)
    x, y = deepest_point(synthetic[1][0])
    # Zoom around a point near the lesion; that pixel stays under the pointer.
    sx, sy = screen(page, x, y)
    page.mouse.move(sx, sy)
    for _ in range(6):
        page.mouse.wheel(0, -200)
    expect(page.locator("#zoom-level")).not_to_have_text("100 %")
    scale = page.locator("#canvas").bounding_box()["width"] / 384
    assert scale > 3 * page.evaluate("document.getElementById('canvas').offsetWidth") / 384
    page.mouse.click(sx, sy)  # same screen point: same frame pixel
    expect(page.locator("#status")).to_contain_text("Preview:")
    # Pan with space held, then click a − point at a known pixel through the new transform.
    before = page.locator("#canvas").bounding_box()
    page.keyboard.down(" ")
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move(sx + 60, sy + 40, steps=5)
    page.mouse.up()
    page.keyboard.up(" ")
    after = page.locator("#canvas").bounding_box()
    assert (after["x"], after["y"]) != (before["x"], before["y"])
    expect(page.locator("#points-info")).to_have_text("1 + / 0 − points")  # panning added no point
    mx, my = x - 25, y - 20
    page.mouse.click(*screen(page, mx, my), button="right")
    expect(page.locator("#points-info")).to_have_text("1 + / 1 − points")
    page.click("#save-mask")
    expect(page.locator("#status")).to_contain_text("Saved mask")
    points = list(Mask.objects.get().points.values_list("x", "y", "sign"))
    assert abs(points[0][0] - (x + 0.5)) <= 0.5 and abs(points[0][1] - (y + 0.5)) <= 0.5 and points[0][2] == "+"
    assert abs(points[1][0] - (mx + 0.5)) <= 0.5 and abs(points[1][1] - (my + 0.5)) <= 0.5 and points[1][2] == "-"
    page.keyboard.press("0")
    fitted = page.locator("#canvas").bounding_box()["width"] / 384
    expect(page.locator("#zoom-level")).to_have_text(f"{round(fitted * 100)} %")
