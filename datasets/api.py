"""JSON endpoint of exports: the status the page polls while an export is written."""

from __future__ import annotations

from django.http import HttpRequest

from annotator.jobs import fail_stale
from core.api import get_or_404, json_view

from . import selectors
from .models import DatasetExport


@json_view(("GET",))
def export_status(request: HttpRequest, export_id: int):
    fail_stale(DatasetExport)
    return selectors.export_json(get_or_404(DatasetExport, export_id, "dataset export"))
