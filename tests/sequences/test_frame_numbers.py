"""One frame numbering for people (issue 14, bug 3): 1-based, as the annotation page shows, wherever people read
it (the admin, names of rows, messages); the API keeps the 0-based ``frame_index``."""

from __future__ import annotations

import numpy as np
import pytest

from extrapolation.models import ExtrapolationJob
from findings.models import FrameFinding
from findings.services import create_finding
from masks.models import Mask, Track
from masks.services import save_mask
from tags.models import Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def masked(sequence):
    """A propagated Polyp mask on the frame of index 2 (the page's frame 3), in a track spanning indices 2–4."""
    polyp = Tag.objects.get(name="Polyp")
    pixels = np.zeros((288, 384), bool)
    pixels[10:40, 10:40] = True
    track = Track.objects.create(sequence=sequence, tag=polyp, color=polyp.color)
    for index in (2, 4):
        mask = save_mask(frame=sequence.frames.get(index=index), tag=polyp, color=polyp.color, mask=pixels,
                         track=track)
    return Mask.objects.get(frame__index=2), track, mask


def test_names_of_rows_say_the_page_s_frame_number(sequence, masked):
    mask, track, _ = masked
    assert str(mask.frame) == "Synthetic · frame 3" and str(mask) == "Polyp on Synthetic · frame 3"
    finding = create_finding(sequence=sequence, tag=Tag.objects.get(name="Blur"), first_index=0, last_index=5)
    assert str(finding) == "Blur on frames 1–6 of Synthetic"
    single = create_finding(sequence=sequence, tag=Tag.objects.get(name="Blur"), first_index=3)
    assert str(single) == "Blur on frame 4 of Synthetic"


def test_the_api_keeps_the_0_based_index(api, masked):
    mask, _, _ = masked
    assert api.get(f"/api/masks/{mask.id}/").json()["frame_index"] == 2


def test_admin_lists_and_pages_say_the_page_s_frame_number(client_logged_in, sequence, masked):
    mask, track, _ = masked
    masks = client_logged_in.get("/admin/masks/mask/").content.decode()
    assert "frame 3" in masks and "frame 2<" not in masks
    assert "frames 3–5" in client_logged_in.get("/admin/masks/track/").content.decode()
    frame_page = client_logged_in.get(f"/admin/sequences/frame/{mask.frame_id}/change/").content.decode()
    assert "Synthetic · frame 3" in frame_page
    frames = client_logged_in.get("/admin/sequences/frame/").content.decode()
    numbers = [cell.split("<")[0] for cell in frames.split('class="field-number">')[1:]]
    assert sorted(int(n) for n in numbers) == [1, 2, 3, 4, 5, 6]


def test_the_findings_admin_reads_and_writes_1_based_frames(client_logged_in, sequence):
    blur = Tag.objects.get(name="Blur")
    finding = create_finding(sequence=sequence, tag=blur, first_index=1, last_index=2)
    listing = client_logged_in.get("/admin/findings/framefinding/").content.decode()
    assert "frames 2–3" in listing
    form = client_logged_in.get(f"/admin/findings/framefinding/{finding.id}/change/").content.decode()
    assert 'name="first_index" value="2"' in form and 'name="last_index" value="3"' in form
    token = client_logged_in.cookies["csrftoken"].value
    data = {"sequence": sequence.id, "tag": blur.id, "first_index": 1, "last_index": 6, "note": ""}
    answer = client_logged_in.post(f"/admin/findings/framefinding/{finding.id}/change/", data,
                                   HTTP_X_CSRFTOKEN=token)
    assert answer.status_code == 302
    finding.refresh_from_db()
    assert (finding.first_index, finding.last_index) == (0, 5)  # frames 1–6 of a 6-frame sequence
    too_far = client_logged_in.post(f"/admin/findings/framefinding/{finding.id}/change/",
                                    {**data, "last_index": 7}, HTTP_X_CSRFTOKEN=token)
    assert "the last frame is frame 6" in too_far.content.decode()
    assert FrameFinding.objects.get().last_index == 5


def test_the_extrapolation_job_admin_names_its_keyframes_by_frame_number(client_logged_in, sequence, masked):
    mask, track, last = masked
    ExtrapolationJob.objects.create(sequence=sequence, track=track, keyframe_ids=[mask.id, last.id])
    assert "frames 3, 5" in client_logged_in.get("/admin/extrapolation/extrapolationjob/").content.decode()
