"""JSON endpoints of training: the status a run page polls; starting, watching and cancelling pre-annotation."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from annotator.jobs import fail_stale
from core.api import field, get_or_404, json_view, read_json
from sequences.models import Sequence

from . import selectors, services
from .models import PreannotationJob, TrainedModel, TrainingRun


@json_view(("GET",))
def run_status(request: HttpRequest, run_id: int):
    fail_stale(TrainingRun)
    return selectors.run_json(get_or_404(TrainingRun, run_id, "training run"))


@json_view(("POST",))
def preannotate(request: HttpRequest, model_id: int):
    """Queue ``model`` over a sequence: ``{"sequence_id": 3}``; 202 with the job's status (and its URL)."""
    model = get_or_404(TrainedModel, model_id, "trained model")
    sequence = get_or_404(Sequence, field(read_json(request), "sequence_id", int), "sequence")
    job = services.start_preannotation(model=model, sequence=sequence, user=request.user)  # a conflict: 409
    return JsonResponse(selectors.preannotation_json(job), status=202)


@json_view(("GET",))
def preannotation_status(request: HttpRequest, job_id: int):
    fail_stale(PreannotationJob)
    return selectors.preannotation_json(get_or_404(PreannotationJob, job_id, "pre-annotation job"))


@json_view(("POST",))
def preannotation_cancel(request: HttpRequest, job_id: int):
    job = get_or_404(PreannotationJob, job_id, "pre-annotation job")
    return selectors.preannotation_json(services.cancel_preannotation(job=job, user=request.user))
