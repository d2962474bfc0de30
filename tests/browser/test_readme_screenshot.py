"""The README's picture of the annotation page (docs/annotate.png), made from the real page: generated frames, a
keyframe and its propagated proposals awaiting review, a frame finding, a comment and a click preview.
The test saves test-artifacts/annotate-readme.png; copy it to docs/annotate.png when the page changes."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from comments.models import Comment
from findings.models import FrameFinding
from masks.models import Mask, Track
from masks.services import save_mask
from tags.models import Tag
from tests.browser.test_annotate_page import click_image, deepest_point
from tests.browser.test_annotators_day import open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_readme_screenshot(page, live_server, user, sequence, synthetic, screenshot):
    polyp = Tag.objects.get(name="Polyp")
    frames = list(sequence.frames.order_by("index"))
    lesions = synthetic[1]
    track = Track.objects.create(sequence=sequence, tag=polyp, color=polyp.color, created_by=user)
    keyframe = save_mask(frame=frames[0], tag=polyp, color=polyp.color, mask=lesions[0], track=track,
                         created_by=user, segmenter="opencv")
    for index, confidence in ((1, 0.86), (2, 0.41), (3, 0.77), (4, 0.62)):
        save_mask(frame=frames[index], tag=polyp, color=polyp.color, mask=lesions[index], track=track,
                  keyframe=keyframe, source=Mask.Source.PROPAGATED, confidence=confidence, segmenter="propagation",
                  created_by=user)
    FrameFinding.objects.create(sequence=sequence, tag=Tag.objects.get(name="Bubbles"), first_index=2, last_index=4,
                                created_by=user)
    Comment.objects.create(frame=frames[1], text="Is the lower edge the polyp or a fold?", created_by=user)
    page.set_viewport_size({"width": 1440, "height": 900})
    open_page(page, live_server, sequence, frame=1)
    expect(page.locator(".mask-row.pending")).to_have_count(1)
    # A second object being clicked: its preview and points over the frame.
    page.keyboard.press("2")
    clear = np.zeros((288, 384), bool)
    clear[200:260, 40:120] = True
    x, y = deepest_point(clear & ~lesions[1])
    click_image(page, x, y)
    expect(page.locator("#status")).to_contain_text("Preview:", timeout=20_000)
    page.click(".mask-row .info")
    page.wait_for_timeout(300)
    screenshot("annotate-readme")
