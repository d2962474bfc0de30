"""Every write of the JSON API, tried by every role: the status, the role named when refused, and nothing
changed by a refusal. anna (annotator) made the work; otto is another annotator."""

from __future__ import annotations

import base64
import json

import cv2
import numpy as np
import pytest

from extrapolation.models import ExtrapolationJob
from findings.models import FrameFinding
from masks.models import Mask, Track
from sequences.models import FrameSequence
from training.models import PreannotationJob, TrainedModel

from .conftest import PEOPLE, square

OWNER_OR_REVIEWER = {"anna", "rita", "max", "root"}
ANY_ROLE = {"anna", "otto", "rita", "max", "root"}
REVIEWERS = {"rita", "max", "root"}
MANAGERS = {"max", "root"}


def expected(name: str, allowed: set[str], status: int = 200) -> int:
    if name == "anonymous":
        return 401
    return status if name in allowed else 403


def send(client, method: str, url: str, body: dict | None = None):
    return getattr(client, method)(url, data=json.dumps(body or {}), content_type="application/json")


def check(response, name: str, allowed: set[str], status: int = 200, role: str = "") -> bool:
    """Assert the answer; True when the write was allowed. A refusal names the role it needs."""
    assert response.status_code == expected(name, allowed, status), response.content[:300]
    if response.status_code == 403:
        assert role and f"needs the {role} role" in response.json()["error"]
    return response.status_code == status


def png_data_url(mask: np.ndarray) -> str:
    png = cv2.imencode(".png", np.where(mask, 255, 0).astype(np.uint8))[1].tobytes()
    return "data:image/png;base64," + base64.b64encode(png).decode()


@pytest.mark.parametrize("name", PEOPLE)
def test_deleting_a_mask(api_as, work, name):
    keyframe = work["keyframe"]
    response = send(api_as(name), "delete", f"/api/masks/{keyframe.id}/")
    allowed = check(response, name, OWNER_OR_REVIEWER, role="reviewer" if name == "otto" else "annotator")
    assert Mask.objects.filter(pk=keyframe.pk).exists() != allowed


@pytest.mark.parametrize("name", PEOPLE)
def test_editing_a_masks_pixels(api_as, work, name):
    keyframe = work["keyframe"]
    pixels = square(work["frames"][0], x=100, size=20)
    response = send(api_as(name), "post", f"/api/masks/{keyframe.id}/pixels/", {"png": png_data_url(pixels)})
    allowed = check(response, name, OWNER_OR_REVIEWER, role="reviewer" if name == "otto" else "annotator")
    keyframe.refresh_from_db()
    assert (keyframe.area == pixels.sum()) == allowed


@pytest.mark.parametrize("name", PEOPLE)
def test_accepting_a_proposal_is_a_reviewers_decision(api_as, work, name):
    proposal = work["proposal"]
    response = send(api_as(name), "post", f"/api/masks/{proposal.id}/review/", {"decision": "accept"})
    allowed = check(response, name, REVIEWERS, role="reviewer")
    proposal.refresh_from_db()
    assert proposal.is_reviewed == allowed


@pytest.mark.parametrize("name", PEOPLE)
def test_rejecting_a_proposal_is_deleting_it(api_as, work, name):
    """The proposal came from anna's extrapolation: it is hers to reject, and a reviewer's."""
    proposal = work["proposal"]
    response = send(api_as(name), "post", f"/api/masks/{proposal.id}/review/", {"decision": "reject"})
    allowed = check(response, name, OWNER_OR_REVIEWER, role="reviewer" if name == "otto" else "annotator")
    assert Mask.objects.filter(pk=proposal.pk).exists() != allowed


@pytest.mark.parametrize("name", PEOPLE)
def test_deleting_every_mask_of_a_tag(api_as, work, sequence, polyp, name):
    response = send(api_as(name), "delete", f"/api/sequences/{sequence.id}/tags/{polyp.id}/masks/")
    allowed = check(response, name, OWNER_OR_REVIEWER, role="reviewer" if name == "otto" else "annotator")
    assert Mask.objects.filter(tag=polyp).count() == (0 if allowed else 2)


