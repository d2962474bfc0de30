"""Training runs, started and run as background jobs: the Django adapter of :mod:`training.trainer`.

It reads the export zip (:mod:`training.data`), calls :func:`training.trainer.train` with a callback that
records every epoch's loss and validation Dice on the run (the page shows them) and honours
cancellation, then scores the best checkpoint on the test split, times inference, and stores the
checkpoint as a :class:`TrainedModel`.

The app's other writes have their own modules: :mod:`training.preannotation` (a model's masks as proposals),
:mod:`training.live_streams` (a model run live) and :mod:`training.live_videos` (videos uploaded to play live).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils import timezone

from accounts import roles
from core import jobs
from core.errors import InvalidInput
from core.jobs import JobRecord
from datasets.models import DatasetExport
from datasets.services import export_path
from datasets.splits import frame_block_split
from tags.taxonomy import EXCLUSIVE_GROUPS

from .classifier import FeatureCache, train_classifier
from .data import ExportData, ExportFormatError, load_export
from .inference import TrainedNetwork
from .models import TrainedModel, TrainingRun
from .network import ARCHITECTURES, SMALL
from .trainer import AUGMENTATIONS, EpochMetrics, TrainConfig, TrainResult, evaluate, findings_scores, train

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
    return jobs.start_job(lambda: TrainingRun.objects.create(
        name=name, export=export, export_zip=str(Path(export_zip).resolve()) if export_zip else "",
        config=config.to_dict(), total=config.epochs, created_by=created_by,
    ), enqueue=enqueue)


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
    # A bad export or configuration is the user's to fix: its message is the run's error, without a traceback.
    return jobs.run_job(TrainingRun, run_id, lambda run, progress: _train(run, progress, report),
                        expected=(InvalidInput, ExportFormatError, ValueError))


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


def _train(run: TrainingRun, progress: jobs.Progress, report: Callable[[EpochMetrics], None] | None = None) -> None:
    """The work of a training run: train, then score and store the kept checkpoint (unless cancelled)."""
    data, validation = hold_out_frames(load_export(_zip_of(run)))
    TrainingRun.objects.filter(pk=run.pk).update(validation=validation)
    config = _config_of(run)
    history: list[dict] = []

    def on_epoch(metrics: EpochMetrics) -> bool:
        if report is not None:
            report(metrics)
        history.append(metrics.to_dict())
        best = max((h["val_dice"] for h in history if h["val_dice"] is not None), default=None)
        return not progress(metrics.epoch, history=history, best_val_dice=best)

    def on_heartbeat() -> None:
        progress()

    on_heartbeat()  # reading the export took a while
    result = train_on_export(data, config, on_epoch=on_epoch, on_heartbeat=on_heartbeat)
    # A time budget may end training before its epochs: the run is then complete at the epochs it did.
    TrainingRun.objects.filter(pk=run.pk).update(notes=result.notes, total=len(result.history))
    if result.stopped_by == "cancelled":
        return
    metrics = score_checkpoint(result, data, config)
    metrics.update({"stopped_by": result.stopped_by, "train_seconds": round(result.seconds, 1),
                    "epochs": len(result.history), "counts": data.counts(), "validation": validation})
    store_model(run=run, result=result, metrics=metrics, config=config)


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
    segmenter = TrainedNetwork(result.checkpoint, device=config.device)
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


def time_inference(segmenter: TrainedNetwork, images: list) -> float | None:
    """Median wall time in ms of ``TrainedNetwork.predict`` on ``images`` (resize and upsampling included)."""
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


