"""What every kind of background job shares: its record (state, progress, heartbeat, cancellation) and the
moves of its state machine — queued → running → succeeded / failed / cancelled.

Extrapolation jobs, dataset exports, training runs and pre-annotations are each a :class:`JobRecord` with
their own fields; their tasks claim, report, cancel and fail the same way.
"""

import logging
import os
import socket
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

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


def worker_name() -> str:
    """This worker process, as recorded on the jobs it runs: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def enqueue_job(job, task, *args) -> None:
    """Put ``task(*args)`` on the queue for ``job`` (a row with a ``task_id`` field) and record its task id.

    Called once the transaction that created the row commits, so a worker never looks for a missing row.
    """
    result = task.enqueue(*args)
    type(job).objects.filter(pk=job.pk).update(task_id=str(result.id))


def claim(model: type[JobRecord], pk) -> bool:
    """Move a queued job to running for this worker; False if it was cancelled or taken meanwhile."""
    now = timezone.now()
    return bool(model.objects.filter(pk=pk, state=JobRecord.State.QUEUED).update(
        state=JobRecord.State.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1,
        worker=worker_name(),
    ))


def cancel(job: JobRecord) -> JobRecord:
    """Ask a job to stop: a queued one stops at once, a running one at its next progress report."""
    model = type(job)
    model.objects.filter(pk=job.pk, state=JobRecord.State.QUEUED).update(
        state=JobRecord.State.CANCELLED, cancel_requested=True, finished_at=timezone.now()
    )
    model.objects.filter(pk=job.pk, state=JobRecord.State.RUNNING).update(cancel_requested=True)
    job.refresh_from_db()
    return job


def record_failure(model: type[JobRecord], pk, exc: BaseException) -> str:
    """A job of ``model`` ended by the unexpected ``exc``: log its traceback and record its type and message
    as the job's error (the worker goes on with the next job). Returns the failed state."""
    logger.exception("%s %s failed", model._meta.verbose_name.capitalize(), pk)
    model.objects.filter(pk=pk).update(
        state=JobRecord.State.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
    )
    return JobRecord.State.FAILED


def fail_stale(
    model: type[JobRecord], *, stale_after: float | None = None, consequence: str = "start it again"
) -> list:
    """Mark failed the running jobs of ``model`` whose worker stopped reporting (killed, machine lost);
    returns them. ``consequence`` ends the error message (what the user can do)."""
    seconds = settings.JOB_STALE_SECONDS if stale_after is None else stale_after
    limit = timezone.now() - timedelta(seconds=seconds)
    failed = []
    for job in model.objects.filter(state=JobRecord.State.RUNNING, heartbeat_at__lt=limit):
        # Row by row, conditionally: a job that reported meanwhile, or that another reader failed, is left alone.
        error = f"The worker stopped reporting for over {seconds:g} s (killed or lost); {consequence}."
        if model.objects.filter(pk=job.pk, state=JobRecord.State.RUNNING, heartbeat_at__lt=limit).update(
            state=JobRecord.State.FAILED, finished_at=timezone.now(), error=error,
        ):
            fail_queue_task(job.task_id, error)
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
