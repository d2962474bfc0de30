"""Starting and running training: the Django adapter of :mod:`training.trainer`.

It reads the export zip (:mod:`training.data`), calls :func:`training.trainer.train` with a callback that
records every epoch's loss and validation Dice on the run (the page shows them) and honours
cancellation, then scores the best checkpoint on the test split, times inference, and stores the
checkpoint as a :class:`TrainedModel`.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from annotator.errors import InvalidInput
from annotator.jobs import JobRecord, cancel, claim, enqueue_job, fail_stale, record_failure
from datasets.models import DatasetExport
from datasets.services import export_path
from datasets.splits import frame_block_split
from reports.indicators import summary
from reports.models import ProcedureReport
from reports.recording import Recorder
from reports.services import lesion_tags, save_report, stations, tag_kinds
from sequences.sources import VIDEO_EXTENSIONS
from tags.models import Procedure
from tags.taxonomy import EXCLUSIVE_GROUPS

from .classifier import FeatureCache, train_classifier
from .data import ExportData, ExportFormatError, load_export
from .inference import Segmenter
from .live import (
    FrameSource,
    HeldStream,
    ImageFiles,
    LivePipeline,
    StreamSlots,
    VideoError,
    VideoFile,
    hex_to_rgb,
    play,
    probe_video,
    sse_stream,
)
from .models import LiveVideo, PreannotationJob, TrainedModel, TrainingRun
from .network import ARCHITECTURES, SMALL
from .trainer import AUGMENTATIONS, EpochMetrics, TrainConfig, TrainResult, evaluate, findings_scores, train

if TYPE_CHECKING:
    from sequences.models import Sequence

INPUT_SIZES = {"96x128": (96, 128), "144x192": (144, 192), "192x256": (192, 256), "288x384": (288, 384)}


def train_config(
    *, epochs: int = 300, minutes: float | None = None, input_size: tuple[int, int] = TrainConfig.input_size,
    batch_size: int = TrainConfig.batch_size, learning_rate: float = TrainConfig.learning_rate,
    findings_head: bool = False, seed: int = 0, init: str | None = None, threads: int = 0, device: str = "",
    augment: str = TrainConfig.augment, widths: tuple[int, ...] | None = None, keep: str = TrainConfig.keep,
    validate_every: int = 1, architecture: str = TrainConfig.architecture,
) -> TrainConfig:
    """A checked trainer configuration (InvalidInput names what is wrong)."""
    if epochs < 1:
        raise InvalidInput("Epochs must be at least 1.")
    if minutes is not None and minutes <= 0:
        raise InvalidInput("Minutes must be above 0.")
    if batch_size < 2:
        raise InvalidInput("The batch size must be at least 2 (batch normalisation needs two samples).")
    if not (0 < learning_rate < 1):
        raise InvalidInput("The learning rate must lie between 0 and 1.")
    height, width = input_size
    if height < 32 or width < 32 or height % 16 or width % 16:
        raise InvalidInput(f"Input size {height}×{width}: both sides must be multiples of 16, at least 32.")
    if augment not in AUGMENTATIONS:
        raise InvalidInput(f"Augmentation {augment!r}: choose one of {', '.join(AUGMENTATIONS)}.")
    if architecture not in ARCHITECTURES:
        raise InvalidInput(f"Architecture {architecture!r}: choose one of {', '.join(ARCHITECTURES)}.")
    if widths is not None and (len(widths) != 5 or any(w < 4 for w in widths)):
        raise InvalidInput(f"Widths {list(widths)}: five channel counts, each at least 4.")
    if keep not in ("best", "last"):
        raise InvalidInput(f"Keep {keep!r}: the best validation epoch ('best') or the last one ('last').")
    if validate_every < 1:
        raise InvalidInput("Validate every 1 epoch or more.")
    if init and not Path(init).is_file():
        raise InvalidInput(f"Initial weights {init} do not exist.")
    return TrainConfig(
        epochs=epochs, minutes=minutes, input_size=(height, width), batch_size=batch_size,
        learning_rate=learning_rate, findings_head=findings_head, seed=seed, init=init, threads=threads,
        device=device, augment=augment, widths=tuple(widths) if widths else None, keep=keep,
        validate_every=validate_every, architecture=architecture,
    )


def start_training(
    *, name: str, config: TrainConfig, export: DatasetExport | None = None, export_zip: str | Path | None = None,
    created_by=None, enqueue: bool = True,
) -> TrainingRun:
    """Record a training run on ``export`` (a finished one) or on an export zip; queue it unless not ``enqueue``.
    ``created_by`` starts it: a manager's write (``training.train``)."""
    roles.require(created_by, "training.train", "Starting a training run")
    if (export is None) == (export_zip is None):
        raise InvalidInput("Train on an export or on an export zip (one of them).")
    if export is not None and (export.state != JobRecord.State.SUCCEEDED or not export.file):
        raise InvalidInput(f"Export {export.id} “{export.name}” has no zip yet ({export.state}).")
    if export_zip is not None and not Path(export_zip).is_file():
        raise InvalidInput(f"{export_zip} does not exist.")
    name = name.strip() or (export.name if export else Path(export_zip).stem)
    with transaction.atomic():
        run = TrainingRun.objects.create(
            name=name, export=export, export_zip=str(Path(export_zip).resolve()) if export_zip else "",
            config=config.to_dict(), total=config.epochs, created_by=created_by,
        )
        if enqueue:
            from .tasks import run_training_task

            transaction.on_commit(lambda: enqueue_job(run, run_training_task, run.id))
    return run


