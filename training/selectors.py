"""Reading training runs, trained models, pre-annotations and live videos for the pages."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from .models import LiveVideo, PreannotationJob, TrainedModel, TrainingRun


def run_list() -> QuerySet[TrainingRun]:
    return TrainingRun.objects.select_related("export", "created_by")


def model_list() -> QuerySet[TrainedModel]:
    return TrainedModel.objects.select_related("export", "run", "created_by")


def live_video_list() -> QuerySet[LiveVideo]:
    return LiveVideo.objects.select_related("created_by")


def preannotation_list() -> QuerySet[PreannotationJob]:
    return PreannotationJob.objects.select_related("model", "sequence", "created_by", "report")


def checkpoint_path(model: TrainedModel) -> Path:
    """Where ``model``'s checkpoint file is (it may be missing)."""
    return Path(settings.MEDIA_ROOT) / model.checkpoint.name
