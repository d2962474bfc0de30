"""The procedure report's figures from a model's per-frame output (framework-free: numpy, and OpenCV for the
connected regions of a mask).

Inputs, for a procedure of N frames played at ``fps``:

- ``probabilities`` float (N, K): per frame, the model's probability of each frame-level finding ``names[k]``;
  ``thresholds`` (K,) the probability at which the model says a finding is shown (chosen on its validation
  frames); ``kinds`` the tag kind of each name ("landmark", "quality", "pathology");
- ``detections``: per frame, the lesions the model's masks show there (:class:`Detection`: tag, bounding box,
  area), for the lesion tracks.

Method:

- **Timeline**: each finding's probability is smoothed over time (a centred moving average of ``smooth_seconds``),
  then read with hysteresis: a finding starts when the smoothed probability reaches its threshold and ends when it
  falls below ``release`` × the threshold; a stretch counts only if it lasts ``min_seconds`` or more (a landmark
  is *reached* when seen steadily, not on one frame). A stretch's confidence is its mean smoothed probability.
- **Lesions**: detections of one tag in frames at most ``max_gap_frames`` apart whose boxes overlap (IoU ≥
  ``min_iou``, or one box's centre inside the other) are one lesion (a track); a track seen on fewer than
  ``min_track_frames`` frames is dropped as a flicker. Per lesion: first and last frame, the frame of its largest
  extent and that extent (share of the frame).
- **Quality indicators**: shares of frames inside blur / bubbles / poor-preparation stretches (over the frames in
  the body), time out of body; for a colonoscopy, caecum reached (a caecal landmark's first steady stretch) and
  the withdrawal time from then to the last frame in the body, against the usual 6-minute minimum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from vision.metrics import box_iou

#: Landmarks proving the caecum was reached (ESGE: photo-documentation of the caecum, appendiceal orifice or
#: ileocaecal valve; the terminal ileum lies beyond it).
CAECAL_LANDMARKS = ("Caecum", "Ileocaecal valve", "Appendiceal orifice", "Terminal ileum")
BLUR = ("Blur",)
BUBBLES = ("Bubbles",)
POOR_PREPARATION = ("Poor preparation", "BBPS 0–1", "Impacted stool")
OUT_OF_BODY = ("Out of body",)
MIN_WITHDRAWAL_SECONDS = 6 * 60  # ESGE / ASGE: a mean withdrawal time of at least 6 minutes

#: The indicators each procedure has (all: those of every procedure).
INDICATORS = {
    "colonoscopy": ("caecum", "withdrawal", "preparation", "blur", "bubbles", "out_of_body", "lesions", "stations"),
    "gastroscopy": ("stations", "blur", "bubbles", "out_of_body", "lesions"),
    "bronchoscopy": ("stations", "blur", "bubbles", "out_of_body", "lesions"),
    "eus": ("stations", "blur", "out_of_body", "lesions"),
    "other": ("blur", "bubbles", "out_of_body", "lesions"),
}


@dataclass(frozen=True)
class Settings:
    smooth_seconds: float = 1.0
    min_seconds: float = 1.0
    release: float = 0.7  # a stretch ends below release × threshold: one dip does not cut it in two
    max_gap_frames: int = 5
    min_iou: float = 0.1
    min_track_frames: int = 3


@dataclass(frozen=True)
class Detection:
    """One connected region of a lesion tag's mask in one frame: box (x0, y0, x1, y1) in pixels, x1/y1
    excluded, ``area`` in pixels, ``share`` of the frame's pixels."""

    frame: int
    tag: str
    box: tuple[int, int, int, int]
    area: int
    share: float


@dataclass
class Stretch:
    name: str
    first_frame: int
    last_frame: int
    start_seconds: float
    end_seconds: float
    confidence: float


@dataclass
class Lesion:
    number: int
    tag: str
    first_frame: int
    last_frame: int
    first_seconds: float
    frames: int
    largest_frame: int
    largest_share: float
    largest_box: tuple[int, int, int, int]
    frame_list: list[int] = field(default_factory=list)


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average of (N,) or (N, K) ``values`` over ``window`` frames (shorter at the ends)."""
    values = np.asarray(values, np.float64)
    if window <= 1 or len(values) == 0:
        return values.copy()
    kernel = np.ones(window)
    pad = window // 2
    flat = values.reshape(len(values), -1)
    out = np.empty_like(flat)
    for k in range(flat.shape[1]):
        total = np.convolve(np.pad(flat[:, k], (pad, window - 1 - pad)), kernel, mode="valid")
        count = np.convolve(np.pad(np.ones(len(flat)), (pad, window - 1 - pad)), kernel, mode="valid")
        out[:, k] = total / count
    return out.reshape(values.shape)


def hysteresis(values: np.ndarray, high: float, low: float) -> np.ndarray:
    """Bool (N,): on from a value ≥ ``high`` until a value < ``low``."""
    on = np.zeros(len(values), bool)
    state = False
    for i, value in enumerate(values):
        state = value >= high if not state else value >= low
        on[i] = state
    return on


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True in ``flags``."""
    padded = np.concatenate([[False], np.asarray(flags, bool), [False]])
    changes = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b) - 1) for a, b in zip(changes[::2], changes[1::2], strict=True)]