def _zip_of(run: TrainingRun) -> Path:
    if run.export_zip:
        return Path(run.export_zip)
    if run.export is None or not run.export.file:
        raise InvalidInput("The run's export is gone or has no zip.")
    return export_path(run.export.file.name)


def _config_of(run: TrainingRun) -> TrainConfig:
    data = dict(run.config)
    data["input_size"] = tuple(data.get("input_size", TrainConfig.input_size))
    widths = data.get("widths")
    data["widths"] = tuple(widths) if widths else None
    data.setdefault("architecture", SMALL)  # runs recorded before the pretrained default
    return TrainConfig(**data)


def run_training(run_id: int, *, report: Callable[[EpochMetrics], None] | None = None) -> str:
    """Run a queued training run to its end (the body of the background task). Returns the final state.

    ``report`` is also told every epoch's metrics (the command line prints them).
    """
    if not claim(TrainingRun, run_id):
        return TrainingRun.objects.get(pk=run_id).state
    run = TrainingRun.objects.select_related("export").get(pk=run_id)
    try:
        model = _train(run, report)
    except (InvalidInput, ExportFormatError, ValueError) as exc:
        TrainingRun.objects.filter(pk=run_id).update(state=JobRecord.State.FAILED, error=str(exc),
                                                     finished_at=timezone.now())
        return JobRecord.State.FAILED
    except Exception as exc:
        return record_failure(TrainingRun, run_id, exc)
    state = JobRecord.State.SUCCEEDED if model is not None else JobRecord.State.CANCELLED
    TrainingRun.objects.filter(pk=run_id).update(state=state, finished_at=timezone.now(), heartbeat_at=timezone.now())
    return state


def hold_out_frames(data: ExportData) -> tuple[ExportData, dict]:
    """``data`` with validation frames, and where they came from (``TrainingRun.validation``).

    An export without a validation sequence (one sequence, or a validation fraction of 0) would train blind, its
    validation Dice "—". Then the last contiguous block of each training sequence's frames is held out for
    validation, with a gap before it (``datasets.splits.frame_block_split``), and the run says so: such a Dice is
    measured on procedures the network trained on, so it is optimistic.
    """
    if data.splits.get("val"):
        return data, {"by": "sequence"}
    by_group: dict[str, list] = {}
    for sample in data.splits["train"]:
        by_group.setdefault(sample.group, []).append(sample)  # the export lists each sequence's frames in order
    train, validation = [], []
    for samples in by_group.values():
        kept, held = frame_block_split(len(samples))
        train += [samples[i] for i in kept]
        validation += [samples[i] for i in held]
    if not validation:
        return data, {"by": "none"}
    info = {"by": "frames", "frames": len(validation), "sequences": len(by_group),
            "label": "frames held out of the training sequences"}
    return replace(data, splits={**data.splits, "train": train, "val": validation}), info


