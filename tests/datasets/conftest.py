from __future__ import annotations

import pytest

from tags.models import Tag
from tests.datasets.factories import annotated_sequence


@pytest.fixture
def ulcer(db) -> Tag:
    return Tag.objects.get(name="Ulcer")


@pytest.fixture
def annotated(polyp, ulcer, user):
    """Five small sequences with polyp masks; sequence 0 also has an ulcer mask overlapping its polyp,
    and frame 3 of every sequence has a propagated (not manual) polyp mask."""
    return [
        annotated_sequence(f"seq-{i}", seed=10 + i, tag=polyp, second_tag=ulcer if i == 0 else None,
                           propagated_on=(3,), user=user)[0]
        for i in range(5)
    ]
