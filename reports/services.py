"""Writing procedure reports: from a model's recorded output over a procedure to a stored report with thumbnails.

The figures are computed by :mod:`reports.indicators` (framework-free); this module adds what needs the
database and the stored frames: the procedure's landmark stations and the tags' kinds (the taxonomy), frame
times from the sequence's frame rate, lesion thumbnails cut from the frames.
"""

from __future__ import annotations

from django.db import transaction

from sequences.models import Frame, FrameSequence
from sequences.selectors import frame_rgb
from tags.models import Procedure, Tag

from .indicators import Settings
from .models import ProcedureReport
from .recording import Recorder, thumbnail

DEFAULT_FPS = 25.0  # a source whose frame rate is unknown (as the live page plays it)


def tag_kinds(names: list[str]) -> dict[str, str]:
    """Name → kind of the tags of ``names`` (a name without a tag any more is left out)."""
    return dict(Tag.objects.filter(name__in=names).values_list("name", "kind"))


def lesion_tags(class_names: list[str]) -> list[str]:
    """Of a model's mask tags, those that are lesions (pathologies): their masks are tracked as lesions."""
    kinds = tag_kinds(class_names)
    return [name for name in class_names if kinds.get(name) == Tag.Kind.PATHOLOGY]


def stations(procedure: str) -> list[str]:
    """The landmark stations of a procedure: its landmark tags, in taxonomy order."""
    return list(Tag.objects.filter(kind=Tag.Kind.LANDMARK, procedure=procedure, is_active=True)
                .order_by("order", "name").values_list("name", flat=True))


def compute(report: ProcedureReport, settings: Settings = Settings()) -> dict:
    """The report's figures from its stored per-frame output."""
    recorder = Recorder(names=list(report.names), thresholds=list(report.thresholds), lesion_tags=[],
                        probabilities=list(report.probabilities), frame_indices=list(report.frame_indices),
                        detections=Recorder.detections_from_rows(report.detections))
    return recorder.report(kinds=report.kinds, fps=report.fps, procedure=report.procedure,
                           stations=stations(report.procedure), settings=settings)


def _sequence_thumbnails(report: ProcedureReport, data: dict) -> dict[str, str]:
    thumbnails = {}
    for lesion in data["lesions"]:
        index = report.frame_indices[lesion["largest_frame"]]
        frame = Frame.objects.filter(sequence=report.sequence, index=index).first() if index is not None else None
        if frame is not None:
            thumbnails[str(lesion["number"])] = thumbnail(frame_rgb(frame), tuple(lesion["largest_box"]))
    return thumbnails


def save_report(
    *, recorder: Recorder, source: str, fps: float | None, sequence: FrameSequence | None = None, live_video=None,
    model=None, preannotation=None, procedure: str | None = None, thumbnails: dict[str, str] | None = None,
    created_by=None,
) -> ProcedureReport:
    """Store what ``recorder`` holds as a report of ``sequence`` (or ``live_video``) and compute its figures.
    ``fps``: the source's frame rate (None: :data:`DEFAULT_FPS`); ``procedure``: default the sequence's.
    Thumbnails are cut from the sequence's frames, or given (a live video's frames are not stored)."""
    procedure = procedure or (sequence.procedure if sequence is not None else Procedure.OTHER)
    with transaction.atomic():
        report = ProcedureReport(
            source=source, sequence=sequence, live_video=live_video, model=model, preannotation=preannotation,
            procedure=procedure, fps=fps or DEFAULT_FPS, names=recorder.names, thresholds=recorder.thresholds,
            kinds=tag_kinds(recorder.names), probabilities=recorder.probabilities,
            frame_indices=recorder.frame_indices, detections=recorder.detection_rows(), created_by=created_by,
        )
        report.data = compute(report)
        if thumbnails is not None:
            report.thumbnails = thumbnails
        elif sequence is not None:
            report.thumbnails = _sequence_thumbnails(report, report.data)
        report.save()
    return report
