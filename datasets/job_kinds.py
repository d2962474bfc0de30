"""Dataset exports as a kind of background job (:mod:`core.jobs`): its task, who cancels it, its status keys."""

from __future__ import annotations

from django.urls import reverse

from core.jobs import JobKind

from .models import DatasetExport


def export_status(export: DatasetExport) -> dict:
    """An export's own status keys: what went into it, its split and counts, and its zip once written."""
    return {
        "name": export.name,
        "split": export.split,
        "warnings": export.split_warnings,
        "counts": export.counts,
        "include_propagated": export.include_propagated,
        "seed": export.seed,
        "fractions": list(export.fractions),
        "size_bytes": export.size_bytes,
        "download_url": reverse("datasets:download", args=[export.id]) if export.file else None,
    }


EXPORT = JobKind(
    name="export", model=DatasetExport, noun="dataset export", task="datasets.tasks.run_export_task",
    cancel_own="datasets.export", cancel_any="datasets.export", status=export_status,
)