def _train(run: TrainingRun, report: Callable[[EpochMetrics], None] | None = None) -> TrainedModel | None:
    data, validation = hold_out_frames(load_export(_zip_of(run)))
    TrainingRun.objects.filter(pk=run.pk).update(validation=validation)
    config = _config_of(run)
    history: list[dict] = []

    def on_epoch(metrics: EpochMetrics) -> bool:
        if report is not None:
            report(metrics)
        history.append(metrics.to_dict())
        best = max((h["val_dice"] for h in history if h["val_dice"] is not None), default=None)
        TrainingRun.objects.filter(pk=run.pk).update(
            history=history, done=metrics.epoch, best_val_dice=best, heartbeat_at=timezone.now()
        )
        return not TrainingRun.objects.filter(pk=run.pk, cancel_requested=True).exists()

    def on_heartbeat() -> None:
        TrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())

    on_heartbeat()  # reading the export took a while
    result = train_on_export(data, config, on_epoch=on_epoch, on_heartbeat=on_heartbeat)
    # A time budget may end training before its epochs: the run is then complete at the epochs it did.
    TrainingRun.objects.filter(pk=run.pk).update(notes=result.notes, total=len(result.history))
    if result.stopped_by == "cancelled":
        return None
    metrics = score_checkpoint(result, data, config)
    metrics.update({"stopped_by": result.stopped_by, "train_seconds": round(result.seconds, 1),
                    "epochs": len(result.history), "counts": data.counts(), "validation": validation})
    return store_model(run=run, result=result, metrics=metrics, config=config)


def train_on_export(data: ExportData, config: TrainConfig, *, cache: FeatureCache | None = None,
                    on_epoch: Callable[[EpochMetrics], bool] | None = None,
                    on_heartbeat: Callable[[], None] | None = None) -> TrainResult:
    """Train what the export asks for: a segmentation network (with the findings head if ``config`` says so),
    or, for an export of frame-level findings without any mask, the findings classifier. Exclusive groups of
    findings come from the taxonomy (``tags.taxonomy.EXCLUSIVE_GROUPS``). ``cache``: the classifier's frozen
    features, shared between trainings on the same frames (a cross-validation's folds)."""
    groups = {g: list(members) for g, members in EXCLUSIVE_GROUPS.items()}
    if not data.class_names:
        return train_classifier(
            train_samples=data.splits["train"], val_samples=data.splits["val"], finding_names=data.finding_names,
            config=config, groups=groups, cache=cache, on_epoch=on_epoch, on_heartbeat=on_heartbeat,
        )
    return train(
        train_samples=data.splits["train"], val_samples=data.splits["val"], class_names=data.class_names,
        finding_names=data.finding_names, config=config, on_epoch=on_epoch, on_heartbeat=on_heartbeat,
        finding_groups=groups,
    )


def score_checkpoint(result, data, config: TrainConfig) -> dict:
    """Validation and test Dice of the kept checkpoint (segmentation), its recognition of the frame-level
    findings on both splits (per finding AUC, F1 at the stored threshold, support; the confusion of exclusive
    groups), and its inference time per frame."""
    segmenter = Segmenter(result.checkpoint, device=config.device)
    metrics: dict = {"best_epoch": result.best_epoch, "best_val_dice": result.best_val_dice,
                     "initial_val_dice": result.initial_val_dice}
    checkpoint = result.checkpoint
    if checkpoint.finding_names:
        metrics["finding_thresholds"] = dict(zip(checkpoint.finding_names, checkpoint.finding_thresholds,
                                                 strict=True))
    for side in ("val", "test"):
        samples = data.splits.get(side, [])
        if not samples:
            continue
        if data.class_names and any(s.masked for s in samples):
            _, mean, per_class = evaluate(segmenter.network, samples, input_size=config.input_size,
                                          device=segmenter.device, class_names=data.class_names)
            metrics[f"{side}_dice"], metrics[f"{side}_dice_per_class"] = mean, per_class
        if checkpoint.finding_names:
            metrics[f"{side}_findings"] = findings_scores(
                segmenter.network, samples, input_size=config.input_size, device=segmenter.device,
                finding_names=checkpoint.finding_names, thresholds=checkpoint.finding_thresholds,
                groups=checkpoint.finding_groups,
            )
    metrics["ms_per_frame"] = time_inference(segmenter, export_images(data, 20))
    return metrics