def timeline(probabilities: np.ndarray, names: Sequence[str], thresholds: Sequence[float], fps: float,
             settings: Settings = Settings()) -> tuple[list[Stretch], np.ndarray]:
    """The steady stretches of every finding (see the module docstring) and the smoothed probabilities."""
    probabilities = np.asarray(probabilities, np.float64).reshape(len(probabilities), len(names))
    # An odd window, centred on its frame: a one-frame flash is averaged with as many frames before as after.
    smoothed = smooth(probabilities, 2 * round(settings.smooth_seconds * fps / 2) + 1)
    min_frames = max(1, round(settings.min_seconds * fps))
    stretches = []
    for k, name in enumerate(names):
        on = hysteresis(smoothed[:, k], thresholds[k], thresholds[k] * settings.release)
        for first, last in runs(on):
            if last - first + 1 >= min_frames:
                stretches.append(Stretch(name=name, first_frame=first, last_frame=last, start_seconds=first / fps,
                                         end_seconds=(last + 1) / fps,
                                         confidence=float(smoothed[first:last + 1, k].mean())))
    stretches.sort(key=lambda s: (s.first_frame, s.name))
    return stretches, smoothed


def _centre_inside(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    cx, cy = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
    return b[0] <= cx < b[2] and b[1] <= cy < b[3]


def lesion_tracks(detections: Sequence[Detection], fps: float, settings: Settings = Settings()) -> list[Lesion]:
    """Distinct lesions: detections linked across frames (see the module docstring), numbered from 1 in the
    order they were first seen."""
    open_tracks: list[list[Detection]] = []
    done: list[list[Detection]] = []
    for detection in sorted(detections, key=lambda d: (d.frame, d.tag, d.box)):
        still_open = []
        for track in open_tracks:
            (done if detection.frame - track[-1].frame > settings.max_gap_frames else still_open).append(track)
        open_tracks = still_open
        best, best_score = None, 0.0
        for track in open_tracks:
            last = track[-1]
            if last.tag != detection.tag or last.frame == detection.frame:
                continue
            score = box_iou(last.box, detection.box)
            if score < settings.min_iou and (_centre_inside(detection.box, last.box)
                                             or _centre_inside(last.box, detection.box)):
                score = settings.min_iou
            if score >= settings.min_iou and score > best_score:
                best, best_score = track, score
        if best is None:
            open_tracks.append([detection])
        else:
            best.append(detection)
    done += open_tracks
    lesions = []
    for track in sorted(done, key=lambda t: (t[0].frame, t[0].box)):
        frames = sorted({d.frame for d in track})
        if len(frames) < settings.min_track_frames:
            continue
        largest = max(track, key=lambda d: (d.share, -d.frame))
        lesions.append(Lesion(
            number=len(lesions) + 1, tag=track[0].tag, first_frame=frames[0], last_frame=frames[-1],
            first_seconds=frames[0] / fps, frames=len(frames), largest_frame=largest.frame,
            largest_share=largest.share, largest_box=largest.box, frame_list=frames,
        ))
    return lesions


def _covered(stretches: Sequence[Stretch], names: Sequence[str], count: int) -> np.ndarray:
    covered = np.zeros(count, bool)
    for stretch in stretches:
        if stretch.name in names:
            covered[stretch.first_frame:stretch.last_frame + 1] = True
    return covered


def procedure_report(
    *, probabilities: np.ndarray, names: Sequence[str], thresholds: Sequence[float], kinds: Mapping[str, str],
    fps: float, procedure: str, detections: Sequence[Detection] = (), stations: Sequence[str] = (),
    settings: Settings = Settings(),
) -> dict:
    """Every figure of the report (a JSON-ready dict): ``timeline`` (steady stretches), ``landmarks`` (each
    reached or not, when, confidence), ``lesions``, ``indicators`` (those the ``procedure`` has, see
    :data:`INDICATORS`; each with its value and the frames behind it) and what it was computed from.
    ``stations``: the procedure's landmark stations (its landmark tags) to tick off."""
    probabilities = np.asarray(probabilities, np.float64).reshape(len(probabilities), len(names))
    count = len(probabilities)
    if fps <= 0:
        raise ValueError(f"fps must be above 0, got {fps}.")
    stretches, _ = timeline(probabilities, names, thresholds, fps, settings)
    lesions = lesion_tracks(detections, fps, settings)
    applies = INDICATORS.get(procedure, INDICATORS["other"])
    out_of_body = _covered(stretches, OUT_OF_BODY, count)
    in_body = ~out_of_body
    in_body_frames = int(in_body.sum())
    indicators: dict[str, dict] = {}

    def share(group: Sequence[str], key: str, label: str) -> None:
        if key not in applies or not any(n in names for n in group):
            return  # the model does not recognise it: no figure rather than a false 0 %
        covered = _covered(stretches, group, count) & in_body
        indicators[key] = {"label": label, "share": float(covered.sum() / in_body_frames) if in_body_frames else 0.0,
                           "frames": int(covered.sum()), "stretches": [
                               {"first_frame": a, "last_frame": b} for a, b in runs(covered)]}

    share(BLUR, "blur", "Frames blurred")
    share(BUBBLES, "bubbles", "Frames with bubbles")
    share(POOR_PREPARATION, "preparation", "Frames poorly prepared")
    if "out_of_body" in applies and any(n in names for n in OUT_OF_BODY):
        indicators["out_of_body"] = {"label": "Time out of body", "seconds": float(out_of_body.sum() / fps),
                                     "frames": int(out_of_body.sum()), "stretches": [
                                         {"first_frame": a, "last_frame": b} for a, b in runs(out_of_body)]}
    landmarks = {}
    for name in names:
        if kinds.get(name) != "landmark":
            continue
        seen = [s for s in stretches if s.name == name]
        landmarks[name] = {
            "reached": bool(seen), "first_frame": seen[0].first_frame if seen else None,
            "seconds": seen[0].start_seconds if seen else None,
            "confidence": max(s.confidence for s in seen) if seen else None,
            "stretches": [{"first_frame": s.first_frame, "last_frame": s.last_frame} for s in seen],
        }
    caecal = [n for n in CAECAL_LANDMARKS if n in names]
    if "caecum" in applies and caecal:
        reached = [s for s in stretches if s.name in caecal]
        first = min(reached, key=lambda s: s.first_frame) if reached else None
        indicators["caecum"] = {"label": "Caecum reached", "reached": first is not None,
                                "first_frame": first.first_frame if first else None,
                                "seconds": first.start_seconds if first else None,
                                "landmark": first.name if first else None}
        if "withdrawal" in applies:
            last_in_body = int(np.flatnonzero(in_body)[-1]) if in_body.any() else None
            withdrawal = None
            if first is not None and last_in_body is not None and last_in_body >= first.first_frame:
                # from the caecum to the last frame in the body, time out of body in between not counted
                inside = in_body[first.first_frame:last_in_body + 1]
                withdrawal = float(inside.sum() / fps)
            indicators["withdrawal"] = {
                "label": "Withdrawal time", "seconds": withdrawal, "minimum_seconds": MIN_WITHDRAWAL_SECONDS,
                "meets_minimum": None if withdrawal is None else withdrawal >= MIN_WITHDRAWAL_SECONDS,
                "first_frame": first.first_frame if first else None, "last_frame": last_in_body,
            }
    if "stations" in applies and stations:
        recognised = [s for s in stations if s in names]
        if recognised:
            indicators["stations"] = {"label": "Landmark stations seen", "seen": [
                s for s in recognised if landmarks.get(s, {}).get("reached")], "of": recognised}
    if "lesions" in applies:
        indicators["lesions"] = {"label": "Lesions", "count": len(lesions)}
    return {
        "procedure": procedure, "fps": fps, "frames": count, "seconds": count / fps,
        "names": list(names), "thresholds": [float(t) for t in thresholds],
        "settings": asdict(settings),
        "timeline": [asdict(s) for s in stretches],
        "landmarks": landmarks,
        "lesions": [asdict(lesion) for lesion in lesions],
        "indicators": indicators,
    }


def detections_of(mask: np.ndarray, frame: int, tag: str, *, min_pixels: int = 16) -> list[Detection]:
    """The connected regions of bool ``mask`` (H, W) of at least ``min_pixels`` pixels as detections."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    total = mask.shape[0] * mask.shape[1]
    out = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if area >= min_pixels:
            out.append(Detection(frame=frame, tag=tag, box=(x, y, x + w, y + h), area=area, share=area / total))
    return out


def summary(report: dict) -> dict:
    """What the live page shows as a procedure goes on: each indicator's label and value as text-ready figures,
    the landmarks reached (in the order they were), and the lesion count."""
    indicators = []
    for key, item in report["indicators"].items():
        entry = {"key": key, "label": item["label"]}
        if "share" in item:
            entry["share"] = round(item["share"], 4)
        if "seconds" in item:
            entry["seconds"] = None if item["seconds"] is None else round(item["seconds"], 1)
        for field_name in ("reached", "meets_minimum", "minimum_seconds", "count", "landmark"):
            if field_name in item:
                entry[field_name] = item[field_name]
        if key == "stations":
            entry["seen"], entry["of"] = len(item["seen"]), len(item["of"])
        indicators.append(entry)
    reached = sorted((v["first_frame"], name) for name, v in report["landmarks"].items() if v["reached"])
    return {"frames": report["frames"], "seconds": round(report["seconds"], 1), "indicators": indicators,
            "landmarks": [name for _, name in reached], "lesions": len(report["lesions"])}
