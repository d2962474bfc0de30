"""What every kind of background job shares, written once: its record (state, progress, heartbeat, cancellation),
the moves of its state machine — queued → running → succeeded / failed / cancelled — and its status JSON.

A kind of job (extrapolation, dataset export, training run, pre-annotation) is a :class:`JobRecord` with its own
fields, and a :class:`JobKind` its app registers when it is ready (``AppConfig.ready``). Then:

- :func:`start_job` creates the row and queues its task once that commits;
- :func:`run_job` is the body of every task: claim → the kind's work → the final state, a failure recorded;
- :func:`progress` is the work's one report: a single UPDATE that also answers "was it cancelled?";
- :func:`cancel` checks the kind's permission and asks the job to stop;
- :func:`job_status_json` is the one status shape the pages and ``/api/jobs/<kind>/<id>/`` answer;
- :func:`reap_stale_jobs` fails the jobs whose worker died; the workers call it (``manage.py db_worker``),
  never a page or an API read.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from accounts import roles

logger = logging.getLogger(__name__)


class JobRecord(models.Model):
    """State and progress of a background job."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (State.QUEUED, State.RUNNING)

    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0, help_text="Units of work (frames, epochs) to do.")
    done = models.PositiveIntegerField(default=0, help_text="Units done so far.")
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0, help_text="How many times a worker started the job.")
    worker = models.CharField(max_length=100, blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="Id of the task on the queue.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def progress(self) -> float:
        if self.total:
            return round(min(1.0, self.done / self.total), 4)
        return 0.0 if self.is_active else 1.0


Job = TypeVar("Job", bound=JobRecord)


def _no_keys(job: Any) -> dict:
    return {}


def _nothing_to_clean(job: Any, stale_after: float) -> None:
    return None


@dataclass(frozen=True)
class JobKind:
    """What the shared code needs to know of one kind of job.

    ``name`` is its segment of ``/api/jobs/<name>/<id>/``; ``noun`` names one in messages ("training run");
    ``task`` is the dotted path of its task on the queue (called with the job's id; a path, so that starting a
    job imports the task, and the task its services, only when needed);
    ``cancel_own`` / ``cancel_any`` are the permissions to cancel one's own job and anyone's (the same for a
    manager's kind); ``status`` gives the keys its status JSON has beside the shared ones; ``related`` are the
    relations ``status`` reads; ``stale_consequence`` ends the error of a job whose worker died (what the user can
    do) and ``on_stale`` tidies after one.
    """

    name: str
    model: type[JobRecord]
    noun: str
    task: str
    cancel_own: str
    cancel_any: str
    status: Callable[[Any], dict] = _no_keys
    related: tuple[str, ...] = ()
    stale_consequence: str = "start it again"
    on_stale: Callable[[Any, float], None] = _nothing_to_clean


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> None:
    """Make ``kind`` known to the runner, the status JSON, the reaper and the jobs API (from ``AppConfig.ready``)."""
    _KINDS[kind.name] = kind


def kinds() -> list[JobKind]:
    return list(_KINDS.values())


def kind_named(name: str) -> JobKind | None:
    return _KINDS.get(name)


def kind_of(job_or_model: JobRecord | type[JobRecord]) -> JobKind:
    model = job_or_model if isinstance(job_or_model, type) else type(job_or_model)
    for kind in _KINDS.values():
        if issubclass(model, kind.model):
            return kind
    raise LookupError(f"{model.__name__} is not a registered kind of job.")


def find_job(kind: JobKind, pk: Any) -> JobRecord | None:
    """The job of ``kind`` with primary key ``pk`` (text from a URL is fine), None if there is none or ``pk``
    cannot be one."""
    try:
        pk = kind.model._meta.pk.to_python(pk)
    except ValidationError:  # not an id of that kind (text for a number, not a UUID): no job
        return None
    if isinstance(pk, int) and not -(2**63) <= pk < 2**63:  # more than the database stores
        return None
    return kind.model.objects.select_related(*kind.related).filter(pk=pk).first()


# ---------- starting ----------


def worker_name() -> str:
    """This worker process, as recorded on the jobs it runs: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def start_job(create: Callable[[], Job], *, enqueue: bool = True) -> Job:
    """Create a job (``create()``, which also checks it may start, in the same transaction) and, with
    ``enqueue``, put its kind's task on the queue once that transaction commits — so a worker never looks for a
    row that is not there yet. Without ``enqueue`` the caller runs the job itself (:func:`run_job`)."""
    with transaction.atomic():
        job = create()
        if enqueue:
            transaction.on_commit(lambda: _enqueue(job))
    return job


def _enqueue(job: JobRecord) -> None:
    task = import_string(kind_of(job).task)
    result = task.enqueue(job.pk if isinstance(job.pk, int) else str(job.pk))
    type(job).objects.filter(pk=job.pk).update(task_id=str(result.id))


# ---------- running ----------


class JobCancelled(Exception):
    """Raised by a job's work to stop at once after :func:`progress` answered that it was cancelled."""


def claim(model: type[JobRecord], pk) -> bool:
    """Move a queued job to running for this worker; False if it was cancelled or taken meanwhile."""
    now = timezone.now()
    return bool(model.objects.filter(pk=pk, state=JobRecord.State.QUEUED).update(
        state=JobRecord.State.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1,
        worker=worker_name(),
    ))


def progress(job: JobRecord, done: int | None = None, total: int | None = None, **fields) -> bool:
    """Record a running job's progress and heartbeat (and ``fields``, other columns of the row, F() allowed) in
    one UPDATE; answers whether the job was asked to stop. ``done`` None: only the heartbeat (and ``fields``)."""
    if done is not None:
        fields["done"] = done
    if total is not None:
        fields["total"] = total
    fields["heartbeat_at"] = timezone.now()
    rows = type(job).objects.filter(pk=job.pk)
    # The condition is the answer: no row updated means the flag is set (the row's fields are still recorded).
    if rows.filter(cancel_requested=False).update(**fields):
        return False
    rows.update(**fields)
    return True


class Progress:
    """:func:`progress` bound to the job a runner runs; remembers whether it ever answered "cancelled"."""

    def __init__(self, job: JobRecord) -> None:
        self.job = job
        self.cancelled = False

    def __call__(self, done: int | None = None, total: int | None = None, **fields) -> bool:
        if progress(self.job, done, total, **fields):
            self.cancelled = True
        return self.cancelled


def run_job(
    model: type[Job], pk, work: Callable[[Job, Progress], dict | None], *,
    expected: tuple[type[Exception], ...] = (),
) -> str:
    """The body of every job's task: claim the queued job, run ``work(job, progress)``, record the final state.
    Returns it.

    ``work`` reports through ``progress`` (see :func:`progress`) and stops when it answers True, by returning or by
    raising :class:`JobCancelled`; what it returns are more columns to store with the final state. The job then
    ends cancelled if it was told to stop, else succeeded (all its units done). An exception of ``expected`` (bad
    input the user can fix) fails the job with its message; any other fails it with its type too, and a logged
    traceback. A job cancelled before it started, or taken by another worker, is left as it is.
    """
    if not claim(model, pk):
        return model.objects.get(pk=pk).state
    job = model.objects.select_related(*kind_of(model).related).get(pk=pk)
    report = Progress(job)
    fields: dict = {}
    try:
        fields = work(job, report) or {}
    except JobCancelled:
        report.cancelled = True
    except expected as exc:
        return _finish(model, pk, JobRecord.State.FAILED, error=str(exc))
    except Exception as exc:
        logger.exception("%s %s failed", kind_of(model).noun.capitalize(), pk)
        return _finish(model, pk, JobRecord.State.FAILED, error=f"{type(exc).__name__}: {exc}")
    if report.cancelled:
        return _finish(model, pk, JobRecord.State.CANCELLED, **fields)
    return _finish(model, pk, JobRecord.State.SUCCEEDED, **{"done": F("total"), **fields})


def _finish(model: type[JobRecord], pk, state: str, **fields) -> str:
    now = timezone.now()
    model.objects.filter(pk=pk).update(state=state, finished_at=now, heartbeat_at=now, **fields)
    return state


# ---------- cancelling ----------


def cancel(job: Job, *, user=None) -> Job:
    """Ask a job to stop: a queued one stops at once, a running one at its next progress report. Its kind says
    who may: ``cancel_own`` for one's own job, ``cancel_any`` for anyone's (None, the command line, may)."""
    kind = kind_of(job)
    roles.require_change(user, job, own=kind.cancel_own, anyone=kind.cancel_any,
                         what=f"Cancelling {kind.noun} {job.pk}")
    model = type(job)
    model.objects.filter(pk=job.pk, state=JobRecord.State.QUEUED).update(
        state=JobRecord.State.CANCELLED, cancel_requested=True, finished_at=timezone.now()
    )
    model.objects.filter(pk=job.pk, state=JobRecord.State.RUNNING).update(cancel_requested=True)
    job.refresh_from_db()
    return job


# ---------- status ----------


def _time(value) -> str | None:
    return value.isoformat() if value else None


def job_url(job: JobRecord) -> str:
    """The job's place in the jobs API: GET its status, POST to cancel it."""
    return reverse("api:job-of-kind", args=[kind_of(job).name, job.pk])


def job_status_json(job: JobRecord) -> dict:
    """A job's status, the same shape for every kind: state (and its label as pages show it), progress, units done
    of total, error, cancel flag, attempts, times and its URL (``status_url``, ``cancel_url``), then its kind's own
    keys."""
    kind = kind_of(job)
    url = job_url(job)
    return {
        "id": job.pk if isinstance(job.pk, int) else str(job.pk),
        "kind": kind.name,
        "state": job.state,
        "state_label": job.get_state_display(),
        "progress": job.progress,
        "done": job.done,
        "total": job.total,
        "error": job.error,
        "cancel_requested": job.cancel_requested,
        "attempts": job.attempts,
        "created_at": _time(job.created_at),
        "started_at": _time(job.started_at),
        "heartbeat_at": _time(job.heartbeat_at),
        "finished_at": _time(job.finished_at),
        "status_url": url,
        "cancel_url": url,
        **kind.status(job),
    }


# ---------- workers that died ----------


def reap_stale_jobs(*, stale_after: float | None = None) -> list[JobRecord]:
    """Fail the running jobs, of every kind, whose worker stopped reporting for ``stale_after`` seconds
    (``JOB_STALE_SECONDS``: killed, machine lost), with the queue's own rows of their tasks; each kind tidies
    after its own (``on_stale``). Returns the jobs failed. The workers call it; a reader never does.

    The jobs this process runs are left alone: it is alive, so their worker did not die (a frame or an epoch
    slower than ``stale_after`` on a busy machine is not a lost worker)."""
    seconds = settings.JOB_STALE_SECONDS if stale_after is None else stale_after
    limit = timezone.now() - timedelta(seconds=seconds)
    failed = []
    for kind in kinds():
        error = f"The worker stopped reporting for over {seconds:g} s (killed or lost); {kind.stale_consequence}."
        stale = kind.model.objects.filter(state=JobRecord.State.RUNNING, heartbeat_at__lt=limit)
        for job in stale.exclude(worker=worker_name()):
            # Row by row, conditionally: a job that reported meanwhile, or that another worker failed, is left alone.
            if kind.model.objects.filter(pk=job.pk, state=JobRecord.State.RUNNING, heartbeat_at__lt=limit).update(
                state=JobRecord.State.FAILED, finished_at=timezone.now(), error=error,
            ):
                logger.warning("%s %s failed: its worker %s stopped reporting.", kind.noun.capitalize(), job.pk,
                               job.worker)
                fail_queue_task(job.task_id, error)
                kind.on_stale(job, seconds)
                failed.append(job)
    return failed


class WorkerLost(Exception):
    """The worker running a task stopped reporting (recorded on the queue's task row)."""


def fail_queue_task(task_id: str, error: str) -> None:
    """Mark the queue's own row of a task failed when the task's worker died: a killed worker cannot, and the
    row would stay RUNNING for ever. Only the database queue keeps such rows."""
    if not task_id or "django_tasks_db" not in settings.TASKS["default"]["BACKEND"]:
        return
    DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
        status="FAILED", finished_at=timezone.now(), exception_class_path=f"{__name__}.{WorkerLost.__name__}",
        traceback=f"{WorkerLost.__name__}: {error}\n",
    )