def test_an_annotator_cannot_delete_a_tag_holding_someone_elses_mask(api_as, work, sequence, polyp, people):
    Mask.objects.filter(pk=work["proposal"].pk).update(created_by=people["otto"])
    response = send(api_as("anna"), "delete", f"/api/sequences/{sequence.id}/tags/{polyp.id}/masks/")
    assert response.status_code == 403 and "created by someone else" in response.json()["error"]
    assert Mask.objects.filter(tag=polyp).count() == 2


@pytest.mark.parametrize("name", PEOPLE)
def test_deleting_a_track(api_as, work, name):
    track = work["track"]
    response = send(api_as(name), "delete", f"/api/tracks/{track.id}/")
    allowed = check(response, name, OWNER_OR_REVIEWER, role="reviewer" if name == "otto" else "annotator")
    assert Track.objects.filter(pk=track.pk).exists() != allowed
    assert track.masks.count() == (0 if allowed else 2)


@pytest.mark.parametrize("name", PEOPLE)
def test_making_a_mask_from_clicks(api_as, work, sequence, polyp, people, name):
    frame = work["frames"][2]
    body = {"sequence_id": sequence.id, "frame_id": frame.id, "tag_id": polyp.id,
            "points": [{"x": 60, "y": 60, "sign": "+"}]}
    response = send(api_as(name), "post", "/generate_mask/", body)
    allowed = check(response, name, ANY_ROLE, role="annotator")
    made = frame.masks.first()
    assert (made is not None) == allowed
    if allowed:
        assert made.created_by == people[name]


@pytest.mark.parametrize("name", PEOPLE)
def test_extrapolating_a_track(api_as, work, name):
    """A run replaces the track's unreviewed proposals: only its owner (or a reviewer) may start one."""
    response = send(api_as(name), "post", "/extrapolate_masks/", {"mask_id": work["keyframe"].id})
    allowed = check(response, name, OWNER_OR_REVIEWER, status=202,
                    role="reviewer" if name == "otto" else "annotator")
    assert ExtrapolationJob.objects.filter(track=work["track"]).exists() == allowed


@pytest.mark.parametrize("name", PEOPLE)
def test_cancelling_an_extrapolation_job(api_as, work, people, name):
    job = ExtrapolationJob.objects.create(sequence_id=work["track"].sequence_id, track=work["track"],
                                          created_by=people["anna"])
    response = send(api_as(name), "post", f"/api/jobs/{job.id}/cancel/")
    allowed = check(response, name, OWNER_OR_REVIEWER, role="reviewer" if name == "otto" else "annotator")
    job.refresh_from_db()
    assert (job.state == ExtrapolationJob.State.CANCELLED) == allowed


@pytest.mark.parametrize("name", PEOPLE)
def test_recording_a_finding(api_as, work, sequence, name):
    before = FrameFinding.objects.count()
    response = send(api_as(name), "post", f"/api/sequences/{sequence.id}/findings/",
                    {"tag_id": work["finding"].tag_id, "first_index": 0})
    allowed = check(response, name, ANY_ROLE, status=201, role="annotator")
    assert FrameFinding.objects.count() == before + allowed


@pytest.mark.parametrize("name", PEOPLE)
def test_editing_a_finding(api_as, work, name):
    finding = work["finding"]
    response = send(api_as(name), "patch", f"/api/findings/{finding.id}/", {"note": "changed"})
    allowed = check(response, name, OWNER_OR_REVIEWER, role="reviewer" if name == "otto" else "annotator")
    finding.refresh_from_db()
    assert (finding.note == "changed") == allowed


