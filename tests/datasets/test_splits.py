"""Splitting by sequence: disjoint, complete, reproducible, every asked-for side served."""

import pytest

from datasets.splits import split_by_sequence, split_counts


def test_counts_follow_fractions_and_serve_every_nonzero_side():
    assert split_counts(15, (0.7, 0.15, 0.15)) == [11, 2, 2]
    assert split_counts(3, (0.7, 0.15, 0.15)) == [1, 1, 1]
    assert split_counts(4, (1.0, 0.0, 0.0)) == [4, 0, 0]
    assert split_counts(1, (0.5, 0.5, 0.0)) == [1, 0, 0]  # one sequence cannot go to two sides


@pytest.mark.parametrize("fractions", [(0.5, 0.5, 0.5), (-0.1, 0.6, 0.5)])
def test_bad_fractions_are_refused(fractions):
    with pytest.raises(ValueError, match="sum to 1"):
        split_counts(10, fractions)


def test_split_is_disjoint_complete_and_reproducible():
    ids = list(range(100, 120))
    split = split_by_sequence(ids, fractions=(0.6, 0.2, 0.2), seed=7)
    sides = [set(v) for v in split.values()]
    assert set().union(*sides) == set(ids) and sum(len(s) for s in sides) == len(ids)
    assert [len(split[k]) for k in ("train", "val", "test")] == [12, 4, 4]
    assert split_by_sequence(list(reversed(ids)), fractions=(0.6, 0.2, 0.2), seed=7) == split
    assert split_by_sequence(ids, fractions=(0.6, 0.2, 0.2), seed=8) != split
