"""Reading training runs and trained models for the pages and the status API."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse

from .models import LiveVideo, PreannotationJob, TrainedModel, TrainingRun


def run_list() -> QuerySet[TrainingRun]:
    return TrainingRun.objects.select_related("export", "created_by")


def model_list() -> QuerySet[TrainedModel]:
    return TrainedModel.objects.select_related("export", "run", "created_by")


def live_video_list() -> QuerySet[LiveVideo]:
    return LiveVideo.objects.select_related("created_by")


def run_json(run: TrainingRun) -> dict:
    """A run's status as the page polls it: state, epochs done, and every epoch's loss and Dice."""
    model = TrainedModel.objects.filter(run=run).first()
    return {
        "id": run.id,
        "name": run.name,
        "state": run.state,
        "epochs_done": run.done,
        "epochs_total": run.total,
        "progress": run.progress,
        "minutes": run.config.get("minutes"),
        "best_val_dice": run.best_val_dice,
        "validation": run.validation,
        "validation_label": run.validation_label,
        "history": run.history,
        "notes": run.notes,
        "error": run.error,
        "model_id": model.id if model else None,
        "model_metrics": model.metrics if model else None,
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def preannotation_list() -> QuerySet[PreannotationJob]:
    return PreannotationJob.objects.select_related("model", "sequence", "created_by", "report")


def preannotation_json(job: PreannotationJob) -> dict:
    """A pre-annotation job's status: state, frames done, proposals written."""
    return {
        "id": job.id,
        "state": job.state,
        "model_id": job.model_id,
        "sequence_id": job.sequence_id,
        "segmenter": job.segmenter,
        "threshold": job.threshold,
        "total": job.total,
        "done": job.done,
        "progress": job.progress,
        "written": job.written,
        "replaced": job.replaced,
        "error": job.error,
        "cancel_requested": job.cancel_requested,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "status_url": reverse("api:preannotation", args=[job.id]),
        "cancel_url": reverse("api:preannotation-cancel", args=[job.id]),
    }
