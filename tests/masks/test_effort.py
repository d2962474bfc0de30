"""Effort recorded as people work (issue 13's product surface): clicks, brush edits, corrections of proposals and
working time, through the JSON endpoints the annotation page calls, summed on the sequence page."""

from __future__ import annotations

import json

import pytest

from masks import services
from masks.models import EffortEvent, Mask
from masks.selectors import format_seconds, sequence_effort
from tags.models import Tag
from tests.masks.test_api import lesion_point
from tests.masks.test_review import png_data_url, post, saved, square

pytestmark = pytest.mark.django_db


@pytest.fixture
def click_body(sequence, synthetic):
    """``click_body(**extra)``: a /generate_mask/ body of three clicks on frame 0's lesion."""
    x, y = lesion_point(synthetic)

    def body(**extra) -> dict:
        return {
            "sequence_id": sequence.id, "frame_id": sequence.frames.get(index=0).id,
            "tag_id": Tag.objects.get(name="Polyp").id,
            "points": [{"x": x, "y": y, "sign": "+"}, {"x": 40, "y": 150, "sign": "-"},
                       {"x": x + 2, "y": y, "sign": "+"}],
            **extra,
        }

    return body


def test_a_mask_from_clicks_records_its_clicks_and_working_time(api, sequence, user, click_body):
    answer = post(api, "/generate_mask/", click_body(work_seconds=12.5))
    assert answer.status_code == 200, answer.content
    [event] = EffortEvent.objects.all()
    assert (event.kind, event.clicks, event.work_seconds, event.correction) == ("clicks", 3, 12.5, False)
    assert event.mask_id == answer.json()["id"] and event.created_by == user
    assert event.frame.index == 0 and event.sequence_id == sequence.id


def test_work_seconds_is_optional(api, sequence, click_body):
    assert post(api, "/generate_mask/", click_body()).status_code == 200
    assert EffortEvent.objects.get().work_seconds is None


@pytest.mark.parametrize("value", [-1, 3601, "12", True, [3]])
def test_a_bad_working_time_is_refused_and_nothing_is_saved(api, sequence, value, click_body):
    answer = post(api, "/generate_mask/", click_body(work_seconds=value))
    assert answer.status_code == 400 and "work_seconds" in answer.json()["error"]
    assert not Mask.objects.exists() and not EffortEvent.objects.exists()


def test_a_brush_edit_of_a_proposal_is_a_timed_correction(api, sequence):
    proposal = saved(sequence, propagated=True, confidence=0.8)
    edited = square()
    edited[100:110, 150:190] = False
    answer = post(api, f"/api/masks/{proposal.id}/pixels/", {"png": png_data_url(edited), "work_seconds": 40})
    assert answer.status_code == 200, answer.content
    [event] = EffortEvent.objects.all()
    assert (event.kind, event.correction, event.work_seconds, event.mask_id) == ("edit", True, 40.0, proposal.id)
    # A second edit of what is now a mask made by hand is an edit, not a correction of a machine's proposal.
    post(api, f"/api/masks/{proposal.id}/pixels/", {"png": png_data_url(square()), "work_seconds": 5})
    assert list(EffortEvent.objects.order_by("id").values_list("correction", flat=True)) == [True, False]
    bad = post(api, f"/api/masks/{proposal.id}/pixels/", {"png": png_data_url(square()), "work_seconds": -3})
    assert bad.status_code == 400 and EffortEvent.objects.count() == 2


def test_accepting_and_rejecting_are_recorded_and_a_rejection_outlives_its_mask(api, sequence):
    kept = saved(sequence, index=1, propagated=True, confidence=0.9)
    wrong = saved(sequence, index=2, propagated=True, confidence=0.2)
    assert post(api, f"/api/masks/{kept.id}/review/", {"decision": "accept"}).status_code == 200
    assert post(api, f"/api/masks/{wrong.id}/review/", {"decision": "reject"}).status_code == 200
    accept, reject = EffortEvent.objects.order_by("id")
    assert (accept.kind, accept.correction, accept.mask_id) == ("accept", False, kept.id)
    assert (reject.kind, reject.correction, reject.mask_id) == ("reject", True, None)
    assert reject.frame.index == 2 and reject.tag.name == "Polyp"


