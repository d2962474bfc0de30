"""The shared job machinery: the progress report that answers "cancelled?", the runner's final states, and the
workers — not the readers — failing the jobs whose worker died."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core import jobs
from datasets.models import DatasetExport
from tests.conftest import run_worker_until_idle

pytestmark = pytest.mark.django_db


def test_progress_is_recorded_and_answers_whether_the_job_was_cancelled(every_kind):
    export = every_kind["export"]
    assert jobs.progress(export, 3, 10) is False
    export.refresh_from_db()
    assert (export.done, export.total) == (3, 10) and export.heartbeat_at is not None
    DatasetExport.objects.filter(pk=export.pk).update(cancel_requested=True)
    assert jobs.progress(export, 4, name="renamed") is True
    export.refresh_from_db()
    assert export.done == 4 and export.name == "renamed"  # recorded all the same


def run(export, work, **options) -> tuple[str, DatasetExport]:
    state = jobs.run_job(DatasetExport, export.pk, work, **options)
    export.refresh_from_db()
    return state, export


def test_the_runner_records_how_the_work_ended(every_kind):
    def works(job, progress):
        progress(2)
        return {"size_bytes": 123}

    state, export = run(every_kind["export"], works)
    assert state == export.state == "succeeded" and export.done == export.total == 8 and export.size_bytes == 123
    assert export.attempts == 1 and export.worker == jobs.worker_name() and export.finished_at
    assert run(export, works)[0] == "succeeded"  # not queued any more: not run again
    assert export.attempts == 1


@pytest.mark.parametrize(
    ("error", "expected", "message"),
    [(ValueError("bad zip"), (ValueError,), "bad zip"), (RuntimeError("boom"), (ValueError,), "RuntimeError: boom")],
)
def test_a_failure_is_recorded_with_its_message(every_kind, error, expected, message):
    def fails(job, progress):
        raise error

    state, export = run(every_kind["export"], fails, expected=expected)
    assert state == export.state == "failed" and export.error == message


def test_work_stops_when_progress_says_cancelled(every_kind):
    DatasetExport.objects.filter(pk=every_kind["export"].pk).update(cancel_requested=True)

    def returns(job, progress):
        assert progress(1) is True
        return {"size_bytes": 5}

    state, export = run(every_kind["export"], returns)
    assert state == export.state == "cancelled" and export.done == 1 and export.size_bytes == 5


def test_work_may_stop_by_raising_job_cancelled(every_kind):
    DatasetExport.objects.filter(pk=every_kind["export"].pk).update(cancel_requested=True)

    def raises(job, progress):
        if progress(1):
            raise jobs.JobCancelled()

    assert run(every_kind["export"], raises)[0] == "cancelled"


def make_running(job, *, seconds_ago: float, worker: str = "elsewhere:1") -> None:
    type(job).objects.filter(pk=job.pk).update(
        state="running", worker=worker, heartbeat_at=timezone.now() - timedelta(seconds=seconds_ago),
    )


def test_the_reaper_fails_the_jobs_whose_worker_died(every_kind, settings):
    settings.JOB_STALE_SECONDS = 60
    make_running(every_kind["extrapolation"], seconds_ago=120)  # its worker died
    make_running(every_kind["export"], seconds_ago=5)  # slow, but reporting
    make_running(every_kind["training-run"], seconds_ago=120, worker=jobs.worker_name())  # this process: alive
    failed = jobs.reap_stale_jobs()
    assert [job.pk for job in failed] == [every_kind["extrapolation"].pk]
    for job in every_kind.values():
        job.refresh_from_db()
    extrapolation = every_kind["extrapolation"]
    assert extrapolation.state == "failed" and extrapolation.finished_at
    assert "stopped reporting for over 60 s" in extrapolation.error
    assert "masks written so far are kept" in extrapolation.error
    assert every_kind["export"].state == every_kind["training-run"].state == "running"


def test_reading_a_job_never_fails_it(api, client_logged_in, every_kind, settings):
    settings.JOB_STALE_SECONDS = 60
    for job in every_kind.values():
        make_running(job, seconds_ago=600)
    for kind, job in every_kind.items():
        assert api.get(f"/api/jobs/{kind}/{job.pk}/").json()["state"] == "running"
    sequence_id = every_kind["extrapolation"].sequence_id
    assert api.get(f"/api/sequences/{sequence_id}/jobs/?active=1").json()["jobs"][0]["state"] == "running"
    for page in ("/datasets/", "/training/", "/training/models/", f"/training/runs/{every_kind['training-run'].pk}/"):
        assert client_logged_in.get(page).status_code == 200
    assert all(type(job).objects.get(pk=job.pk).state == "running" for job in every_kind.values())


def test_a_worker_fails_them_before_its_tasks(every_kind, settings):
    settings.JOB_STALE_SECONDS = 60
    for job in every_kind.values():
        make_running(job, seconds_ago=600)
    run_worker_until_idle()  # the queue's worker in --batch mode: it sweeps once, then runs what is queued
    for kind, job in every_kind.items():
        job.refresh_from_db()
        assert job.state == "failed" and "stopped reporting" in job.error, kind
