"""Training runs and pre-annotations as kinds of background job (:mod:`core.jobs`): their tasks, who cancels them,
their status keys."""

from __future__ import annotations

from core.jobs import JobKind

from .models import PreannotationJob, TrainedModel, TrainingRun


def run_status(run: TrainingRun) -> dict:
    """A training run's own status keys: its epochs (``epochs_done`` / ``epochs_total``, the shared ``done`` /
    ``total``), every epoch's loss and Dice, what its validation is measured on, and the model it left."""
    model = TrainedModel.objects.filter(run=run).first()
    return {
        "name": run.name,
        "epochs_done": run.done,
        "epochs_total": run.total,
        "minutes": run.config.get("minutes"),
        "best_val_dice": run.best_val_dice,
        "validation": run.validation,
        "validation_label": run.validation_label,
        "history": run.history,
        "notes": run.notes,
        "model_id": model.id if model else None,
        "model_metrics": model.metrics if model else None,
    }


def preannotation_status(job: PreannotationJob) -> dict:
    """A pre-annotation job's own status keys: the model and sequence, proposals written and replaced."""
    return {
        "model_id": job.model_id,
        "sequence_id": job.sequence_id,
        "segmenter": job.segmenter,
        "threshold": job.threshold,
        "written": job.written,
        "replaced": job.replaced,
    }


TRAINING_RUN = JobKind(
    name="training-run", model=TrainingRun, noun="training run", task="training.tasks.run_training_task",
    cancel_own="training.train", cancel_any="training.train", status=run_status,
)

PREANNOTATION = JobKind(
    name="preannotation", model=PreannotationJob, noun="pre-annotation job",
    task="training.tasks.run_preannotation_task",
    cancel_own="training.preannotate", cancel_any="training.preannotate", status=preannotation_status,
    related=("model", "sequence", "created_by"),
)