def test_work_without_a_person_is_not_effort(sequence):
    """Commands, jobs and benchmarks call the services without a user: nothing simulated is counted."""
    mask = saved(sequence, propagated=True, confidence=0.9)
    services.replace_mask_pixels(mask=mask, pixels=square(size=30), work_seconds=3)
    services.accept_mask(mask=saved(sequence, index=1, propagated=True, confidence=0.9))
    assert not EffortEvent.objects.exists()


def test_sequence_effort_sums_per_sequence_and_per_tag(api, sequence, user, click_body):
    polyp, blood = Tag.objects.get(name="Polyp"), Tag.objects.get(name="Bleeding")
    post(api, "/generate_mask/", click_body(work_seconds=30))
    post(api, "/generate_mask/", click_body(tag_id=blood.id, work_seconds=15.4))
    proposal = saved(sequence, index=3, propagated=True, confidence=0.9)
    post(api, f"/api/masks/{proposal.id}/pixels/", {"png": png_data_url(square(size=20)), "work_seconds": 60})
    accepted = saved(sequence, index=4, propagated=True, confidence=0.9)
    post(api, f"/api/masks/{accepted.id}/review/", {"decision": "accept"})
    effort = sequence_effort(sequence_id=sequence.id)
    total, line = effort.total, effort.tags[polyp.id]
    assert (total.clicks, total.masks_from_clicks, total.edits, total.corrections, total.accepted) == (6, 2, 1, 1, 1)
    assert total.work_seconds == pytest.approx(105.4) and total.work_time == "1 min 45 s"
    assert (total.frames_by_hand, total.frames_accepted) == (2, 1)  # frames 0 and 3 by hand; frame 4 accepted
    assert (line.clicks, line.edits, line.corrections, line.frames_by_hand, line.frames_accepted) == (3, 1, 1, 2, 1)
    assert effort.tags[blood.id].work_seconds == pytest.approx(15.4)


def test_the_sequence_page_shows_the_effort(client_logged_in, api, sequence, click_body):
    post(api, "/generate_mask/", click_body(work_seconds=75))
    proposal = saved(sequence, index=3, propagated=True, confidence=0.9)
    post(api, f"/api/masks/{proposal.id}/review/", {"decision": "reject"})
    page = client_logged_in.get(f"/sequences/{sequence.id}/").content.decode()
    table = page[page.index('id="effort"'):]
    polyp = table[table.index('data-effort-tag="Polyp"'):]
    cells = [c.split("<")[0] for c in polyp.split('<td class="num">')[1:10]]
    # clicks, masks from clicks, edits, corrections, accepted, rejected, time, frames by hand, from proposals
    assert cells == ["3", "1", "0", "1", "0", "1", "1 min 15 s", "1", "0"]
    assert "Whole sequence" in table


def test_a_sequence_without_work_says_so(client_logged_in, sequence):
    assert 'id="no-effort"' in client_logged_in.get(f"/sequences/{sequence.id}/").content.decode()


def test_mask_admin_shows_the_work_on_the_mask(client_logged_in, api, sequence, click_body):
    mask_id = post(api, "/generate_mask/", click_body(work_seconds=8)).json()["id"]
    page = client_logged_in.get(f"/admin/masks/mask/{mask_id}/change/").content.decode()
    assert "3 clicks, 0 brush edits, 0 corrections, 8 s of work" in page


def test_format_seconds():
    assert [format_seconds(s) for s in (0, 42.4, 200, 3900)] == ["0 s", "42 s", "3 min 20 s", "1 h 05 min"]


def test_generate_mask_body_keeps_json_numbers_only(api, sequence, click_body):
    body = json.dumps(click_body()).replace("}]", '}], "work_seconds": NaN', 1)
    assert post(api, "/generate_mask/", body).status_code == 400


def test_save_and_extrapolate_records_the_keyframe_s_clicks_and_time(api, sequence, click_body):
    body = click_body(work_seconds=21)
    body["current_frame_id"] = body.pop("frame_id")
    answer = post(api, "/extrapolate_masks/", body)
    assert answer.status_code == 202, answer.content
    [event] = EffortEvent.objects.all()
    assert (event.kind, event.clicks, event.work_seconds, event.mask_id) == (
        "clicks", 3, 21.0, answer.json()["keyframe_mask_id"])
    assert post(api, "/extrapolate_masks/", {**body, "work_seconds": 1e9}).status_code == 400