@pytest.mark.parametrize("name", PEOPLE)
def test_deleting_a_finding(api_as, work, name):
    finding = work["finding"]
    response = send(api_as(name), "delete", f"/api/findings/{finding.id}/")
    allowed = check(response, name, OWNER_OR_REVIEWER, role="reviewer" if name == "otto" else "annotator")
    assert FrameFinding.objects.filter(pk=finding.pk).exists() != allowed


@pytest.mark.parametrize("name", PEOPLE)
def test_handing_a_sequence_in_for_review(api_as, sequence, people, name):
    response = send(api_as(name), "post", f"/api/sequences/{sequence.id}/status/", {"status": "ready_for_review"})
    allowed = check(response, name, ANY_ROLE, role="annotator")
    sequence.refresh_from_db()
    assert (sequence.status == FrameSequence.Status.READY_FOR_REVIEW) == allowed


@pytest.mark.parametrize("name", PEOPLE)
def test_setting_a_sequence_done_is_a_reviewers_decision(api_as, sequence, name):
    response = send(api_as(name), "post", f"/api/sequences/{sequence.id}/status/", {"status": "done"})
    allowed = check(response, name, REVIEWERS, role="reviewer")
    sequence.refresh_from_db()
    assert (sequence.status == FrameSequence.Status.DONE) == allowed


@pytest.mark.parametrize("name", PEOPLE)
def test_taking_a_sequence_back_from_done_is_a_reviewers_decision(api_as, sequence, name):
    FrameSequence.objects.filter(pk=sequence.pk).update(status=FrameSequence.Status.DONE)
    response = send(api_as(name), "post", f"/api/sequences/{sequence.id}/status/", {"status": "in_progress"})
    allowed = check(response, name, REVIEWERS, role="reviewer")
    sequence.refresh_from_db()
    assert (sequence.status == FrameSequence.Status.IN_PROGRESS) == allowed


@pytest.fixture
def model(polyp) -> TrainedModel:
    """A model row whose checkpoint file is missing: a manager gets as far as that check (400)."""
    return TrainedModel.objects.create(name="m", checkpoint="models/missing.pt", class_names=["Polyp"],
                                       input_size=[64, 96])


@pytest.mark.parametrize("name", PEOPLE)
def test_pre_annotating_is_a_managers_write(api_as, model, sequence, name):
    response = send(api_as(name), "post", f"/api/models/{model.id}/preannotate/", {"sequence_id": sequence.id})
    check(response, name, MANAGERS, status=400, role="manager")
    if response.status_code == 400:
        assert "checkpoint" in response.json()["error"]  # past the role, on to the model's own checks
    assert not PreannotationJob.objects.exists()


@pytest.mark.parametrize("name", PEOPLE)
def test_cancelling_a_pre_annotation(api_as, model, sequence, people, name):
    job = PreannotationJob.objects.create(model=model, sequence=sequence, created_by=people["max"])
    response = send(api_as(name), "post", f"/api/preannotations/{job.id}/cancel/")
    allowed = check(response, name, MANAGERS, role="manager")
    job.refresh_from_db()
    assert (job.state == PreannotationJob.State.CANCELLED) == allowed


def test_a_refusal_says_who_is_asking(api_as, work):
    error = send(api_as("otto"), "delete", f"/api/masks/{work['keyframe'].id}/").json()["error"]
    assert error == (f"Deleting mask {work['keyframe'].id} touches work created by someone else, which needs the "
                     "reviewer role; you (otto) are an annotator.")
    error = send(api_as("nobody"), "delete", f"/api/masks/{work['keyframe'].id}/").json()["error"]
    assert "needs the annotator role; you (nobody) have no role yet" in error


def test_a_session_is_refused_like_a_token(page_as, work):
    """The page's own calls (session and CSRF) meet the same rules as scripts."""
    client = page_as("otto")
    client.get("/")  # a CSRF cookie, as the page has
    response = client.delete(f"/api/masks/{work['keyframe'].id}/",
                             HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 403 and "reviewer" in response.json()["error"]
    assert Mask.objects.filter(pk=work["keyframe"].pk).exists()
