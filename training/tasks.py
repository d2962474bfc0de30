"""Background tasks on the queue (Django's Tasks API through the django-tasks backport)."""

from django_tasks import task

from .preannotation import run_preannotation
from .services import run_training


@task()
def run_training_task(run_id: int) -> str:
    return run_training(run_id)


@task()
def run_preannotation_task(job_id: int) -> str:
    return run_preannotation(job_id)
