"""Background tasks of masks: SAM embedding precompute."""

from django_tasks import task

from .embeddings import compute_embeddings


@task()
def compute_embeddings_task(frame_ids: list[int], model: str) -> int:
    return compute_embeddings(frame_ids, model)
