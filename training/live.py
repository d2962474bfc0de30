"""Online mode (framework-free: numpy, OpenCV, torch): play frames at a frame rate through a trained model.

For each frame: read it, predict, composite the masks in their tags' colours, JPEG-encode. ``play`` paces
frames to the sequence's rate and measures what is achieved; ``sse_event`` shapes one Server-Sent Event.
The live page's stream and the ``benchmark_live`` command both run this.
"""

from __future__ import annotations

import base64
import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .inference import Segmenter

FALLBACK_COLOR = (255, 0, 255)  # a tag the model outputs but the taxonomy no longer has


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """``"#RRGGBB"`` → (r, g, b)."""
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def read_rgb(path: str | Path, size: tuple[int, int] | None = None) -> np.ndarray:
    """The image at ``path`` as uint8 RGB (H, W, 3), resized to ``size`` = (W, H) when given."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"No readable image at {path}.")
    if size is not None and (image.shape[1], image.shape[0]) != tuple(size):
        image = cv2.resize(image, tuple(size), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def overlay(
    image: np.ndarray, masks: dict[str, np.ndarray], colors: dict[str, tuple[int, int, int]], *,
    threshold: float = 0.5, alpha: float = 0.45,
) -> np.ndarray:
    """uint8 RGB ``image`` (H, W, 3) with each tag's mask (probability (H, W) ≥ ``threshold``) blended in its
    colour and outlined; a new array, the input is left as it is."""
    out = image.copy()
    for name, probability in masks.items():
        mask = probability >= threshold
        if not mask.any():
            continue
        color = tuple(int(c) for c in colors.get(name, FALLBACK_COLOR))
        # Blending the whole frame with OpenCV and copying where the mask is: a constant few ms whatever the
        # mask's area, where numpy's fancy indexing takes ~30 ms on a 720×576 frame the mask covers.
        blended = cv2.addWeighted(out, 1 - alpha, np.full_like(out, color), alpha, 0)
        pixels = mask.view(np.uint8)
        out = cv2.copyTo(blended, pixels, out)
        contours, _ = cv2.findContours(pixels, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(out, contours, -1, color, 2)
    return out


def encode_jpeg(image: np.ndarray, quality: int = 80) -> bytes:
    """uint8 RGB (H, W, 3) → JPEG bytes."""
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed.")
    return data.tobytes()


@dataclass
class LiveFrame:
    """One processed frame: the overlaid JPEG, the findings' probabilities, the tags with a mask, the time
    read + predict + overlay + encode took, and the frame rate achieved over the last frames (0 at first)."""

    index: int
    jpeg: bytes
    findings: dict[str, float]
    tags: list[str]
    latency_ms: float
    fps: float = 0.0

    def to_json(self) -> dict:
        return {
            "index": self.index, "jpeg": base64.b64encode(self.jpeg).decode("ascii"),
            "findings": {name: round(p, 4) for name, p in self.findings.items()}, "tags": self.tags,
            "latency_ms": round(self.latency_ms, 1), "fps": round(self.fps, 2),
        }


class LivePipeline:
    """Read → predict → overlay → encode, one frame at a time, with a segmenter loaded once."""

    def __init__(self, segmenter: Segmenter, colors: dict[str, tuple[int, int, int]], *, threshold: float = 0.5,
                 quality: int = 80, size: tuple[int, int] | None = None):
        self.segmenter = segmenter
        self.colors = colors
        self.threshold = threshold
        self.quality = quality
        self.size = size  # (W, H) every frame is resized to, or None for the frames' own size

    def process(self, index: int, path: str | Path) -> LiveFrame:
        started = time.perf_counter()
        image = read_rgb(path, self.size)
        prediction = self.segmenter.predict(image)
        shown = overlay(image, prediction.masks, self.colors, threshold=self.threshold)
        jpeg = encode_jpeg(shown, self.quality)
        tags = [name for name, p in prediction.masks.items() if (p >= self.threshold).any()]
        return LiveFrame(index=index, jpeg=jpeg, findings=prediction.findings, tags=tags,
                         latency_ms=(time.perf_counter() - started) * 1000)


def play(
    pipeline: LivePipeline, frames: list[tuple[int, str | Path]], *, fps: float = 25.0, loop: bool = False,
    window: int = 25, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
) -> Iterator[LiveFrame]:
    """Process ``frames`` ((index, image path) in playing order) no faster than ``fps`` (0: as fast as
    possible), again from the start while ``loop``. Each frame's ``fps`` is the rate achieved over the last
    ``window`` frames. Closing the iterator (a client gone) stops it between frames."""
    if not frames:
        return
    interval = 1.0 / fps if fps > 0 else 0.0
    sent: deque[float] = deque(maxlen=window)
    due = clock()
    while True:
        for index, path in frames:
            if interval:
                wait = due - clock()
                if wait > 0:
                    sleep(wait)
                # Behind schedule (a slow frame), the next frame is due one interval from now: no burst.
                due = max(due, clock()) + interval
            frame = pipeline.process(index, path)
            sent.append(clock())
            if len(sent) > 1 and sent[-1] > sent[0]:
                frame.fps = (len(sent) - 1) / (sent[-1] - sent[0])
            yield frame
        if not loop:
            return


def sse_event(data: dict, event: str | None = None) -> bytes:
    """One Server-Sent Event carrying ``data`` as JSON."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def sse_stream(frames: Iterable[LiveFrame]) -> Iterator[bytes]:
    """The events of a live stream: one per frame, then an ``end`` event when the frames run out."""
    for frame in frames:
        yield sse_event(frame.to_json())
    yield sse_event({}, event="end")
