"""One job of every kind, queued, made by an annotator (the extrapolation) or a manager (the others)."""

from __future__ import annotations

import pytest

from accounts.roles import ANNOTATOR, assign_role
from datasets.models import DatasetExport
from extrapolation.models import ExtrapolationJob
from masks.models import Track
from tags.models import Tag
from training.models import PreannotationJob, TrainedModel, TrainingRun


@pytest.fixture
def annotator(django_user_model):
    person = django_user_model.objects.create_user(username="anna", password="pass-word-123")
    assign_role(user=person, role=ANNOTATOR)
    return person


@pytest.fixture
def every_kind(sequence, user, annotator) -> dict:
    """{kind name: a queued job of that kind}."""
    track = Track.objects.create(sequence=sequence, tag=Tag.objects.get(name="Polyp"), color="#FF0000",
                                 created_by=annotator)
    model = TrainedModel.objects.create(name="m", checkpoint="models/missing.pt", class_names=["Polyp"],
                                        input_size=[64, 96])
    return {
        "extrapolation": ExtrapolationJob.objects.create(sequence=sequence, track=track, created_by=annotator,
                                                         total=5),
        "export": DatasetExport.objects.create(name="e", created_by=user, total=8),
        "training-run": TrainingRun.objects.create(name="r", config={"epochs": 3}, total=3, created_by=user),
        "preannotation": PreannotationJob.objects.create(model=model, sequence=sequence, created_by=user, total=6),
    }
