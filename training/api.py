"""JSON endpoint of training: starting a pre-annotation. A run's or a pre-annotation's status and cancelling are
the jobs API's (:mod:`core.jobs_api`; ``training/urls.py`` keeps their older addresses)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from core.api import field, get_or_404, json_view, read_json
from core.jobs import job_status_json
from sequences.models import FrameSequence

from . import preannotation
from .models import TrainedModel


@json_view(("POST",))
def preannotate(request: HttpRequest, model_id: int):
    """Queue ``model`` over a sequence: ``{"sequence_id": 3}``; 202 with the job's status (and its URL)."""
    model = get_or_404(TrainedModel, model_id, "trained model")
    sequence = get_or_404(FrameSequence, field(read_json(request), "sequence_id", int), "sequence")
    job = preannotation.start_preannotation(model=model, sequence=sequence, created_by=request.user)  # a conflict: 409
    return JsonResponse(job_status_json(job), status=202)
