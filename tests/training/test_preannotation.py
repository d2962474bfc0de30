"""Pre-annotation: a trained model's masks as proposals, through the real worker; review, rerun, bad input."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from masks.models import Mask
from masks.selectors import MaskState
from masks.services import replace_mask_pixels
from masks.storage import absolute, read_mask
from review.selectors import sequence_statistics, sequence_timeline
from sequences.services import import_sequence
from sequences.synthetic import make_sequence
from tests.conftest import run_worker_until_idle, write_frames
from training.models import PreannotationJob, TrainedModel
from training.preannotation import run_preannotation, start_preannotation
from vision.metrics import dice

pytestmark = pytest.mark.django_db

@pytest.fixture(scope="module")
def unseen():
    """Four generated 64×96 frames (a sequence the network never saw) and their lesion masks."""
    return make_sequence(count=4, height=64, width=96, seed=23)


@pytest.fixture
def small_sequence(unseen, user):
    with tempfile.TemporaryDirectory() as folder:
        return import_sequence(source=write_frames(Path(folder), unseen[0]), name="unseen", created_by=user).sequence


def proposals(sequence):
    return Mask.objects.filter(frame__sequence=sequence, source=Mask.Source.MODEL).select_related("frame")


def run_here(model, sequence, user=None) -> PreannotationJob:
    job = start_preannotation(model=model, sequence=sequence, created_by=user, enqueue=False)
    assert run_preannotation(job.id) == "succeeded"
    job.refresh_from_db()
    return job


def post_json(client, url: str, body) -> object:
    with TestCase.captureOnCommitCallbacks(execute=True):  # the job is queued once the request commits
        return client.post(url, json.dumps(body), content_type="application/json")


def test_a_job_through_the_worker_writes_model_proposals(api, model, small_sequence, unseen, user):
    response = post_json(api, f"/api/models/{model.id}/preannotate/", {"sequence_id": small_sequence.id})
    assert response.status_code == 202, response.content
    answer = response.json()
    assert answer["state"] == "queued" and answer["status_url"] == f"/api/jobs/preannotation/{answer['id']}/"

    run_worker_until_idle()
    status = api.get(answer["status_url"]).json()
    assert status["state"] == "succeeded", status
    assert status["done"] == status["total"] == 4 and status["progress"] == 1.0
    masks = list(proposals(small_sequence))
    assert status["written"] == len(masks) >= 3
    for mask in masks:
        assert mask.segmenter == f"model-{model.id}" and mask.tag.name == "Polyp" and mask.created_by == user
        assert mask.reviewed_at is None and 0.5 <= mask.confidence <= 1
        pixels = read_mask(mask.file.name)
        assert absolute(mask.file.name).is_file() and pixels.sum() == mask.area
        assert dice(pixels, unseen[1][mask.frame.index]) > 0.3  # the proposal follows the lesion
    # The proposals await review like propagated masks: on the timeline and in the sequence's counts.
    timeline = sequence_timeline(sequence_id=small_sequence.id)[masks[0].tag_id]
    assert all(state >= MaskState.PROPAGATED for state in timeline.states)
    stats = sequence_statistics(sequence_ids=[small_sequence.id])[small_sequence.id]
    assert stats.awaiting_review == len(masks) and stats.tags[0].proposed == len(masks)
    assert stats.tags[0].manual == 0


def test_proposals_are_accepted_corrected_or_rejected_like_propagated_masks(api, model, small_sequence, user):
    run_here(model, small_sequence)
    accepted, edited, rejected = list(proposals(small_sequence).order_by("frame__index"))[:3]
    response = post_json(api, f"/api/masks/{accepted.id}/review/", {"decision": "accept"})
    assert response.status_code == 200 and response.json()["reviewed_by"] == user.username
    response = post_json(api, f"/api/masks/{rejected.id}/review/", {"decision": "reject"})
    assert response.status_code == 200 and response.json() == {"deleted": 1, "id": rejected.id}
    assert not Mask.objects.filter(pk=rejected.id).exists() and not absolute(rejected.file.name).exists()
    pixels = read_mask(edited.file.name)
    pixels[0, 0] = True
    edited = replace_mask_pixels(mask=edited, pixels=pixels, user=user)
    assert edited.source == Mask.Source.MANUAL and edited.confidence is None and edited.reviewed_by == user
    assert edited.segmenter == f"model-{model.id} + brush"
    accepted.refresh_from_db()
    assert accepted.reviewed_by == user and accepted.source == Mask.Source.MODEL


def test_running_again_replaces_unreviewed_proposals_but_keeps_accepted_ones(model, small_sequence, user):
    run_here(model, small_sequence)
    first = list(proposals(small_sequence).order_by("frame__index"))
    accepted = first[0]
    Mask.objects.filter(pk=accepted.pk).update(reviewed_by=user, reviewed_at="2026-01-01T00:00Z")
    job = run_here(model, small_sequence)
    second = set(proposals(small_sequence).values_list("id", flat=True))
    assert accepted.id in second and not (second - {accepted.id}) & {m.id for m in first}
    assert job.replaced == len(first) - 1 and job.written == len(second) - 1
    # No second proposal where a person already settled the frame's Polyp.
    assert proposals(small_sequence).filter(frame=accepted.frame).count() == 1
    assert all(absolute(m.file.name).is_file() for m in proposals(small_sequence))
    # Exports trust the accepted proposal only.
    assert list(proposals(small_sequence).trusted().values_list("id", flat=True)) == [accepted.id]


def test_cancelling_stops_after_the_current_frame(model, small_sequence):
    job = start_preannotation(model=model, sequence=small_sequence, enqueue=False)
    PreannotationJob.objects.filter(pk=job.pk).update(cancel_requested=True)  # asked while it runs
    assert run_preannotation(job.id) == "cancelled"
    job.refresh_from_db()
    assert job.done == 1 and job.total == 4 and proposals(small_sequence).count() == job.written <= 1


def test_a_second_job_on_the_same_sequence_waits_its_turn(api, model, small_sequence):
    url, body = f"/api/models/{model.id}/preannotate/", json.dumps({"sequence_id": small_sequence.id})
    assert api.post(url, body, content_type="application/json").status_code == 202
    response = api.post(url, body, content_type="application/json")
    assert response.status_code == 409 and "already pre-annotating" in response.json()["error"]
    job = PreannotationJob.objects.get()
    cancelled = api.post(f"/api/preannotations/{job.id}/cancel/").json()
    assert cancelled["state"] == "cancelled"


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/api/models/{model}/preannotate/", {}, 400, "Missing field 'sequence_id'"),
        ("/api/models/{model}/preannotate/", {"sequence_id": "one"}, 400, "must be"),
        ("/api/models/{model}/preannotate/", {"sequence_id": 999}, 404, "No sequence with id 999"),
        ("/api/models/999/preannotate/", {"sequence_id": "{sequence}"}, 404, "No trained model with id 999"),
        ("/api/preannotations/999/", None, 404, "No pre-annotation job with id 999"),
    ],
)
def test_bad_input_is_a_json_error(api, model, small_sequence, path, body, status, message):
    url = path.format(model=model.id)
    if body is None:
        response = api.get(url)
    else:
        body = {k: small_sequence.id if v == "{sequence}" else v for k, v in body.items()}
        response = api.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == status and message in response.json()["error"]
    assert not PreannotationJob.objects.exists()


def test_a_model_whose_tags_are_gone_or_checkpoint_missing_is_refused(api, model, small_sequence):
    url = f"/api/models/{model.id}/preannotate/"
    body = json.dumps({"sequence_id": small_sequence.id})
    TrainedModel.objects.filter(pk=model.pk).update(class_names=["Nonexistent"])
    response = api.post(url, body, content_type="application/json")
    assert response.status_code == 400 and "None of model" in response.json()["error"]
    absolute(model.checkpoint.name).unlink()
    response = api.post(url, body, content_type="application/json")
    assert response.status_code == 400 and "checkpoint" in response.json()["error"]
    assert api.get(url).status_code == 405
    assert not PreannotationJob.objects.exists()


def test_the_command_runs_here(model, small_sequence, capsys):
    call_command("preannotate", str(model.id), str(small_sequence.id), "--here")
    out = capsys.readouterr().out
    job = PreannotationJob.objects.get()
    assert f"Job {job.id}: succeeded" in out and proposals(small_sequence).count() == job.written > 0
    with pytest.raises(CommandError, match="No trained model with id 999"):
        call_command("preannotate", "999", str(small_sequence.id))
    with pytest.raises(CommandError, match="No sequence with id 999"):
        call_command("preannotate", str(model.id), "999")


def test_the_models_page_starts_a_job(client, user, model, small_sequence, django_capture_on_commit_callbacks):
    client.force_login(user)
    page = client.get("/training/models/").content.decode()
    assert f'action="/training/models/{model.id}/preannotate/"' in page and "Pre-annotate" in page
    with django_capture_on_commit_callbacks(execute=False):  # queued, not run
        response = client.post(f"/training/models/{model.id}/preannotate/", {"sequence": small_sequence.id})
    assert response.status_code == 302 and response.url == "/training/models/"
    job = PreannotationJob.objects.get()
    assert job.model == model and job.sequence == small_sequence and job.created_by == user
    page = client.get("/training/models/").content.decode()
    assert f'data-job="{job.id}"' in page and "queued" in page.lower()
    response = client.post(f"/training/models/{model.id}/preannotate/", {"sequence": 999})
    assert response.status_code == 302 and PreannotationJob.objects.count() == 1
