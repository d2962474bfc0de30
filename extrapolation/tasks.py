"""Background tasks on the queue (Django's Tasks API through the django-tasks backport)."""

from django_tasks import task

from .services import run_extrapolation


@task()
def run_extrapolation_task(job_id: str) -> str:
    return run_extrapolation(job_id)
