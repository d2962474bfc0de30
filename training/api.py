"""JSON endpoint of training runs: the status the run page polls."""

from __future__ import annotations

from django.http import HttpRequest

from annotator.api import get_or_404, json_view
from datasets.services import fail_stale

from . import selectors
from .models import TrainingRun


@json_view(("GET",))
def run_status(request: HttpRequest, run_id: int):
    fail_stale(TrainingRun)
    return selectors.run_json(get_or_404(TrainingRun, run_id, "training run"))
