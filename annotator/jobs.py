"""What every kind of background job shares."""

import os
import socket


def worker_name() -> str:
    """This worker process, as recorded on the jobs it runs: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def enqueue_job(job, task, *args) -> None:
    """Put ``task(*args)`` on the queue for ``job`` (a row with a ``task_id`` field) and record its task id.

    Called once the transaction that created the row commits, so a worker never looks for a missing row.
    """
    result = task.enqueue(*args)
    type(job).objects.filter(pk=job.pk).update(task_id=str(result.id))
