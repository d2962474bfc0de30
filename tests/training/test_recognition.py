"""Frame-level recognition maths: thresholds chosen on validation, exclusive groups, figures per class."""

from __future__ import annotations

import numpy as np
import pytest

from training.recognition import (
    choose_threshold,
    class_weights,
    decide,
    recognition_report,
    single_label_report,
)


def test_the_threshold_separates_positives_from_negatives_with_room_on_both_sides():
    scores = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    labels = np.array([0, 0, 0, 1, 1, 1], bool)
    assert choose_threshold(scores, labels) == pytest.approx(0.5)
    # a rare finding scored low by the network: the threshold follows it down, where F1 is best
    assert choose_threshold(np.array([0.01, 0.02, 0.08, 0.09]), np.array([0, 0, 1, 1], bool)) == pytest.approx(0.05)
    assert choose_threshold(scores, np.zeros(6, bool)) == 0.5  # nothing to choose from


def test_an_exclusive_group_shows_only_its_most_probable_member_above_threshold():
    names = ["BBPS 0–1", "BBPS 2–3", "Blur"]
    probabilities = np.array([[0.7, 0.8, 0.9], [0.7, 0.2, 0.1], [0.3, 0.35, 0.6]])
    groups = {"BBPS": ["BBPS 0–1", "BBPS 2–3"]}
    shown = decide(probabilities, names, [0.5, 0.5, 0.5], groups)
    assert shown.tolist() == [[False, True, True], [True, False, False], [False, False, True]]
    assert decide(probabilities, names, [0.5, 0.5, 0.5]).tolist()[0] == [True, True, True]  # without the group


def test_the_report_gives_auc_f1_support_and_the_confusion_of_a_group():
    names = ["BBPS 0–1", "BBPS 2–3", "Polyp"]
    labels = np.array([[1, 0, 0], [1, 0, 1], [0, 1, 0], [0, 1, 0], [0, 1, 1]], bool)
    probabilities = np.array([[0.9, 0.2, 0.1], [0.4, 0.6, 0.8], [0.1, 0.9, 0.2], [0.2, 0.7, 0.3], [0.3, 0.8, 0.9]])
    report = recognition_report(probabilities, labels, names, thresholds=[0.5, 0.5, 0.5],
                                groups={"BBPS": ["BBPS 0–1", "BBPS 2–3"]})
    assert report["per_class"]["Polyp"] == {"auc": 1.0, "f1": 1.0, "threshold": 0.5, "support": 2}
    assert report["per_class"]["BBPS 0–1"]["support"] == 2
    assert report["per_class"]["BBPS 0–1"]["f1"] == pytest.approx(2 / 3)  # frame 2 taken for BBPS 2–3
    assert report["confusion"]["BBPS"] == {"classes": ["BBPS 0–1", "BBPS 2–3"], "matrix": [[1, 1], [0, 3]],
                                           "frames": 5}
    assert report["macro_f1"] == pytest.approx(np.mean([2 / 3, 6 / 7, 1.0]))


def test_single_label_figures_take_the_most_probable_class():
    probabilities = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.5, 0.1, 0.4], [0.1, 0.1, 0.8]])
    report = single_label_report(probabilities, np.array([0, 1, 2, 2]), ["a", "b", "c"])
    assert report["accuracy"] == 0.75
    assert report["per_class"]["c"] == {"f1": pytest.approx(2 / 3), "auc": 1.0, "support": 2}
    assert report["confusion"]["matrix"] == [[1, 0, 0], [0, 1, 0], [1, 0, 1]]


def test_rare_classes_weigh_as_much_as_common_ones():
    labels = np.zeros((100, 3), bool)
    labels[:50, 0] = True
    labels[:5, 1] = True
    weights = class_weights(labels)
    assert weights.tolist() == pytest.approx([1.0, 19.0, 1.0])
