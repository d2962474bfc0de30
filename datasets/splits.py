"""Splitting a dataset by sequence: the frames of one procedure never land on two sides.

Framework-free. Neighbouring frames of one video are near-duplicates; a frame-level split would let the
validation score measure memory rather than generalisation, so whole sequences are assigned.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

SPLITS = ("train", "val", "test")


def split_counts(total: int, fractions: Sequence[float]) -> list[int]:
    """How many of ``total`` items each split gets: largest remainders, every non-zero split at least one.

    ``fractions`` are non-negative and sum to 1 (± 1e-6). When there are fewer items than non-zero
    splits, earlier splits (train first) are served first.
    """
    if any(f < 0 for f in fractions) or not math.isclose(sum(fractions), 1.0, abs_tol=1e-6):
        raise ValueError(f"Split fractions must be non-negative and sum to 1, got {list(fractions)}.")
    raw = [f * total for f in fractions]
    counts = [math.floor(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    # A split asked for (fraction > 0) but rounded to nothing takes one from the largest split.
    for i, fraction in enumerate(fractions):
        if fraction > 0 and counts[i] == 0:
            donor = max(range(len(counts)), key=lambda j: (counts[j], -j))
            if counts[donor] > 1:
                counts[donor] -= 1
                counts[i] += 1
    return counts


def split_by_sequence(
    sequence_ids: Sequence[int], *, fractions: Sequence[float] = (0.7, 0.15, 0.15), seed: int = 0
) -> dict[str, list[int]]:
    """Assign each sequence id to 'train', 'val' or 'test'; the same ids, fractions and seed give the same split.

    Ids are sorted before shuffling, so the order they are given in does not matter.
    """
    ids = sorted(set(sequence_ids))
    random.Random(seed).shuffle(ids)
    counts = split_counts(len(ids), fractions)
    result, start = {}, 0
    for name, count in zip(SPLITS, counts, strict=True):
        result[name] = sorted(ids[start: start + count])
        start += count
    return result


def cross_validation_folds(sequence_ids: Sequence[int], *, folds: int, seed: int = 0) -> list[dict[str, list[int]]]:
    """``folds`` splits in which every sequence is in 'val' exactly once and in 'train' otherwise ('test'
    empty): k-fold cross-validation by sequence. Fold sizes differ by at most one sequence.
    """
    ids = sorted(set(sequence_ids))
    if not 2 <= folds <= len(ids):
        raise ValueError(f"{folds} folds need from 2 up to {len(ids)} (one per sequence) folds.")
    random.Random(seed).shuffle(ids)
    groups = [sorted(ids[i::folds]) for i in range(folds)]
    return [{"train": sorted(set(ids) - set(group)), "val": group, "test": []} for group in groups]


def check_split(split: dict[str, list[int]], sequence_ids: Sequence[int]) -> None:
    """Raise ValueError unless ``split`` puts each of ``sequence_ids`` on exactly one side, train non-empty."""
    placed = [i for side in SPLITS for i in split.get(side, [])]
    if set(split) - set(SPLITS):
        raise ValueError(f"Unknown split side(s): {', '.join(sorted(set(split) - set(SPLITS)))}.")
    if len(placed) != len(set(placed)):
        raise ValueError("A sequence is on two sides of the split.")
    if set(placed) != set(sequence_ids):
        raise ValueError("The split must place every chosen sequence, and only those.")
    if not split.get("train"):
        raise ValueError("The train side of the split is empty.")


def split_warnings(split: dict[str, list[int]]) -> list[str]:
    """What a split lacks, in words for the export page and the export's manifest: no validation sequence (a
    training run then holds out frames of the training sequences instead, see :func:`frame_block_split`), no
    test sequence. Empty when every side has a sequence."""
    warnings = []
    counts = {side: len(split.get(side, [])) for side in SPLITS}
    total = sum(counts.values())
    if total == 1:
        warnings.append(
            "One sequence only: it is all in train, with no validation or test sequence. Training will take its "
            "validation frames from a contiguous block at the end of the sequence, so its validation score is "
            "measured on frames of a procedure it trained on (optimistic); export several sequences for a fair one."
        )
        return warnings
    if not counts["val"]:
        warnings.append(
            "No validation sequence: training will take its validation frames from a contiguous block at the end "
            "of each training sequence, so its validation score is measured on procedures it trained on "
            "(optimistic)."
        )
    if not counts["test"]:
        warnings.append("No test sequence: the trained model gets no test score.")
    return warnings


def frame_block_split(count: int, *, fraction: float = 0.15, gap_fraction: float = 0.05) -> tuple[list[int], list[int]]:
    """Positions 0 … ``count`` - 1 of one sequence's frames (in video order) split into (train, validation) when
    no other sequence can validate: validation is the last contiguous block of ``fraction`` of the frames, and the
    ``gap_fraction`` of frames just before it go to neither side.

    A block rather than frames drawn at random: neighbouring frames of a video are near-duplicates, and a
    validation frame whose neighbours were trained on would score memory. The gap keeps the block's first frames
    from being the twins of the last training frames. At least one validation frame and two training frames (batch
    normalisation needs two); fewer than three frames leave validation empty.
    """
    if count < 3:
        return list(range(count)), []
    validation = min(count - 2, max(1, round(count * fraction)))
    gap = max(0, min(round(count * gap_fraction), count - validation - 2))
    train_end = count - validation - gap
    return list(range(train_end)), list(range(count - validation, count))