def export_images(data, count: int) -> list:
    """Up to ``count`` frames of an export (validation first, then test, then train), uint8 RGB."""
    return [s.image for side in ("val", "test", "train") for s in data.splits.get(side, [])][:count]


def time_inference(segmenter: Segmenter, images: list) -> float | None:
    """Median wall time in ms of ``Segmenter.predict`` on ``images`` (resize and upsampling included)."""
    if not images:
        return None
    segmenter.predict(images[0])  # the first call allocates
    times = []
    for image in images:
        started = time.perf_counter()
        segmenter.predict(image)
        times.append((time.perf_counter() - started) * 1000)
    return round(float(np.median(times)), 1)


def store_model(*, run: TrainingRun | None, result, metrics: dict, config: TrainConfig, name: str = "") -> TrainedModel:
    """Save the checkpoint under MEDIA_ROOT/models/ and its row; both are kept or neither."""
    folder = Path(settings.MEDIA_ROOT) / "models"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    relative = f"models/run{run.id if run else 0}-{stamp}-{os.getpid()}.pt"
    checkpoint = replace(result.checkpoint, metrics={**result.checkpoint.metrics, **_json_safe(metrics)})
    temporary = folder / f".{Path(relative).name}.partial"
    checkpoint.save(temporary)
    os.replace(temporary, folder / Path(relative).name)
    try:
        return TrainedModel.objects.create(
            name=name or (run.name if run else "model"), run=run, export=run.export if run else None,
            checkpoint=relative, class_names=checkpoint.class_names, finding_names=checkpoint.finding_names,
            input_size=list(checkpoint.input_size), config=config.to_dict(), metrics=_json_safe(metrics),
            created_by=run.created_by if run else None,
        )
    except BaseException:
        (folder / Path(relative).name).unlink(missing_ok=True)
        raise


def _json_safe(value):
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def cancel_run(*, run: TrainingRun, user=None) -> TrainingRun:
    roles.require(user, "training.train", f"Cancelling training run {run.id}")
    return cancel(run)


# ---------- pre-annotation: a trained model's masks as proposals ----------


class PreannotationConflict(InvalidInput):
    """The model is already pre-annotating the sequence."""


def checkpoint_path(model: TrainedModel) -> Path:
    return Path(settings.MEDIA_ROOT) / model.checkpoint.name


def start_preannotation(*, model: TrainedModel, sequence, user=None, enqueue: bool = True) -> PreannotationJob:
    """Record a job running ``model`` over every frame of ``sequence``; queue it unless not ``enqueue``.

    Only the model's tags that exist in the database get proposals; none existing is an error. ``user``
    starts it (``training.preannotate``) and is the author of its proposals.
    """
    roles.require(user, "training.preannotate", "Pre-annotating a sequence")
    from sequences.models import Frame
    from tags.models import Tag

    if not checkpoint_path(model).is_file():
        raise InvalidInput(f"The checkpoint of model {model.id} “{model.name}” is missing.")
    # A findings classifier draws no mask: its run is for the procedure report (per-frame findings).
    names = [*model.class_names, *model.finding_names]
    if not Tag.objects.filter(name__in=names).exists():
        raise InvalidInput(f"None of model {model.id}'s tags ({', '.join(names)}) exists any more.")
    frames = Frame.objects.filter(sequence=sequence).count()
    if not frames:
        raise InvalidInput(f"Sequence {sequence.id} has no frames.")
    with transaction.atomic():
        fail_stale(PreannotationJob)
        if PreannotationJob.objects.filter(model=model, sequence=sequence, state__in=JobRecord.ACTIVE).exists():
            raise PreannotationConflict(
                f"Model {model.id} is already pre-annotating sequence {sequence.id}; wait for it or cancel it."
            )
        job = PreannotationJob.objects.create(model=model, sequence=sequence, total=frames, created_by=user)
        if enqueue:
            from .tasks import run_preannotation_task

            transaction.on_commit(lambda: enqueue_job(job, run_preannotation_task, job.id))
    return job


