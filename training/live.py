"""Online mode (framework-free: numpy, OpenCV, torch): play frames at a frame rate through a trained model.

A frame source (stored images, :class:`ImageFiles`, or a video decoded as it plays, :class:`VideoFile`) gives
each frame; the pipeline predicts, composites the masks in their tags' colours and JPEG-encodes. ``play``
paces frames to the source's rate and measures what is achieved; ``sse_event`` shapes one Server-Sent Event;
:class:`StreamSlots` counts the streams a process plays. The live page's stream and the ``benchmark_live``
command both run this.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from reports.recording import Recorder
from sequences.sources import FrameTooLarge, check_frame_size, video_fps
from vision.io import encode_rgb, read_rgb

from .inference import TrainedNetwork

FALLBACK_COLOR = (255, 0, 255)  # a tag the model outputs but the taxonomy no longer has


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """``"#RRGGBB"`` → (r, g, b)."""
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


class FrameSource(Protocol):
    """Frames to play. Each call of ``frames`` starts again from the first frame and reads (or decodes) each
    frame only when it is asked for: (index, uint8 RGB (H, W, 3)) in playing order."""

    def frames(self) -> Iterator[tuple[int, np.ndarray]]: ...


@dataclass(frozen=True)
class ImageFiles:
    """Stored frames: ``paths`` are (index, image path) in playing order."""

    paths: list[tuple[int, str | Path]]

    def frames(self) -> Iterator[tuple[int, np.ndarray]]:
        for index, path in self.paths:
            yield index, read_rgb(path)


class VideoError(ValueError):
    """A file OpenCV cannot open as a video, or of which no frame decodes; ``reason`` says which."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path.name}: {reason}.")
        self.reason = reason


@dataclass(frozen=True)
class VideoFile:
    """A video file decoded frame by frame as it plays; a frame's index is its position in the file."""

    path: Path

    def frames(self) -> Iterator[tuple[int, np.ndarray]]:
        capture = cv2.VideoCapture(str(self.path))
        try:
            if not capture.isOpened():
                raise VideoError(self.path, "OpenCV cannot open it as a video")
            index = 0
            while True:
                ok, image = capture.read()
                if not ok:
                    return
                yield index, cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
                index += 1
        finally:
            capture.release()


MAX_VIDEO_FPS = 240.0  # above this a container's rate is a time base, not a frame rate (some state 1000)


@dataclass(frozen=True)
class VideoInfo:
    """What a video file states and its first frame shows: frame rate (None: not stated), frame count (0: not
    stated), and the frames' size in pixels."""

    fps: float | None
    frame_count: int
    width: int
    height: int


