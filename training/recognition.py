"""Frame-level recognition from a classifier's probabilities: thresholds, decisions, and how well it did.

Framework-free (numpy). Conventions: ``probabilities`` float (N, K), one column per finding in the order of
``names``; ``labels`` bool (N, K), a frame may show several findings (multi-label). ``groups`` maps an exclusive
group's name to its member findings (``tags.taxonomy.EXCLUSIVE_GROUPS``): a frame shows at most one of them, so
among them only the most probable one above its threshold is said to be shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

DEFAULT_THRESHOLD = 0.5


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """Area under the ROC curve (the probability that a random positive scores above a random negative, ties
    counting half); None when one class is absent."""
    labels = labels.astype(bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if not positives or not negatives:
        return None
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    for start, count in zip(first, counts, strict=True):
        ranks[order[start:start + count]] = start + (count + 1) / 2
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def f1_score(predicted: np.ndarray, labels: np.ndarray) -> float:
    """F1 of bool predictions against bool labels; 1 where both have no positive."""
    true_positive = int((predicted & labels).sum())
    total = int(predicted.sum()) + int(labels.sum())
    return 1.0 if total == 0 else 2.0 * true_positive / total


def choose_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The threshold on ``scores`` (N,) maximising F1 against bool ``labels`` (N,), halfway between the lowest
    score taken and the next one below (room on both sides for unseen frames); of equal F1, the highest. 0.5
    without a positive or without a negative (nothing to choose from)."""
    labels = np.asarray(labels, bool)
    if not labels.any() or labels.all():
        return DEFAULT_THRESHOLD
    values, inverse = np.unique(np.asarray(scores, np.float64), return_inverse=True)
    positives = np.bincount(inverse, weights=labels, minlength=len(values))[::-1]  # highest score first
    counts = np.bincount(inverse, minlength=len(values))[::-1]
    true_positive, taken = np.cumsum(positives), np.cumsum(counts)
    f1 = 2 * true_positive / (taken + labels.sum())
    best = int(np.argmax(f1))  # the first maximum: the highest threshold of that F1
    descending = values[::-1]
    lowest_taken = descending[best]
    below = descending[best + 1] if best + 1 < len(descending) else lowest_taken - 1e-3
    return float(min(max((lowest_taken + below) / 2, 1e-4), 1 - 1e-4))


def choose_thresholds(probabilities: np.ndarray, labels: np.ndarray) -> list[float]:
    """One threshold per column (see :func:`choose_threshold`)."""
    return [choose_threshold(probabilities[:, k], labels[:, k]) for k in range(probabilities.shape[1])]


