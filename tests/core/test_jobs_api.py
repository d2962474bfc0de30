"""The jobs API, one for every kind: /api/jobs/<kind>/<id>/ (GET the status, POST to cancel), the older per-kind URLs
answering the same, 404s that say what is missing, and who may cancel what."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import ApiToken
from accounts.roles import ANNOTATOR, assign_role

pytestmark = pytest.mark.django_db

SHARED_KEYS = {"id", "kind", "state", "state_label", "progress", "done", "total", "error", "cancel_requested",
               "attempts", "created_at", "started_at", "heartbeat_at", "finished_at", "status_url", "cancel_url"}
#: The older status URLs, and keys only their kind has (which pages and scripts read).
OLD_STATUS = {
    "extrapolation": ("/api/jobs/{id}/", {"track_id", "written", "left_to_annotator", "left_frames", "span"}),
    "export": ("/api/exports/{id}/", {"name", "split", "warnings", "counts", "download_url"}),
    "training-run": ("/api/training-runs/{id}/", {"name", "epochs_done", "epochs_total", "history", "model_id"}),
    "preannotation": ("/api/preannotations/{id}/", {"model_id", "sequence_id", "written", "replaced"}),
}
OLD_CANCEL = {"extrapolation": "/api/jobs/{id}/cancel/", "preannotation": "/api/preannotations/{id}/cancel/"}


def token_client(user) -> Client:
    _, key = ApiToken.issue(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


@pytest.mark.parametrize("kind", list(OLD_STATUS))
def test_every_kind_answers_one_status_shape(api, every_kind, kind):
    job = every_kind[kind]
    url = f"/api/jobs/{kind}/{job.pk}/"
    response = api.get(url)
    assert response.status_code == 200, response.content
    status = response.json()
    old_url, own_keys = OLD_STATUS[kind]
    assert SHARED_KEYS | own_keys <= set(status)
    assert status["kind"] == kind and str(status["id"]) == str(job.pk)
    assert status["state"] == "queued" and status["state_label"] == "Queued"
    assert status["done"] == 0 and status["total"] == job.total
    assert status["status_url"] == status["cancel_url"] == url
    assert api.get(old_url.format(id=job.pk)).json() == status  # the older URL is an alias


@pytest.mark.parametrize("kind", list(OLD_STATUS))
def test_posting_to_a_job_cancels_it(api, every_kind, kind):
    job = every_kind[kind]
    response = api.post(f"/api/jobs/{kind}/{job.pk}/")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "cancelled" and response.json()["cancel_requested"] is True
    job.refresh_from_db()
    assert job.state == "cancelled" and job.finished_at is not None


def test_a_running_job_is_asked_to_stop(api, every_kind):
    job = every_kind["training-run"]
    type(job).objects.filter(pk=job.pk).update(state="running")
    status = api.post(f"/api/jobs/training-run/{job.pk}/").json()
    assert status["state"] == "running" and status["cancel_requested"] is True  # it stops at its next report


@pytest.mark.parametrize("kind", list(OLD_CANCEL))
def test_the_older_cancel_urls_are_aliases(api, every_kind, kind):
    job = every_kind[kind]
    response = api.post(OLD_CANCEL[kind].format(id=job.pk))
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert response.json() == api.get(f"/api/jobs/{kind}/{job.pk}/").json()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/jobs/backup/1/", "No kind of job named 'backup'; the kinds are: "),
        ("/api/jobs/export/999/", "No dataset export with id 999."),
        ("/api/jobs/export/abc/", "No dataset export with id abc."),
        ("/api/jobs/export/99999999999999999999999/", "No dataset export with id 99999999999999999999999."),
        ("/api/jobs/training-run/999/", "No training run with id 999."),
        ("/api/jobs/preannotation/999/", "No pre-annotation job with id 999."),
        ("/api/jobs/extrapolation/not-a-uuid/", "No extrapolation job with id not-a-uuid."),
        ("/api/jobs/extrapolation/00000000-0000-0000-0000-000000000000/", "No extrapolation job with id"),
    ],
)
def test_an_unknown_kind_or_job_is_a_404_naming_it(api, url, message):
    for method in ("get", "post"):
        response = getattr(api, method)(url)
        assert response.status_code == 404 and response.json()["error"].startswith(message), response.content


def test_the_older_urls_answer_404_too(api):
    unknown = "00000000-0000-0000-0000-000000000000"
    assert api.get(f"/api/jobs/{unknown}/").json()["error"] == f"No extrapolation job with id {unknown}."
    assert api.post(f"/api/jobs/{unknown}/cancel/").status_code == 404
    assert api.get("/api/exports/999/").json()["error"] == "No dataset export with id 999."
    assert api.post("/api/preannotations/999/cancel/").status_code == 404


def test_reading_needs_a_login_and_no_role(every_kind, django_user_model):
    job = every_kind["export"]
    assert Client().get(f"/api/jobs/export/{job.pk}/").status_code == 401
    nobody = django_user_model.objects.create_user(username="nobody", password="pass-word-123")
    assert token_client(nobody).get(f"/api/jobs/export/{job.pk}/").status_code == 200
    assert Client().post(f"/api/jobs/export/{job.pk}/").status_code == 401
    assert token_client(nobody).put(f"/api/jobs/export/{job.pk}/").status_code == 405


@pytest.mark.parametrize("kind", ["export", "training-run", "preannotation"])
def test_a_managers_job_is_cancelled_by_a_manager(every_kind, annotator, kind):
    job = every_kind[kind]
    for url in (f"/api/jobs/{kind}/{job.pk}/", OLD_CANCEL.get(kind, "").format(id=job.pk)):
        if not url:
            continue
        response = token_client(annotator).post(url)
        assert response.status_code == 403 and "needs the manager role" in response.json()["error"]
    job.refresh_from_db()
    assert job.state == "queued"


def test_an_extrapolation_is_cancelled_by_whoever_started_it_or_a_reviewer(every_kind, annotator, django_user_model):
    job = every_kind["extrapolation"]
    other = django_user_model.objects.create_user(username="otto", password="pass-word-123")
    assign_role(user=other, role=ANNOTATOR)
    for url in (f"/api/jobs/extrapolation/{job.pk}/", f"/api/jobs/{job.pk}/cancel/"):
        response = token_client(other).post(url)
        assert response.status_code == 403 and "needs the reviewer role" in response.json()["error"]
    assert token_client(annotator).post(f"/api/jobs/extrapolation/{job.pk}/").json()["state"] == "cancelled"