def run_preannotation(job_id: int) -> str:
    """Run a queued pre-annotation job to its end (the body of the background task). Returns the final state."""
    if not claim(PreannotationJob, job_id):
        return PreannotationJob.objects.get(pk=job_id).state
    job = PreannotationJob.objects.select_related("model", "sequence", "created_by").get(pk=job_id)
    try:
        state = _preannotate(job)
    except Exception as exc:
        return record_failure(PreannotationJob, job_id, exc)
    PreannotationJob.objects.filter(pk=job_id).update(state=state, finished_at=timezone.now(),
                                                      heartbeat_at=timezone.now())
    return state


def _preannotate(job: PreannotationJob) -> str:
    from masks.models import Mask
    from masks.services import delete_masks, save_mask
    from sequences.selectors import frame_rgb
    from tags.models import Tag

    # Loaded once for the whole sequence. Offline, test-time flips are worth their 4× arithmetic: they raised
    # Dice on unseen CVC-ClinicDB sequences by ~0.03 (docs/datasets-and-training.md).
    segmenter = Segmenter(checkpoint_path(job.model), flips=True)
    tags = {t.name: t for t in Tag.objects.filter(name__in=segmenter.class_names)}
    sequence_masks = Mask.objects.filter(frame__sequence=job.sequence)
    # A new run replaces this model's unreviewed proposals; accepted ones are a person's work and stay.
    replaced = delete_masks(sequence_masks.filter(source=Mask.Source.MODEL, segmenter=job.segmenter,
                                                  reviewed_at__isnull=True))
    # Where a person already made or accepted a mask of a tag, a proposal of that tag would only be noise.
    settled = set(sequence_masks.trusted().values_list("frame_id", "tag_id"))
    frames = list(job.sequence.frames.order_by("index"))
    PreannotationJob.objects.filter(pk=job.pk).update(total=len(frames), done=0, written=0, replaced=replaced)
    # Every frame's findings probabilities and lesion regions, for the procedure report.
    recorder = Recorder(names=segmenter.finding_names, thresholds=segmenter.finding_thresholds,
                        lesion_tags=lesion_tags(segmenter.class_names), threshold=job.threshold)
    for done, frame in enumerate(frames, start=1):
        prediction = segmenter.predict(np.ascontiguousarray(frame_rgb(frame)))
        recorder.add(findings=prediction.findings, masks=prediction.masks, frame_index=frame.index)
        written = 0
        for name, probability in prediction.masks.items():
            tag = tags.get(name)
            if tag is None or (frame.id, tag.id) in settled:
                continue
            mask = probability >= job.threshold
            if not mask.any():
                continue
            save_mask(
                frame=frame, tag=tag, color=tag.color, mask=mask, source=Mask.Source.MODEL,
                segmenter=job.segmenter, confidence=float(probability[mask].mean()), created_by=job.created_by,
            )
            written += 1
        PreannotationJob.objects.filter(pk=job.pk).update(done=done, written=F("written") + written,
                                                          heartbeat_at=timezone.now())
        if PreannotationJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            return JobRecord.State.CANCELLED
    save_report(recorder=recorder, source=ProcedureReport.Source.OFFLINE, fps=job.sequence.fps,
                sequence=job.sequence, model=job.model, preannotation=job, created_by=job.created_by)
    return JobRecord.State.SUCCEEDED


def cancel_preannotation(*, job: PreannotationJob, user=None) -> PreannotationJob:
    roles.require(user, "training.preannotate", f"Cancelling pre-annotation {job.id}")
    return cancel(job)