def decide(
    probabilities: np.ndarray, names: Sequence[str], thresholds: Sequence[float] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> np.ndarray:
    """Bool (N, K): which findings each frame is said to show. A finding is shown at or above its threshold
    (0.5 without thresholds); within an exclusive group only the most probable such member."""
    probabilities = np.atleast_2d(np.asarray(probabilities, np.float64))
    limits = np.asarray(thresholds if thresholds else [DEFAULT_THRESHOLD] * len(names), np.float64)
    shown = probabilities >= limits[None, :]
    column = {name: k for k, name in enumerate(names)}
    for members in (groups or {}).values():
        columns = [column[m] for m in members if m in column]
        if len(columns) < 2:
            continue
        block = probabilities[:, columns]
        winner = np.zeros_like(block, bool)
        winner[np.arange(len(block)), block.argmax(axis=1)] = True
        shown[:, columns] &= winner
    return shown


def confusion(
    probabilities: np.ndarray, labels: np.ndarray, names: Sequence[str], members: Sequence[str],
) -> dict:
    """The confusion among one exclusive group's ``members``: rows the true member, columns the most
    probable member, over the frames labelled with exactly one of them. {"classes", "matrix", "frames"}."""
    columns = [names.index(m) for m in members if m in names]
    classes = [names[c] for c in columns]
    matrix = np.zeros((len(columns), len(columns)), int)
    truth = labels[:, columns]
    single = truth.sum(axis=1) == 1
    if columns:
        predicted = probabilities[single][:, columns].argmax(axis=1)
        actual = truth[single].argmax(axis=1)
        np.add.at(matrix, (actual, predicted), 1)
    return {"classes": classes, "matrix": matrix.tolist(), "frames": int(single.sum())}


def recognition_report(
    probabilities: np.ndarray, labels: np.ndarray, names: Sequence[str], *,
    thresholds: Sequence[float] | None = None, groups: Mapping[str, Sequence[str]] | None = None,
) -> dict:
    """How well ``probabilities`` recognise ``labels``: per finding its ROC AUC (None without a positive or a
    negative), F1 at its threshold (exclusive groups applied, see :func:`decide`), threshold and ``support``
    (positives); their means over findings (``macro_auc`` over those with an AUC); and per exclusive group with
    at least two members among ``names``, the confusion of its members (:func:`confusion`)."""
    probabilities = np.asarray(probabilities, np.float64).reshape(len(labels), len(names))
    labels = np.asarray(labels, bool).reshape(len(labels), len(names))
    limits = list(thresholds) if thresholds else [DEFAULT_THRESHOLD] * len(names)
    shown = decide(probabilities, names, limits, groups)
    per_class = {}
    for k, name in enumerate(names):
        per_class[name] = {"auc": roc_auc(probabilities[:, k], labels[:, k]), "f1": f1_score(shown[:, k], labels[:, k]),
                           "threshold": round(float(limits[k]), 4), "support": int(labels[:, k].sum())}
    aucs = [v["auc"] for v in per_class.values() if v["auc"] is not None]
    report = {
        "frames": len(labels), "per_class": per_class,
        "macro_auc": float(np.mean(aucs)) if aucs else None,
        "macro_f1": float(np.mean([v["f1"] for v in per_class.values()])) if per_class else None,
        "confusion": {},
    }
    for group, members in (groups or {}).items():
        if sum(m in names for m in members) >= 2:
            report["confusion"][group] = confusion(probabilities, labels, list(names), members)
    return report


def single_label_report(probabilities: np.ndarray, truth: np.ndarray, names: Sequence[str]) -> dict:
    """For frames each of exactly one class (a folder-per-class set): the predicted class is the most probable
    one. Per class F1 of that prediction, one-vs-rest ROC AUC of its probability and ``support``; their macro
    means; ``accuracy``; the confusion matrix (rows the true class, columns the predicted)."""
    probabilities = np.asarray(probabilities, np.float64)
    truth = np.asarray(truth, int)
    predicted = probabilities.argmax(axis=1)
    per_class = {}
    for k, name in enumerate(names):
        per_class[name] = {"f1": f1_score(predicted == k, truth == k), "auc": roc_auc(probabilities[:, k], truth == k),
                           "support": int((truth == k).sum())}
    matrix = np.zeros((len(names), len(names)), int)
    np.add.at(matrix, (truth, predicted), 1)
    aucs = [v["auc"] for v in per_class.values() if v["auc"] is not None]
    return {
        "macro_f1": float(np.mean([v["f1"] for v in per_class.values()])),
        "macro_auc": float(np.mean(aucs)) if aucs else None,
        "accuracy": float((predicted == truth).mean()) if len(truth) else None,
        "per_class": per_class, "confusion": {"classes": list(names), "matrix": matrix.tolist()},
    }


def class_weights(labels: np.ndarray, *, limit: float = 20.0) -> np.ndarray:
    """Per column of bool ``labels`` (N, K), the weight of its positives in a binary cross-entropy: negatives /
    positives, so that a rare finding's few examples weigh as much as the frames without it (capped at
    ``limit``; 1 for a column without positives)."""
    labels = np.asarray(labels, bool)
    positives = labels.sum(axis=0).astype(np.float64)
    negatives = len(labels) - positives
    weights = np.where(positives > 0, negatives / np.maximum(positives, 1), 1.0)
    return np.clip(weights, 1.0 / limit, limit).astype(np.float32)
