"""Splitting by sequence: disjoint, complete, reproducible, every asked-for side served."""

import pytest

from datasets.splits import cross_validation_folds, split_by_sequence, split_counts


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


def test_cross_validation_folds_put_every_sequence_in_validation_exactly_once():
    ids = list(range(100, 115))
    folds = cross_validation_folds(ids, folds=4, seed=3)
    assert sorted(i for fold in folds for i in fold["val"]) == ids
    assert sorted(len(fold["val"]) for fold in folds) == [3, 4, 4, 4]
    for fold in folds:
        assert sorted(fold["train"] + fold["val"]) == ids and fold["test"] == []
    assert cross_validation_folds(list(reversed(ids)), folds=4, seed=3) == folds
    for folds_asked in (1, 16):
        with pytest.raises(ValueError, match="folds"):
            cross_validation_folds(ids, folds=folds_asked)
