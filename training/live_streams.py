"""Live streams: a trained model run over a stored sequence or an uploaded video as it plays, sent to the live
page as Server-Sent Events, with the procedure report of what it saw saved when the stream ends. The Django
adapter of :mod:`training.live` (framework-free); at most ``LIVE_MAX_STREAMS`` streams a process."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.urls import reverse

from core.errors import Busy, NotFound
from reports.indicators import summary
from reports.models import ProcedureReport
from reports.recording import Recorder
from reports.services import lesion_tags, save_report, stations, tag_kinds
from sequences.models import FrameSequence
from sequences.selectors import frame_path
from tags.models import Procedure, Tag

from .inference import TrainedNetwork
from .live import (
    FrameSource,
    HeldStream,
    ImageFiles,
    LivePipeline,
    StreamSlots,
    VideoFile,
    hex_to_rgb,
    play,
    sse_stream,
)
from .models import LiveVideo, TrainedModel
from .selectors import checkpoint_path

DEFAULT_LIVE_FPS = 25.0  # a sequence or video whose source frame rate is unknown plays at this rate
# The live streams this process plays (each keeps a CPU core busy); at most settings.LIVE_MAX_STREAMS.
LIVE_STREAMS = StreamSlots()


class LiveStreamsBusy(Busy):
    """As many live streams are playing as this process plays at once (HTTP 429, with Retry-After)."""


def live_stream(*, model: TrainedModel, source: FrameSequence | LiveVideo, fps: float | None = None,
                loop: bool = False) -> Iterator[bytes]:
    """The Server-Sent Events (bytes) of ``model`` run live over ``source`` (a stored sequence, or a video file
    decoded as it plays): one event per frame, paced to ``fps`` (None: the source's own rate; 0: as fast as
    possible). The model is loaded here, once. The stream holds one of the LIVE_MAX_STREAMS slots until it
    ends, fails or is closed (the client gone).

    Raises NotFound when the checkpoint or the video file is missing or the sequence has no frames (nothing to play
    here), LiveStreamsBusy when no slot is free.
    """
    if not checkpoint_path(model).is_file():
        raise NotFound(f"The checkpoint of model {model.id} “{model.name}” is missing.")
    frames: FrameSource
    if isinstance(source, LiveVideo):
        if not source.path.is_file():
            raise NotFound(f"The file of {source} is missing.")
        frames = VideoFile(source.path)
    else:
        # Paths up front: the stream then needs no database connection while it plays.
        paths = [(frame.index, frame_path(frame)) for frame in source.frames.order_by("index").only("index", "image")]
        if not paths:
            raise NotFound(f"Sequence {source.id} has no frames.")
        frames = ImageFiles(paths)
    colors = {t.name: hex_to_rgb(t.color) for t in Tag.objects.filter(name__in=model.class_names)}
    rate = (source.fps or DEFAULT_LIVE_FPS) if fps is None else fps
    limit = settings.LIVE_MAX_STREAMS
    if not LIVE_STREAMS.take(limit):
        raise LiveStreamsBusy(
            f"This server already plays {limit} live stream{'s' if limit != 1 else ''}, as many as it plays at once "
            "(LIVE_MAX_STREAMS): close another live page, or try again when one has ended."
        )
    try:
        segmenter = TrainedNetwork(checkpoint_path(model))
        recorder, summarise, finish = _live_report(model=model, source=source, segmenter=segmenter,
                                                   fps=source.fps or DEFAULT_LIVE_FPS)
        pipeline = LivePipeline(segmenter, colors, recorder=recorder, summarise=summarise,
                                summary_every=max(1, round(rate or DEFAULT_LIVE_FPS)))
        events = sse_stream(play(pipeline, frames, fps=rate, loop=loop), finish=finish)
    except BaseException:
        LIVE_STREAMS.give_back()
        raise
    return HeldStream(events, LIVE_STREAMS.give_back)


def _live_report(*, model: TrainedModel, source: FrameSequence | LiveVideo, segmenter: TrainedNetwork, fps: float):
    """A live stream's procedure report: the recorder its frames feed, the summary of the indicators so far (about
    once a second of the stream), and ``finish``, which saves the report once (when the stream ends or is closed,
    if a frame was played) and answers the end event's data (the report's URL)."""
    is_video = isinstance(source, LiveVideo)
    procedure = Procedure.OTHER if is_video else source.procedure
    # Read the taxonomy now: while it plays, the stream asks the database nothing.
    kinds, procedure_stations = tag_kinds(segmenter.finding_names), stations(procedure)
    recorder = Recorder(names=segmenter.finding_names, thresholds=segmenter.finding_thresholds,
                        lesion_tags=lesion_tags(segmenter.class_names), keep_thumbnails=is_video)
    saved: dict = {}

    def summarise() -> dict:
        return summary(recorder.report(kinds=kinds, fps=fps, procedure=procedure, stations=procedure_stations))

    def finish() -> dict:
        if "report_url" in saved or not recorder.frame_indices:
            return dict(saved)
        if is_video:
            recorder.frame_indices = [None] * len(recorder.frame_indices)  # a video's frames are not stored
            thumbnails = recorder.lesion_thumbnails(recorder.report(kinds=kinds, fps=fps, procedure=procedure))
        else:
            thumbnails = None
        report = save_report(recorder=recorder, source=ProcedureReport.Source.LIVE, fps=fps,
                             sequence=None if is_video else source, live_video=source if is_video else None,
                             model=model, procedure=procedure, thumbnails=thumbnails)
        saved.update(report_id=report.id, report_url=reverse("reports:detail", args=[report.id]))
        return dict(saved)

    return recorder, summarise, finish
