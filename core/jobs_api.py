"""The jobs API, one for every kind: ``/api/jobs/<kind>/<id>/`` answers a job's status (GET) and cancels it (POST).

The older per-kind URLs (``/api/jobs/<uuid>/``, ``/api/exports/<id>/``, ``/api/training-runs/<id>/``,
``/api/preannotations/<id>/`` and their ``cancel/``) are aliases of these views with the kind fixed.
"""

from __future__ import annotations

from django.http import HttpRequest

from core.api import json_view
from core.errors import NotFound

from .jobs import JobRecord, cancel, find_job, job_status_json, kind_named, kinds


def job_or_404(kind: str, job_id) -> JobRecord:
    found = kind_named(kind)
    if found is None:
        names = ", ".join(k.name for k in kinds())
        raise NotFound(f"No kind of job named {kind!r}; the kinds are: {names}.")
    job = find_job(found, job_id)
    if job is None:
        raise NotFound(f"No {found.noun} with id {job_id}.")
    return job


@json_view(("GET", "POST"))
def job_detail(request: HttpRequest, kind: str, job_id):
    """GET: the job's status (:func:`core.jobs.job_status_json`). POST: ask it to stop, then its status."""
    job = job_or_404(kind, job_id)
    if request.method == "POST":
        job = cancel(job, user=request.user)
    return job_status_json(job)


@json_view(("GET",))
def job_status(request: HttpRequest, kind: str, job_id):
    return job_status_json(job_or_404(kind, job_id))


@json_view(("POST",))
def job_cancel(request: HttpRequest, kind: str, job_id):
    return job_status_json(cancel(job_or_404(kind, job_id), user=request.user))
