"""Reading exports: the list for the page, one export's status, what a trainer reads from a zip."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse

from .models import DatasetExport


def export_list() -> QuerySet[DatasetExport]:
    return DatasetExport.objects.select_related("created_by").prefetch_related("tags", "sequences")


def export_json(export: DatasetExport) -> dict:
    """The status of an export as the page polls it."""
    return {
        "id": export.id,
        "name": export.name,
        "state": export.state,
        "total": export.total,
        "done": export.done,
        "progress": export.progress,
        "error": export.error,
        "split": export.split,
        "warnings": export.split_warnings,
        "counts": export.counts,
        "include_propagated": export.include_propagated,
        "seed": export.seed,
        "fractions": list(export.fractions),
        "size_bytes": export.size_bytes,
        "download_url": reverse("datasets:download", args=[export.id]) if export.file else None,
        "created_at": export.created_at.isoformat(),
        "finished_at": export.finished_at.isoformat() if export.finished_at else None,
    }