DEFAULT_LIVE_FPS = 25.0  # a sequence or video whose source frame rate is unknown plays at this rate
LIVE_VIDEO_DIR = "live-videos"
# The live streams this process plays (each keeps a CPU core busy); at most settings.LIVE_MAX_STREAMS.
LIVE_STREAMS = StreamSlots()


class LiveStreamsBusy(Exception):
    """As many live streams are playing as this process plays at once (the stream answers HTTP 429)."""


def live_stream(*, model: TrainedModel, source: Sequence | LiveVideo, fps: float | None = None,
                loop: bool = False) -> Iterator[bytes]:
    """The Server-Sent Events (bytes) of ``model`` run live over ``source`` (a stored sequence, or a video file
    decoded as it plays): one event per frame, paced to ``fps`` (None: the source's own rate; 0: as fast as
    possible). The model is loaded here, once. The stream holds one of the LIVE_MAX_STREAMS slots until it
    ends, fails or is closed (the client gone).

    Raises InvalidInput when the checkpoint or the video file is missing or the sequence has no frames,
    LiveStreamsBusy when no slot is free.
    """
    from sequences.selectors import frame_path
    from tags.models import Tag

    if not checkpoint_path(model).is_file():
        raise InvalidInput(f"The checkpoint of model {model.id} “{model.name}” is missing.")
    frames: FrameSource
    if isinstance(source, LiveVideo):
        if not source.path.is_file():
            raise InvalidInput(f"The file of {source} is missing.")
        frames = VideoFile(source.path)
    else:
        # Paths up front: the stream then needs no database connection while it plays.
        paths = [(frame.index, frame_path(frame)) for frame in source.frames.order_by("index").only("index", "image")]
        if not paths:
            raise InvalidInput(f"Sequence {source.id} has no frames.")
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
        segmenter = Segmenter(checkpoint_path(model))
        recorder, summarise, finish = _live_report(model=model, source=source, segmenter=segmenter,
                                                   fps=source.fps or DEFAULT_LIVE_FPS)
        pipeline = LivePipeline(segmenter, colors, recorder=recorder, summarise=summarise,
                                summary_every=max(1, round(rate or DEFAULT_LIVE_FPS)))
        events = sse_stream(play(pipeline, frames, fps=rate, loop=loop), finish=finish)
    except BaseException:
        LIVE_STREAMS.give_back()
        raise
    return HeldStream(events, LIVE_STREAMS.give_back)


def _live_report(*, model: TrainedModel, source: Sequence | LiveVideo, segmenter: Segmenter, fps: float):
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


def upload_live_video(*, upload: UploadedFile, name: str = "", created_by=None) -> LiveVideo:
    """Store an uploaded video file to play live (it is not imported as a sequence).

    OpenCV must open it and decode its first frame. All or nothing: a rejected file (InvalidInput says why)
    leaves neither a file nor a row; the file is written first and the row only once it is known good.
    """
    roles.require(created_by, "training.add_livevideo", "Uploading a video to play live")
    suffix = Path(upload.name).suffix.lower()
    if suffix not in VIDEO_EXTENSIONS:
        raise InvalidInput(f"{upload.name} is not a video file (accepted: {', '.join(sorted(VIDEO_EXTENSIONS))}).")
    relative = f"{LIVE_VIDEO_DIR}/{uuid.uuid4().hex}{suffix}"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("xb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            info = probe_video(path, max_pixels=settings.MAX_FRAME_PIXELS)
        except VideoError as exc:
            raise InvalidInput(f"{upload.name} cannot be played: {exc.reason}.") from exc
        return LiveVideo.objects.create(
            name=(name.strip() or Path(upload.name).name)[:200], file=relative, fps=info.fps,
            frame_count=info.frame_count, width=info.width, height=info.height, created_by=created_by,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def delete_live_video(*, video: LiveVideo, user=None) -> None:
    """Delete an uploaded video; its file goes once the deletion is committed (``annotator.files``)."""
    roles.require(user, "training.delete_livevideo", f"Deleting video {video.id}")
    video.delete()
