from __future__ import annotations

import numpy as np
import pytest

from sequences.synthetic import make_sequence
from training.models import TrainedModel
from training.services import store_model
from training.trainer import EpochMetrics, Sample, TrainConfig, TrainResult, train

# The tiny Polyp network of the training, pre-annotation and live tests: trained once per test run.
POLYP_CONFIG = TrainConfig(epochs=12, batch_size=4, input_size=(64, 96), learning_rate=1e-2, seed=1, threads=1,
                           widths=(8, 16, 24, 32, 48), ema_decay=0.8, augment="light", architecture="unet-lite")


def generated_samples(count: int, seed: int, group: str, size=(64, 96)) -> list[Sample]:
    images, masks = make_sequence(count=count, height=size[0], width=size[1], seed=seed)
    return [Sample(image=i, masks=m[None], group=group) for i, m in zip(images, masks, strict=True)]


@pytest.fixture(scope="session")
def lesion_data() -> tuple[list[Sample], list[Sample]]:
    """Generated lesion frames (uint8 64×96 RGB, one mask channel): two training sequences, one unseen."""
    train = generated_samples(8, 21, "a") + generated_samples(8, 22, "b")
    val = generated_samples(6, 23, "c")
    for sample in train + val:
        sample.findings = np.zeros(0, np.float32)
    return train, val


@pytest.fixture(scope="session")
def short_run(lesion_data) -> tuple[TrainResult, list[EpochMetrics]]:
    """A tiny Polyp network trained for a few seconds on the generated lesions, and each epoch's metrics."""
    train_samples, val_samples = lesion_data
    epochs: list[EpochMetrics] = []
    result = train(train_samples=train_samples, val_samples=val_samples, class_names=["Polyp"], config=POLYP_CONFIG,
                   on_epoch=lambda m: epochs.append(m) or True)
    return result, epochs


@pytest.fixture(scope="session")
def trained(short_run) -> TrainResult:
    return short_run[0]


@pytest.fixture
def model(trained, polyp) -> TrainedModel:
    """The tiny Polyp network stored as a model (checkpoint file and row)."""
    return store_model(run=None, result=trained, metrics={}, config=POLYP_CONFIG, name="tiny")
