"""Next to review, in a real browser: frames extrapolation left empty inside a track come first, marked on the
timeline, then proposals by rising confidence (the server's order, /api/sequences/<id>/review/)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from extrapolation.models import ExtrapolationJob
from masks.models import Track
from tests.browser.test_annotators_day import open_page, reviewed_sequence  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_frame_left_empty_inside_a_track_is_reviewed_first(page, live_server, user, reviewed_sequence):  # noqa: F811
    sequence = reviewed_sequence
    track = Track.objects.get(sequence=sequence)
    # the track's last run lost the object on frame 4 (index 3), between masks on frames 3 and 5
    ExtrapolationJob.objects.create(sequence=sequence, track=track, state="succeeded", left_frames=[3],
                                    total=5, done=5, written=3, left_to_annotator=1, finished_at=timezone.now())
    open_page(page, live_server, sequence)
    expect(page.locator("#review-count")).to_have_text("(4)")
    page.keyboard.press("n")
    expect(page.locator("#frame-label")).to_have_text("4 / 6")
    # the timeline says why the frame is empty
    box = page.locator("#timeline").bounding_box()
    label = int(page.locator("#timeline").get_attribute("data-label-width"))
    x = box["x"] + label + (3.5 / 6) * (box["width"] - label)
    page.mouse.move(x, box["y"] + 14 + 8)
    assert "left to you" in page.locator("#timeline").get_attribute("title")
    page.keyboard.press("n")
    expect(page.locator("#frame-label")).to_have_text("3 / 6")  # then the least confident proposal (0.3)