def probe_video(path: Path, *, max_pixels: int) -> VideoInfo:
    """Open ``path`` with OpenCV and decode its first frame; VideoError when either fails, or when its frames
    have more than ``max_pixels`` pixels (the size it declares is checked before a frame is decoded)."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise VideoError(path, "OpenCV cannot open it as a video")
        try:
            check_frame_size(
                int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)), max_pixels
            )
            ok, image = capture.read()
            if ok and image is not None:
                check_frame_size(image.shape[1], image.shape[0], max_pixels)
        except FrameTooLarge as exc:
            raise VideoError(path, f"its frames are {exc}") from exc
        if not ok or image is None:
            raise VideoError(path, "no frame of it can be decoded")
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()
    fps = video_fps(path)
    return VideoInfo(fps=fps if fps and fps <= MAX_VIDEO_FPS else None, frame_count=max(count, 0),
                     width=image.shape[1], height=image.shape[0])


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


@dataclass
class LiveFrame:
    """One processed frame: the overlaid JPEG, the findings' probabilities, the tags with a mask, the time
    read (or decode) + predict + overlay + encode took, and the frame rate achieved over the last frames (0 at
    first)."""

    index: int
    jpeg: bytes
    findings: dict[str, float]
    tags: list[str]
    latency_ms: float
    fps: float = 0.0
    report: dict | None = None  # the procedure's indicators so far (every so many frames, see LivePipeline)

    def to_json(self) -> dict:
        data = {
            "index": self.index, "jpeg": base64.b64encode(self.jpeg).decode("ascii"),
            "findings": {name: round(p, 4) for name, p in self.findings.items()}, "tags": self.tags,
            "latency_ms": round(self.latency_ms, 1), "fps": round(self.fps, 2),
        }
        if self.report is not None:
            data["report"] = self.report
        return data


class LivePipeline:
    """Predict → overlay → encode, one frame at a time, with a segmenter loaded once.

    With a ``recorder`` (:class:`reports.recording.Recorder`), each frame's prediction is also recorded for the
    procedure report (the first pass only: a loop's later passes, whose frame indices start again, are not),
    and every ``summary_every`` recorded frames ``summarise()`` gives the indicators so far to the frame.
    """

    def __init__(self, segmenter: TrainedNetwork, colors: dict[str, tuple[int, int, int]], *, threshold: float = 0.5,
                 quality: int = 80, size: tuple[int, int] | None = None, recorder: Recorder | None = None,
                 summarise: Callable[[], dict] | None = None, summary_every: int = 25):
        self.segmenter = segmenter
        self.colors = colors
        self.threshold = threshold
        self.quality = quality
        self.size = size  # (W, H) every frame is resized to, or None for the frames' own size
        self.recorder = recorder
        self.summarise = summarise
        self.summary_every = max(1, summary_every)

    def process(self, index: int, image: np.ndarray) -> LiveFrame:
        """The frame ``index``, uint8 RGB (H, W, 3), overlaid and encoded; ``latency_ms`` is this call's time."""
        started = time.perf_counter()
        if self.size is not None and (image.shape[1], image.shape[0]) != tuple(self.size):
            image = cv2.resize(image, tuple(self.size), interpolation=cv2.INTER_AREA)
        prediction = self.segmenter.predict(image)
        shown = overlay(image, prediction.masks, self.colors, threshold=self.threshold)
        jpeg = encode_rgb(shown, ".jpg", self.quality)
        tags = [name for name, p in prediction.masks.items() if (p >= self.threshold).any()]
        report = None
        recorder = self.recorder
        if recorder is not None and (not recorder.frame_indices or index > recorder.frame_indices[-1]):
            recorder.add(findings=prediction.findings, masks=prediction.masks, frame_index=index, image=image)
            if self.summarise is not None and len(recorder.frame_indices) % self.summary_every == 1:
                report = self.summarise()
        return LiveFrame(index=index, jpeg=jpeg, findings=prediction.findings, tags=tags,
                         latency_ms=(time.perf_counter() - started) * 1000, report=report)


def play(
    pipeline: LivePipeline, source: FrameSource, *, fps: float = 25.0, loop: bool = False, window: int = 25,
    clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
) -> Iterator[LiveFrame]:
    """Process the frames of ``source`` no faster than ``fps`` (0: as fast as possible), again from the start
    while ``loop``. A frame's latency is its fetch (reading or decoding) and processing, not its wait for its
    turn; its ``fps`` is the rate achieved over the last ``window`` frames. Closing the iterator (a client
    gone) stops it between frames and closes the source (a video's decoder)."""
    interval = 1.0 / fps if fps > 0 else 0.0
    sent: deque[float] = deque(maxlen=window)
    due = clock()
    while True:
        played = 0
        with closing(source.frames()) as frames:
            while True:
                fetching = time.perf_counter()
                item = next(frames, None)
                if item is None:
                    break
                fetch_ms = (time.perf_counter() - fetching) * 1000
                if interval:
                    wait = due - clock()
                    if wait > 0:
                        sleep(wait)
                    # Behind schedule (a slow frame), the next frame is due one interval from now: no burst.
                    due = max(due, clock()) + interval
                frame = pipeline.process(*item)
                frame.latency_ms += fetch_ms
                sent.append(clock())
                if len(sent) > 1 and sent[-1] > sent[0]:
                    frame.fps = (len(sent) - 1) / (sent[-1] - sent[0])
                yield frame
                played += 1
        if not loop or not played:
            return


def sse_event(data: dict, event: str | None = None) -> bytes:
    """One Server-Sent Event carrying ``data`` as JSON."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def sse_stream(frames: Iterable[LiveFrame], *, finish: Callable[[], dict] | None = None) -> Iterator[bytes]:
    """The events of a live stream: one per frame, then an ``end`` event when the frames run out, carrying what
    ``finish()`` answers (it saves the procedure report). Closing the stream closes ``frames`` at once (a video's
    decoder), not whenever they are garbage-collected, and calls ``finish`` if the frames had not run out (a
    stream stopped is a procedure ended too); ``finish`` must then be safe to call once more."""
    ended = False
    try:
        for frame in frames:
            yield sse_event(frame.to_json())
        ended = True
        yield sse_event(finish() if finish is not None else {}, event="end")
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()
        if not ended and finish is not None:
            finish()


class StreamSlots:
    """The live streams one process plays at once (each keeps a CPU core busy), at most a limit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0

    @property
    def active(self) -> int:
        return self._active

    def take(self, limit: int) -> bool:
        """Count one more stream, unless ``limit`` are playing already (then False)."""
        with self._lock:
            if self._active >= limit:
                return False
            self._active += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self._active = max(0, self._active - 1)


class HeldStream:
    """The iterator ``events`` holding a stream slot, which ``release`` gives back exactly once: when the
    events run out or fail, or when the stream is closed — as a WSGI server closes the response when the
    client goes away, and even before the first event (a generator's ``finally`` would not run then)."""

    def __init__(self, events: Iterator[bytes], release: Callable[[], None]):
        self._events = events
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> HeldStream:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._events)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        release, self._release = self._release, None
        if release is None:
            return
        try:
            close = getattr(self._events, "close", None)
            if close is not None:
                close()
        finally:
            release()
