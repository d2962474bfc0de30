from __future__ import annotations

import numpy as np
import pytest

from sequences.synthetic import make_sequence
from tags.models import Tag
from training.trainer import Sample


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


@pytest.fixture
def polyp(db) -> Tag:
    return Tag.objects.get(name="Polyp")
