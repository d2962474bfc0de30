"""Reading exports: the list for the page."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import DatasetExport


def export_list() -> QuerySet[DatasetExport]:
    return DatasetExport.objects.select_related("created_by").prefetch_related("tags", "sequences")
