"""The sequence page and the admin in a real browser (issue 14): progress that counts a person's work, "Ready for
review" refused while proposals wait, frame numbers as the annotation page shows them, the effort spent, and
deleting a sequence after a confirmation."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from playwright.sync_api import expect

from masks.models import EffortEvent, Mask, Track
from masks.services import save_mask
from sequences.models import FrameSequence
from tags.models import Tag
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def blob() -> np.ndarray:
    mask = np.zeros((288, 384), bool)
    mask[100:160, 150:210] = True
    return mask


@pytest.fixture
def proposed(sequence, user):
    """Frame 1 (index 0): a Polyp mask by hand; frames 2–6: propagated proposals nobody reviewed."""
    polyp = Tag.objects.get(name="Polyp")
    frames = list(sequence.frames.order_by("index"))
    track = Track.objects.create(sequence=sequence, tag=polyp, color=polyp.color)
    keyframe = save_mask(frame=frames[0], tag=polyp, color=polyp.color, mask=blob(), track=track, created_by=user)
    for frame in frames[1:]:
        save_mask(frame=frame, tag=polyp, color=polyp.color, mask=blob(), source=Mask.Source.PROPAGATED,
                  track=track, keyframe=keyframe, confidence=0.6, created_by=user)
    return sequence


def test_progress_counts_people_s_work_and_ready_for_review_waits_for_the_proposals(page, live_server, proposed):
    log_in(page, live_server, "annotator", "secret-pass-123", f"/sequences/{proposed.id}/")
    expect(page.locator("#annotated")).to_contain_text("1 frame (17 %)")
    expect(page.locator("#awaiting-review")).to_contain_text("5 frames with 5 propagated masks")
    page.select_option("select[name=status]", "ready_for_review")
    page.click(".status-form button[type=submit]")
    expect(page.locator("#status-error")).to_contain_text("5 proposals wait for review on 5 frames")
    assert FrameSequence.objects.get(pk=proposed.pk).status == FrameSequence.Status.IN_PROGRESS
    page.goto(f"{live_server.url}/")
    expect(page.locator(f"tr[data-sequence-id='{proposed.id}']")).to_contain_text("17 %")


def test_the_admin_numbers_frames_as_the_annotation_page(page, live_server, proposed):
    mask = Mask.objects.get(frame__index=4)
    log_in(page, live_server, "annotator", "secret-pass-123", f"/sequences/{proposed.id}/")
    page.goto(f"{live_server.url}/admin/masks/mask/{mask.id}/change/")
    expect(page.locator(".field-frame")).to_contain_text("Synthetic · frame 5")
    page.goto(f"{live_server.url}/sequences/{proposed.id}/annotate/?frame=4")
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    expect(page.locator("#frame-label")).to_have_text(re.compile(r"^5\b"))


def test_the_effort_spent_is_on_the_sequence_page(page, live_server, proposed, user, screenshot):
    log_in(page, live_server, "annotator", "secret-pass-123", f"/sequences/{proposed.id}/")
    row = page.locator("#effort tr[data-effort-tag='Polyp']")
    expect(row.locator("td.num").nth(4)).to_have_text("0")  # nothing accepted yet
    expect(row.locator("td.num").nth(7)).to_have_text("1")  # frame 1 by hand
    proposal = Mask.objects.get(frame__index=2)
    accepted = page.request.post(
        f"{live_server.url}/api/masks/{proposal.id}/review/", data=json.dumps({"decision": "accept"}),
        headers=json_headers(page, live_server),
    )
    assert accepted.ok, accepted.text()
    wrong = Mask.objects.get(frame__index=3)
    rejected = page.request.post(
        f"{live_server.url}/api/masks/{wrong.id}/review/", data=json.dumps({"decision": "reject"}),
        headers=json_headers(page, live_server),
    )
    assert rejected.ok and EffortEvent.objects.count() == 2
    page.reload()
    # accepted 1, rejected 1 (a correction); frame 1 by hand, frame 3 from an accepted proposal
    expect(row.locator("td.num").nth(3)).to_have_text("1")
    expect(row.locator("td.num").nth(4)).to_have_text("1")
    expect(row.locator("td.num").nth(5)).to_have_text("1")
    expect(row.locator("td.num").nth(7)).to_have_text("1")
    expect(row.locator("td.num").nth(8)).to_have_text("1")
    screenshot("sequence-page-effort")


def csrf(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


def json_headers(page, live_server) -> dict:
    """What the page's own fetch sends: over HTTPS (the production server) Django's CSRF check also wants the
    Referer of a page of the site."""
    return {"Content-Type": "application/json", "X-CSRFToken": csrf(page), "Referer": f"{live_server.url}/"}


def test_a_manager_deletes_a_sequence_after_confirming(page, live_server, proposed, media_root):
    folder = media_root / "sequences" / str(proposed.id)
    assert folder.is_dir()
    log_in(page, live_server, "annotator", "secret-pass-123", f"/sequences/{proposed.id}/")
    page.click("#delete-link")
    expect(page.locator("#delete-confirmation")).to_contain_text("6 frames, 6 masks")
    assert FrameSequence.objects.filter(pk=proposed.pk).exists()
    page.click("#confirm-delete")
    expect(page.locator(".messages")).to_contain_text("was deleted")
    assert not FrameSequence.objects.filter(pk=proposed.pk).exists() and not Mask.objects.exists()
    assert not folder.exists()
