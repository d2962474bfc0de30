"""The annotation page's tools beyond clicks and the brush, in a real browser: polygon and box masks, refining a
mask with clicks, undo of a reject and of a delete, brightness / contrast / gamma of the displayed frame, playing
the sequence, comments."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from comments.models import Comment
from masks.models import Mask, Track
from masks.services import save_mask
from masks.storage import read_mask
from tags.models import Tag
from tests.browser.test_annotate_details import timeline_rgb
from tests.browser.test_annotate_page import canvas_pixel, click_image
from tests.browser.test_annotators_day import drag, open_page, square

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_polygon_and_box_masks(page, live_server, user, sequence):
    open_page(page, live_server, sequence)
    page.keyboard.press("p")
    expect(page.locator("#tool-polygon")).to_have_attribute("aria-pressed", "true")
    for x, y in ((100, 100), (200, 100), (150, 180)):
        click_image(page, x - 0.5, y - 0.5)  # click_image adds half a pixel: the corner lands on (x, y)
    expect(page.locator("#points-info")).to_have_text("Polygon: 3 corners")
    click_image(page, 99.5, 99.5)  # on the first corner: closed
    expect(page.locator("#points-info")).to_contain_text("px")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("polygon)")
    polygon = Mask.objects.get()
    pixels = read_mask(polygon.file.name)
    assert polygon.segmenter == "polygon" and polygon.source == "manual" and polygon.area == int(pixels.sum())
    assert pixels[120, 150] and not pixels[170, 110] and 3500 < polygon.area < 4500  # the triangle: 100 × 80 / 2

    page.click("#tool-box")
    drag(page, (250, 40), (290, 70))
    expect(page.locator("#points-info")).to_contain_text("Box:")
    page.click("#save-mask")
    expect(page.locator(".mask-row")).to_have_count(2)
    box = Mask.objects.get(segmenter="box")
    pixels = read_mask(box.file.name)
    assert pixels[45:65, 255:285].all() and not pixels[30, 270] and 1000 < box.area < 1400

    # Back to clicks: a click is a + point again.
    page.keyboard.press("c")
    click_image(page, 60, 200)
    expect(page.locator("#points-info")).to_have_text("1 + / 0 − points")


@pytest.fixture
def proposals(sequence, user):
    """Frame 1: a Polyp keyframe; frame 2: its propagated proposal (confidence 0.4)."""
    polyp = Tag.objects.get(name="Polyp")
    frames = list(sequence.frames.order_by("index"))
    track = Track.objects.create(sequence=sequence, tag=polyp, color=polyp.color, created_by=user)
    keyframe = save_mask(frame=frames[0], tag=polyp, color=polyp.color, mask=square(100, 150, 60), track=track,
                         created_by=user, segmenter="opencv")
    proposal = save_mask(frame=frames[1], tag=polyp, color=polyp.color, mask=square(105, 150, 60),
                         source=Mask.Source.PROPAGATED, track=track, keyframe=keyframe, confidence=0.4,
                         segmenter="propagation", created_by=user)
    return keyframe, proposal


def test_undo_a_reject_and_a_delete(page, live_server, user, sequence, proposals):
    keyframe, proposal = proposals
    open_page(page, live_server, sequence, frame=1)
    page.keyboard.press("r")
    expect(page.locator(".mask-row")).to_have_count(0)
    assert not Mask.objects.filter(pk=proposal.pk).exists()
    expect(page.locator("#undo-remove")).to_contain_text(f"mask #{proposal.id} (rejected)")
    page.keyboard.press("u")
    expect(page.locator(".mask-row.pending")).to_have_count(1)
    restored = Mask.objects.get(frame__index=1)
    assert (restored.source, restored.track_id, restored.keyframe_id, restored.confidence) == (
        "propagated", proposal.track_id, keyframe.id, 0.4)
    assert np.array_equal(read_mask(restored.file.name), square(105, 150, 60))
    expect(page.locator("#undo-remove")).to_be_hidden()

    page.keyboard.press("ArrowLeft")
    expect(page.locator("#frame-label")).to_have_text("1 / 6")
    page.click(f'.mask-row[data-mask-id="{keyframe.id}"] .delete-mask')  # once frame 1's masks are listed
    expect(page.locator("#status")).to_contain_text(f"Deleted mask #{keyframe.id}")
    expect(page.locator(".mask-row")).to_have_count(0)
    assert not Mask.objects.filter(pk=keyframe.pk).exists()
    page.click("#undo-remove")
    expect(page.locator(".mask-row")).to_have_count(1)
    back = Mask.objects.get(frame__index=0)
    assert back.source == "manual" and back.track_id == keyframe.track_id
    assert np.array_equal(read_mask(back.file.name), square(100, 150, 60))


def test_refine_a_proposal_with_clicks(page, live_server, user, sequence, proposals, synthetic):
    _, proposal = proposals
    open_page(page, live_server, sequence, frame=1)
    page.click(".mask-row .info")
    page.keyboard.press("Shift+R")
    expect(page.locator("#refine-row")).to_be_visible()
    expect(page.locator("#refine-mask-id")).to_contain_text(f"#{proposal.id}")
    # a − click inside the square, near its right side (one in its middle removes nearly all of it, a tiny mask the
    # page asks to confirm)
    click_image(page, 200, 135, button="right")
    expect(page.locator("#status")).to_contain_text("Preview:")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text(f"Refined mask #{proposal.id}")
    expect(page.locator("#refine-row")).to_be_hidden()
    refined = Mask.objects.get(pk=proposal.pk)
    assert refined.source == "manual" and refined.area != proposal.area
    assert [p.sign for p in refined.points.all()] == ["-"]


def test_brightness_contrast_gamma_change_only_the_display_and_are_remembered(page, live_server, user, sequence):
    open_page(page, live_server, sequence)
    before = canvas_pixel(page, 192, 144)
    page.click("#display-panel summary")
    page.evaluate("""(() => { const b = document.getElementById('display-brightness'); b.value = 60;
        b.dispatchEvent(new Event('input')); const g = document.getElementById('display-gamma'); g.value = 1.5;
        g.dispatchEvent(new Event('input')); })()""")
    brighter = canvas_pixel(page, 192, 144)
    assert sum(brighter) > sum(before) + 60
    # Remembered for this user after a reload; the frame's file is untouched (the page only draws it brighter).
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    expect(page.locator("#display-brightness-value")).to_have_text("60")
    assert canvas_pixel(page, 192, 144) == brighter
    page.click("#display-panel summary")
    page.click("#display-reset")
    assert canvas_pixel(page, 192, 144) == before


def test_play_the_sequence_with_its_masks(page, live_server, user, sequence, proposals):
    open_page(page, live_server, sequence)
    page.evaluate("window.shown = []; document.addEventListener('annotate:frame', (e) => window.shown.push("
                  "[e.detail.index, document.querySelectorAll('.mask-row').length]))")
    page.select_option("#play-speed", "25")
    page.keyboard.press("k")
    expect(page.locator("#frame-label")).to_have_text("6 / 6", timeout=15_000)
    expect(page.locator("#play")).to_have_text("Play")  # stopped at the end
    shown = page.evaluate("window.shown")
    assert [index for index, _ in shown] == [1, 2, 3, 4, 5]
    assert shown[0] == [1, 1]  # frame 2 was drawn with its proposal before moving on
    # Play again from the start, slowly, and pause with K.
    page.select_option("#play-speed", "2")
    page.click("#play")
    expect(page.locator("#play")).to_have_text("Pause")
    page.keyboard.press("k")
    expect(page.locator("#play")).to_have_text("Play")
    expect(page.locator("#status")).to_contain_text("Stopped at frame")
    assert page.locator("#frame-label").text_content() != "6 / 6"


def test_comments_on_a_frame_and_a_mask(page, live_server, user, sequence, proposals):
    keyframe, _ = proposals
    open_page(page, live_server, sequence)
    expect(page.locator("#comment-list")).to_contain_text("No comment on this frame.")
    page.select_option("#comment-about", str(keyframe.id))
    page.fill("#comment-text", "Is the left edge the polyp or a fold?")
    page.click("#save-comment")
    row = page.locator(".comment-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("annotator")
    expect(row).to_contain_text(f"on mask #{keyframe.id}")
    expect(row).to_contain_text("Is the left edge the polyp or a fold?")
    comment = Comment.objects.get()
    assert (comment.frame.index, comment.mask_id, comment.created_by) == (0, keyframe.id, user)
    # The timeline marks the frame; another frame shows none.
    page.keyboard.press("ArrowRight")  # the cursor away from frame 1
    marks = [timeline_rgb(page, index, 9) for index in (0, 3)]
    assert marks[0] == [124, 58, 237] and marks[1] != [124, 58, 237]
    expect(page.locator("#comment-list")).to_contain_text("No comment on this frame.")
    page.keyboard.press("ArrowLeft")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(".comment-row .delete-comment")
    expect(page.locator(".comment-row")).to_have_count(0)
    assert not Comment.objects.exists()
