"""The annotation page as ES modules: one module script, and the review rules shown as the server answers them
(the page shows a mask's ``is_proposal``, ``needs_review`` and ``review_state``; it does not work them out)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from masks.services import save_mask
from tags.models import Tag
from tests.browser.test_annotators_day import open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_page_is_one_module_graph(page, live_server, user, sequence):
    open_page(page, live_server, sequence)
    sources = page.eval_on_selector_all("script[src]", "all => all.map((s) => [s.type, new URL(s.src).pathname])")
    # one module script, the entry (its name hashed where static files are collected, as in production)
    modules = [src for kind, src in sources if kind == "module"]
    assert len(modules) == 1 and re.fullmatch(r"/static/js/annotate(\.[0-9a-f]{12})?\.js", modules[0]), sources
    assert not [src for kind, src in sources if "/js/annotate/" in src]  # the modules are imported, not listed
    # Nothing of the page's modules leaks into globals (js/jobs.js, a classic script other pages share, may).
    shared = set(page.evaluate("Object.keys(window.Workbench || {})"))
    assert not shared & {"Viewport", "MaskEditor", "Timeline", "DisplayAdjust", "Shape", "Player", "Comments",
                         "Findings", "keyBelongsTo", "keepKeysForThePage", "guardLeaving"}, shared


def test_the_mask_list_shows_the_servers_review_state(page, live_server, user, sequence):
    polyp = Tag.objects.get(name="Polyp")
    pixels = np.zeros((288, 384), bool)
    pixels[100:160, 150:210] = True
    save_mask(frame=sequence.frames.get(index=0), tag=polyp, color=polyp.color, mask=pixels, created_by=user)

    # The server's answer says this hand-made mask is a low-confidence proposal awaiting review: the page follows.
    def as_proposal(route):
        response = route.fetch()
        body = response.json()
        for mask in body["masks"]:
            mask.update(is_proposal=True, needs_review=True, review_state="low_confidence", confidence=0.2)
        route.fulfill(response=response, json=body)

    page.route(re.compile(r"/api/sequences/\d+/masks/\?frame_id="), as_proposal)
    open_page(page, live_server, sequence)
    row = page.locator(".mask-row")
    expect(row).to_have_class(re.compile(r"\bpending\b"))
    expect(row.locator(".accept-mask")).to_be_visible()
    expect(row.locator(".extrapolate-mask")).to_have_count(0)
    expect(row.locator(".info")).to_contain_text("confidence 0.20 · low")
