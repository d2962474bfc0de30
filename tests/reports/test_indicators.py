"""The report's figures from given per-frame output, figure by figure (reports.indicators, no model)."""

from __future__ import annotations

import numpy as np
import pytest

from reports.indicators import Detection, Settings, hysteresis, lesion_tracks, procedure_report, runs, smooth

NAMES = ["Caecum", "Blur", "Out of body", "BBPS 0–1"]
KINDS = {"Caecum": "landmark", "Blur": "quality", "Out of body": "quality", "BBPS 0–1": "quality"}
FPS = 2.0


def procedure(count: int = 1000) -> np.ndarray:
    """Per frame probabilities at 2 frames/s: out of body 0-19, caecum 300-339 (with a one-frame flash at 100),
    blur 500-559, poor preparation 700-719, out of body again 980-999."""
    p = np.full((count, len(NAMES)), 0.02)
    p[:20, 2] = p[980:, 2] = 0.95
    p[300:340, 0] = 0.9
    p[100, 0] = 0.99  # one frame: not "reached"
    p[500:560, 1] = 0.8
    p[530, 1] = 0.2  # one dip inside the blurred stretch does not cut it in two
    p[700:720, 3] = 0.9
    return p


def test_smoothing_hysteresis_and_runs():
    assert smooth(np.array([0, 0, 3, 0, 0.0]), 3).tolist() == pytest.approx([0, 1, 1, 1, 0])
    assert hysteresis(np.array([0.2, 0.6, 0.4, 0.3, 0.6]), 0.5, 0.35).tolist() == [False, True, True, False, True]
    assert runs(np.array([0, 1, 1, 0, 1], bool)) == [(1, 2), (4, 4)]


def test_a_colonoscopy_report_figure_by_figure():
    report = procedure_report(probabilities=procedure(), names=NAMES, thresholds=[0.5] * 4, kinds=KINDS, fps=FPS,
                              procedure="colonoscopy", stations=["Caecum", "Rectum"])
    caecum = report["landmarks"]["Caecum"]
    assert caecum["reached"] and caecum["first_frame"] == 300 and caecum["seconds"] == 150.0
    assert len(caecum["stretches"]) == 1  # the one-frame flash at frame 100 was not a landmark reached
    indicators = report["indicators"]
    assert indicators["caecum"] == {"label": "Caecum reached", "reached": True, "first_frame": 300, "seconds": 150.0,
                                    "landmark": "Caecum"}
    # withdrawal: frame 300 to the last frame in the body (979): 680 frames at 2/s = 340 s, below 6 minutes
    withdrawal = indicators["withdrawal"]
    assert withdrawal["seconds"] == 340.0 and withdrawal["meets_minimum"] is False
    assert (withdrawal["first_frame"], withdrawal["last_frame"]) == (300, 979)
    assert indicators["blur"]["frames"] == 60 and indicators["blur"]["share"] == pytest.approx(60 / 960)
    assert indicators["blur"]["stretches"] == [{"first_frame": 500, "last_frame": 559}]
    assert indicators["preparation"]["frames"] == 20
    assert indicators["out_of_body"]["seconds"] == 20.0 and indicators["out_of_body"]["frames"] == 40
    assert indicators["stations"] == {"label": "Landmark stations seen", "seen": ["Caecum"], "of": ["Caecum"]}
    assert "bubbles" not in indicators  # the model does not recognise bubbles: no figure, not 0 %
    assert indicators["lesions"]["count"] == 0


def test_withdrawal_meets_the_minimum_when_long_enough_and_out_of_body_time_inside_is_not_counted():
    p = procedure(2000)
    p[980:, 2] = 0.02
    p[1980:, 2] = 0.95
    p[1200:1260, 2] = 0.95  # 30 s out of the body during the withdrawal
    report = procedure_report(probabilities=p, names=NAMES, thresholds=[0.5] * 4, kinds=KINDS, fps=FPS,
                              procedure="colonoscopy")
    assert report["indicators"]["withdrawal"]["seconds"] == (1980 - 300 - 60) / FPS
    assert report["indicators"]["withdrawal"]["meets_minimum"] is True


def test_gastroscopy_has_stations_and_no_caecum_or_withdrawal():
    names = ["Pylorus", "Z-line", "Blur"]
    p = np.full((200, 3), 0.1)
    p[50:80, 0] = 0.9
    report = procedure_report(probabilities=p, names=names, thresholds=[0.5] * 3,
                              kinds={"Pylorus": "landmark", "Z-line": "landmark", "Blur": "quality"}, fps=10,
                              procedure="gastroscopy", stations=["Z-line", "Pylorus", "Antrum"])
    assert "caecum" not in report["indicators"] and "withdrawal" not in report["indicators"]
    assert report["indicators"]["stations"]["seen"] == ["Pylorus"]
    assert report["indicators"]["stations"]["of"] == ["Z-line", "Pylorus"]  # Antrum: the model cannot tell


def box(x: int, y: int, size: int = 10) -> tuple[int, int, int, int]:
    return (x, y, x + size, y + size)


def test_lesions_are_tracks_of_overlapping_regions_across_frames():
    detections = [Detection(frame=f, tag="Polyp", box=box(10 + f, 10), area=100, share=0.01 * (1 + f % 5))
                  for f in range(10, 20)]
    detections += [Detection(frame=f, tag="Polyp", box=box(60, 60), area=100, share=0.02) for f in (12, 14, 17)]
    detections += [Detection(frame=f, tag="Polyp", box=box(10, 10), area=100, share=0.02) for f in range(40, 45)]
    detections += [Detection(frame=70, tag="Polyp", box=box(10, 10), area=100, share=0.5)]  # one frame: flicker
    lesions = lesion_tracks(detections, fps=10, settings=Settings(max_gap_frames=3))
    assert [(le.number, le.first_frame, le.last_frame, le.frames) for le in lesions] == [
        (1, 10, 19, 10), (2, 12, 17, 3), (3, 40, 44, 5)]
    assert lesions[0].largest_frame == 14 and lesions[0].largest_share == pytest.approx(0.05)
    assert lesions[0].first_seconds == 1.0
