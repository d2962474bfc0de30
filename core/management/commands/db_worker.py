"""The queue's worker (django-tasks-db's ``db_worker``), which also fails the jobs whose worker died.

A killed worker cannot record that its job stopped, so the living workers do: every few seconds (a quarter of
``JOB_STALE_SECONDS``) each one fails the running jobs nobody reported on for ``JOB_STALE_SECONDS``
(:func:`core.jobs.reap_stale_jobs`), whether it is idle or busy with a job of its own. A ``--batch`` worker
does it once, before its tasks. Pages and the API only read a job's state.

This command takes the place of django-tasks-db's own because ``core`` comes before ``django_tasks_db`` in
``INSTALLED_APPS``.
"""

from __future__ import annotations

import logging
import os
import threading

from django.conf import settings
from django.db import OperationalError, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from core.jobs import reap_stale_jobs

logger = logging.getLogger(__name__)


def reap_once() -> None:
    try:
        reap_stale_jobs()
    except OperationalError as exc:  # another writer holds the database: the next sweep tries again
        logger.info("Stale jobs not checked this time: %s", exc)


def reap_forever(stop: threading.Event, every: float) -> None:
    while not stop.is_set():
        reap_once()
        connection.close()  # this thread's own connection; not held open between sweeps
        stop.wait(every)


def start_reaper() -> threading.Event:
    """Sweep for stale jobs in a daemon thread of this worker until the returned event is set."""
    stop = threading.Event()
    every = max(1.0, settings.JOB_STALE_SECONDS / 4)
    threading.Thread(target=reap_forever, args=(stop, every), name="stale-job-reaper", daemon=True).start()
    return stop


class Command(db_worker.Command):
    help = "Run a database background worker; it also fails the jobs whose worker stopped reporting."

    def handle(self, *args, **options) -> None:
        if options["batch"]:
            reap_once()
        elif not options["reload"] or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            start_reaper()  # with --reload, only in the process that runs the tasks, not in the one watching files
        super().handle(*args, **options)
