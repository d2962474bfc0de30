"""Progress counts a person's work only (issue 14, bug 7): proposals awaiting review are counted apart, and a
sequence is not ready for review while they wait."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import InvalidInput
from findings.services import create_finding
from masks.models import Mask, Track
from masks.services import accept_mask, reject_mask, save_mask
from review.selectors import sequence_statistics
from review.services import set_status
from sequences.models import FrameSequence
from tags.models import Tag

pytestmark = pytest.mark.django_db


def blob() -> np.ndarray:
    mask = np.zeros((288, 384), bool)
    mask[50:80, 60:90] = True
    return mask


@pytest.fixture
def proposed(sequence):
    """Frame 0: a Polyp mask by hand; frames 1–5: propagated proposals nobody reviewed."""
    polyp = Tag.objects.get(name="Polyp")
    frames = list(sequence.frames.order_by("index"))
    track = Track.objects.create(sequence=sequence, tag=polyp, color=polyp.color)
    keyframe = save_mask(frame=frames[0], tag=polyp, color=polyp.color, mask=blob(), track=track)
    for frame in frames[1:]:
        save_mask(frame=frame, tag=polyp, color=polyp.color, mask=blob(), source=Mask.Source.PROPAGATED,
                  track=track, keyframe=keyframe, confidence=0.7)
    return sequence


def test_proposals_are_not_progress(proposed, user):
    stats = sequence_statistics(sequence_ids=[proposed.id])[proposed.id]
    assert (stats.annotated_frames, stats.awaiting_review, stats.proposals_awaiting_review) == (1, 5, 5)
    [polyp] = stats.tags
    assert (polyp.frames, polyp.frames_awaiting_review) == (1, 5)
    proposals = Mask.objects.filter(source=Mask.Source.PROPAGATED).order_by("frame__index")
    accept_mask(mask=proposals[0], user=user)
    reject_mask(mask=proposals[1], user=user)
    create_finding(sequence=proposed, tag=Tag.objects.get(name="Blur"), first_index=5, last_index=5)
    stats = sequence_statistics(sequence_ids=[proposed.id])[proposed.id]
    # Frames 0 (by hand), 1 (accepted) and 5 (a finding); frames 3–5 still hold proposals.
    assert (stats.annotated_frames, stats.awaiting_review) == (3, 3)


def test_not_ready_for_review_while_proposals_wait(proposed, user):
    with pytest.raises(InvalidInput, match="while 5 proposals wait for review on 5 frames"):
        set_status(sequence=proposed, status=FrameSequence.Status.READY_FOR_REVIEW, user=user)
    proposed.refresh_from_db()
    assert proposed.status == FrameSequence.Status.IN_PROGRESS
    for mask in Mask.objects.filter(source=Mask.Source.PROPAGATED):
        accept_mask(mask=mask, user=user)
    set_status(sequence=proposed, status=FrameSequence.Status.READY_FOR_REVIEW, user=user)
    assert FrameSequence.objects.get(pk=proposed.pk).status == FrameSequence.Status.READY_FOR_REVIEW


def test_the_status_api_refuses_with_the_count(api, proposed):
    answer = api.post(f"/api/sequences/{proposed.id}/status/", json.dumps({"status": "ready_for_review"}),
                      content_type="application/json")
    assert answer.status_code == 400 and "5 proposals wait" in answer.json()["error"]


def test_the_sequence_page_says_it_as_the_status_form_error(client_logged_in, proposed):
    client_logged_in.get(f"/sequences/{proposed.id}/")
    token = client_logged_in.cookies["csrftoken"].value
    answer = client_logged_in.post(f"/sequences/{proposed.id}/status/", {"status": "ready_for_review"},
                                   HTTP_X_CSRFTOKEN=token)
    page = answer.content.decode()
    assert answer.status_code == 400
    assert 'id="status-error"' in page and "5 proposals wait for review on 5 frames" in page
    assert "1 frame (17 %)" in page  # the annotated line counts frame 0 only
