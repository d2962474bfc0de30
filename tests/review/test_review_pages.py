"""The sequence list (counts, search, filters, status), the sequence page, the timeline and status API,
and the annotation page's query count on a long sequence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from findings.services import create_finding
from masks.models import Mask, Track
from masks.services import accept_mask, save_mask
from sequences.models import Frame, FrameSequence
from tags.models import Tag

pytestmark = pytest.mark.django_db


def blob(size: int = 20) -> np.ndarray:
    mask = np.zeros((288, 384), bool)
    mask[50:50 + size, 60:60 + size] = True
    return mask


@pytest.fixture
def annotated(sequence, user):
    """Frame 0: a manual Polyp keyframe; frames 1–3 propagated (confidence 0.9, 0.3, 0.8; frame 3 accepted);
    a Blur finding on frames 4–5."""
    polyp = Tag.objects.get(name="Polyp")
    frames = list(sequence.frames.order_by("index"))
    track = Track.objects.create(sequence=sequence, tag=polyp, color=polyp.color)
    keyframe = save_mask(frame=frames[0], tag=polyp, color=polyp.color, mask=blob(), track=track)
    for index, confidence in ((1, 0.9), (2, 0.3), (3, 0.8)):
        mask = save_mask(
            frame=frames[index], tag=polyp, color=polyp.color, mask=blob(), source=Mask.Source.PROPAGATED,
            track=track, keyframe=keyframe, confidence=confidence,
        )
        if index == 3:
            accept_mask(mask=mask, user=user)
    create_finding(sequence=sequence, tag=Tag.objects.get(name="Blur"), first_index=4, last_index=5)
    return sequence


def test_timeline_gives_compact_states_and_findings(api, annotated):
    answer = api.get(f"/api/sequences/{annotated.id}/timeline/").json()
    polyp = Tag.objects.get(name="Polyp")
    assert answer["frame_count"] == 6 and answer["low_confidence"] == 0.5
    assert answer["tags"] == [{"tag_id": polyp.id, "frames": [0, 1, 2, 3], "states": [0, 2, 3, 1]}]
    [finding] = answer["findings"]
    assert finding[1:] == [Tag.objects.get(name="Blur").id, 4, 5]


def test_status_api_sets_and_validates(api, sequence):
    url = f"/api/sequences/{sequence.id}/status/"
    response = api.post(url, json.dumps({"status": "ready_for_review"}), content_type="application/json")
    assert response.json() == {"sequence_id": sequence.id, "status": "ready_for_review", "label": "Ready for review"}
    bad = api.post(url, json.dumps({"status": "finished"}), content_type="application/json")
    assert bad.status_code == 400 and "Unknown status" in bad.json()["error"]
    sequence.refresh_from_db()
    assert sequence.status == "ready_for_review"


def test_sequence_list_shows_counts_and_filters(client, user, annotated):
    other = FrameSequence.objects.create(name="Bronchoscopy A", procedure="bronchoscopy", status="done")
    client.force_login(user)
    page = client.get("/").content.decode()
    assert "Synthetic" in page and "Bronchoscopy A" in page
    assert "Polyp 4" in page  # masks per tag
    row = page[page.index(f'data-sequence-id="{annotated.id}"'):]
    # Frames 0 (by hand), 3 (accepted) and 4–5 (a finding) are annotated; 1 and 2 only hold proposals.
    assert "67 %" in row[:3000] and "100 %" not in row[:3000]
    assert "<strong>2</strong>" in row[:3000]  # frames 1 and 2 await review
    assert "Bronchoscopy A" not in client.get("/?q=synth").content.decode()
    assert "Synthetic" not in client.get("/?procedure=bronchoscopy").content.decode()
    filtered = client.get("/?status=done").content.decode()
    assert "Bronchoscopy A" in filtered and "Synthetic" not in filtered
    assert f"/sequences/{other.id}/" in filtered


def test_status_form_on_the_list(client, user, sequence):
    client.force_login(user)
    response = client.post(f"/sequences/{sequence.id}/status/", {"status": "done", "next": "/?status=done"})
    assert response.status_code == 302 and response.url == "/?status=done"
    sequence.refresh_from_db()
    assert sequence.status == "done"
    response = client.post(f"/sequences/{sequence.id}/status/", {"status": "nope", "next": "https://evil.example/"})
    # Not back to a foreign site: the sequence page, with the refusal as its status form's error.
    assert response.status_code == 400 and "Unknown status" in response.content.decode()


def test_sequence_page_has_per_tag_statistics(client, user, annotated):
    client.force_login(user)
    page = client.get(f"/sequences/{annotated.id}/").content.decode()
    assert f"/sequences/{annotated.id}/annotate/" in page
    polyp = page[page.index('data-tag="Polyp"'):]
    cells = [c.split("<")[0] for c in polyp.split('<td class="num">')[1:9]]
    # masks, by hand, propagated, accepted, to review, low confidence, frames, findings
    assert cells[:6] == ["4", "1", "3", "1", "2", "1"]
    assert 'data-tag="Blur"' in page
    assert "2 frames with 2 propagated masks" in page


def test_sequence_page_needs_a_login(client, sequence):
    assert client.get(f"/sequences/{sequence.id}/").url.startswith("/login/")


def test_annotation_page_queries_do_not_grow_with_frames(client, user, sequence):
    client.force_login(user)
    url = f"/sequences/{sequence.id}/annotate/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    first = sequence.frames.get(index=0)
    Frame.objects.bulk_create(
        Frame(sequence=sequence, index=i, image=first.image.name, thumbnail=first.thumbnail.name, width=384, height=288)
        for i in range(6, 600)
    )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few) <= 10
    script = response.content.decode().split('id="page-data" type="application/json">')[1]
    data = json.loads(script.split("</script>")[0])
    assert data["frames"]["count"] == 600 and len(data["frames"]["images"]) == 600
