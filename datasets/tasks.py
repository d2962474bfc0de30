"""Background tasks on the queue (Django's Tasks API through the django-tasks backport)."""

from django_tasks import task

from .services import run_export


@task()
def run_export_task(export_id: int) -> str:
    return run_export(export_id)
