"""From a BENCHMARKS.md-layout folder to a trained network, measured: import, export, train, score.

Two protocols. The default holds out sequences: one export split train / val / test by sequence, one
network, its validation Dice (best epoch) and test Dice. ``--folds K`` cross-validates by sequence: K
exports whose validation sides partition the sequences, K networks trained through the job queue by
``--parallel`` batch workers (``db_worker --batch``), each scored at its last epoch (no choice made on the
data it is scored on) on the sequences it never saw; the headline is the mean over all sequences. With
few procedures a single held-out pair of sequences says more about those two polyps than about the
network: that is why the cross-validated figure is the one reported. ``--test-dir DIR`` (repeatable) trains
one network on the whole dataset (a validation split taken from it by sequence) and scores it on every
sequence of other folders in the same layout: other procedures, other hospitals.

By default everything happens in a throw-away SQLite database and MEDIA_ROOT (a child process of this
command with its own DATABASE_URL and MEDIA_ROOT), so the current database is untouched; ``--in-place``
runs in the current database and media folder instead and keeps the sequences, exports and models (its
``--folds`` workers also run whatever else waits on the default queue).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.errors import InvalidInput
from datasets.management.commands.import_masks import tag_by_name
from datasets.models import DatasetExport
from datasets.services import create_export, export_path, import_dataset, run_export
from datasets.splits import cross_validation_folds
from training.data import load_export
from training.inference import TrainedNetwork
from training.management.commands.train_model import parse_size, parse_widths
from training.models import TrainedModel, TrainingRun
from training.network import ARCHITECTURES
from training.services import export_images, run_training, start_training, time_inference, train_config
from training.trainer import AUGMENTATIONS, EpochMetrics, TrainConfig
from vision.benchmark_dataset import load_dataset
from vision.metrics import dice


class Command(BaseCommand):
    help = (
        "Import a BENCHMARKS.md-layout folder with its masks, export it split by sequence, train the default "
        "network within --minutes, and print validation/test Dice on unseen sequences and ms/frame."
    )

    def add_arguments(self, parser):
        parser.add_argument("dataset_dir")
        parser.add_argument("--minutes", type=float, default=20)
        parser.add_argument("--epochs", type=int, default=1000)
        parser.add_argument("--tag", default="Polyp")
        parser.add_argument("--split", type=float, nargs=3, default=(0.7, 0.15, 0.15), metavar=("TRAIN", "VAL", "TEST"))
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--architecture", choices=ARCHITECTURES, default=TrainConfig.architecture)
        parser.add_argument("--input-size", default="x".join(str(v) for v in TrainConfig.input_size))
        parser.add_argument("--augment", choices=AUGMENTATIONS, default=TrainConfig.augment)
        parser.add_argument("--widths", default="", help="Five channel counts (default: the architecture's).")
        parser.add_argument("--test-dir", action="append", default=[], metavar="DIR",
                            help="Train on all of DATASET_DIR (a validation split taken from it by sequence) and "
                                 "score every sequence of DIR, a folder in the same layout (or frames/ and masks/ "
                                 "of single images); repeatable. Not with --folds.")
        parser.add_argument("--threads", type=int, default=0,
                            help="Torch threads (default 0: 2, or 1 when the machine is busy).")
        parser.add_argument("--folds", type=int, default=0,
                            help="Cross-validate by sequence with this many folds (0: one train/val/test split).")
        parser.add_argument("--parallel", type=int, default=1,
                            help="With --folds: folds trained at once, each with one torch thread when above 1.")
        parser.add_argument("--json", dest="json_out", help="Also write the figures as JSON here.")
        parser.add_argument("--in-place", action="store_true",
                            help="Use the current database and MEDIA_ROOT (and keep what is made).")

    def handle(self, *args, **o):
        dataset = Path(o["dataset_dir"]).expanduser().resolve()
        if not (dataset / "sequences.json").is_file():
            raise CommandError(f"{dataset} has no sequences.json (see BENCHMARKS.md for the layout).")
        if o["test_dir"] and o["folds"]:
            raise CommandError("--test-dir trains one network on the whole dataset: not with --folds.")
        for folder in o["test_dir"]:
            try:
                load_dataset(Path(folder).expanduser())
            except FileNotFoundError as exc:
                raise CommandError(f"--test-dir: {exc}") from exc
        if o["in_place"]:
            figures = self.benchmark(dataset, o)
        else:
            figures = self.in_scratch_database(dataset, o)
        if o["json_out"]:
            Path(o["json_out"]).write_text(json.dumps(figures, indent=1))

    def in_scratch_database(self, dataset: Path, o: dict) -> dict:
        with tempfile.TemporaryDirectory(prefix="benchmark-training-") as folder:
            out = Path(folder) / "figures.json"
            env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3", "MEDIA_ROOT": f"{folder}/media",
                   "LOG_LEVEL": "WARNING"}
            command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "benchmark_training", str(dataset),
                       "--in-place", "--json", str(out), "--minutes", str(o["minutes"]), "--epochs", str(o["epochs"]),
                       "--tag", o["tag"], "--seed", str(o["seed"]), "--input-size", o["input_size"],
                       "--threads", str(o["threads"]), "--augment", o["augment"], "--widths", o["widths"],
                       "--architecture", o["architecture"],
                       *(f"--test-dir={Path(d).expanduser().resolve()}" for d in o["test_dir"]),
                       "--folds", str(o["folds"]), "--parallel", str(o["parallel"]),
                       "--split", *(str(f) for f in o["split"])]
            subprocess.run([sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "migrate", "--no-input",
                            "-v", "0"], env=env, check=True)
            result = subprocess.run(command, env=env)
            if result.returncode != 0:
                raise CommandError(f"The benchmark failed (exit status {result.returncode}).")
            return json.loads(out.read_text())

    def benchmark(self, dataset: Path, o: dict) -> dict:
        load_before = os.getloadavg()
        tag = tag_by_name(o["tag"])
        started = time.monotonic()
        try:
            imported = import_dataset(dataset_dir=dataset, tag=tag)
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        import_seconds = time.monotonic() - started
        masks = sum(m.imported for m in imported.masks)
        self.stdout.write(f"imported {len(imported.sequences)} sequences, {masks} masks in {import_seconds:.0f} s")
        try:
            config = train_config(epochs=o["epochs"], minutes=o["minutes"], input_size=parse_size(o["input_size"]),
                                  threads=o["threads"], seed=o["seed"], augment=o["augment"],
                                  widths=parse_widths(o["widths"]), keep="last" if o["folds"] else "best",
                                  architecture=o["architecture"],
                                  # cross-validation keeps the last epoch: validation is only for the progress shown
                                  validate_every=5 if o["folds"] else 1)
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        figures = {
            "dataset": str(dataset), "sequences": len(imported.sequences), "masks": masks,
            "architecture": config.architecture, "minutes": o["minutes"],
            "input_size": list(config.input_size), "minutes_budget": o["minutes"],
            "widths": list(config.widths) if config.widths else None,
            "augment": config.augment, "batch_size": config.batch_size, "learning_rate": config.learning_rate,
            "import_seconds": round(import_seconds, 1),
        }
        load_during: list[float] = []
        if o["folds"]:
            figures.update(self.cross_validate(dataset, imported.sequences, tag, config, o, load_during))
        else:
            figures.update(self.hold_out(dataset, imported.sequences, tag, config, o, load_during))
        threads = 1 if o["folds"] and o["parallel"] > 1 else (config.threads or torch.get_num_threads())
        figures["machine"] = {
            "cpus": os.cpu_count(), "torch_threads_per_run": threads,
            "cuda": torch.cuda.is_available(), "loadavg_before": [round(v, 2) for v in load_before],
            "loadavg_1min_during_mean": round(float(np.mean(load_during)), 2) if load_during else None,
            "loadavg_after": [round(v, 2) for v in os.getloadavg()],
        }
        self.stdout.write(self.style.SUCCESS(figures.pop("summary") + (
            f" Load average during training {figures['machine']['loadavg_1min_during_mean']} on "
            f"{os.cpu_count()} CPUs.")))
        return figures

    def export(self, name: str, sequences, tag, o: dict, split: dict | None = None) -> DatasetExport:
        # with test folders, all of the dataset trains but a validation split (taken by sequence)
        fractions = (0.85, 0.15, 0.0) if o["test_dir"] else tuple(o["split"])
        export = create_export(name=name, sequences=sequences, tags=[tag], fractions=fractions,
                               seed=o["seed"], split=split, enqueue=False)
        if run_export(export.id) != DatasetExport.State.SUCCEEDED:
            export.refresh_from_db()
            raise CommandError(f"The export failed: {export.error}")
        export.refresh_from_db()
        return export

    def hold_out(self, dataset: Path, sequences, tag, config, o: dict, load_during: list[float]) -> dict:
        """One train / val / test split, one network: best-epoch validation Dice and test Dice."""
        started = time.monotonic()
        export = self.export(f"benchmark {dataset.name}", sequences, tag, o)
        export_seconds = time.monotonic() - started
        names = {s.id: s.name for s in sequences}
        split = {side: [names[i] for i in ids] for side, ids in export.split.items()}
        self.stdout.write(f"exported in {export_seconds:.0f} s; split by sequence: {split}")
        run = start_training(name=f"benchmark {dataset.name}", config=config, export=export, enqueue=False)

        def report(m: EpochMetrics) -> None:
            load_during.append(os.getloadavg()[0])
            self.stdout.write(m.summary())

        started = time.monotonic()
        state = run_training(run.id, report=report)
        train_seconds = time.monotonic() - started
        run.refresh_from_db()
        if state != TrainingRun.State.SUCCEEDED:
            raise CommandError(f"Training failed: {run.error}")
        model = TrainedModel.objects.get(run=run)
        metrics, history = model.metrics, run.history
        figures = {
            "protocol": "hold-out", "split": split, "counts": export.counts,
            "train_minutes": round(metrics["train_seconds"] / 60, 2),
            "train_and_score_minutes": round(train_seconds / 60, 2),
            "epochs": metrics["epochs"], "best_epoch": metrics["best_epoch"],
            "val_dice_best_epoch": metrics.get("val_dice"),
            "val_dice_last_epoch": history[-1]["val_dice"] if history else None,
            "test_dice": metrics.get("test_dice"), "initial_val_dice": metrics.get("initial_val_dice"),
            "ms_per_frame_384x288": self.time_full_frames(model, export),
            "export_seconds": round(export_seconds, 1), "model_id": model.id, "checkpoint": model.checkpoint.name,
        }
        figures["ms_per_frame"] = figures["ms_per_frame_384x288"]
        if o["test_dir"]:
            path = Path(settings.MEDIA_ROOT) / model.checkpoint.name
            figures["tests"] = {}
            for folder in o["test_dir"]:
                folder = Path(folder).expanduser().resolve()
                figures["tests"][folder.name] = score_folder(TrainedNetwork(path), folder)
                self.stdout.write(f"test folder {folder.name}: Dice {figures['tests'][folder.name]['test_dice']:.3f}")
            figures["test_dice"] = figures["tests"][Path(o["test_dir"][0]).expanduser().resolve().name]["test_dice"]
        figures["summary"] = (
            f"Validation Dice on unseen sequences {split['val']}: {_fmt(figures['val_dice_best_epoch'])} "
            f"(best epoch {figures['best_epoch']} of {figures['epochs']}; "
            f"last epoch {_fmt(figures['val_dice_last_epoch'])}); "
            f"test Dice on {split['test']} (never used for anything): {_fmt(figures['test_dice'])}; "
            f"trained {figures['train_minutes']} min; inference {figures['ms_per_frame_384x288']} ms/frame at "
            f"384×288."
        )
        return figures

    def cross_validate(self, dataset: Path, sequences, tag, config, o: dict, load_during: list[float]) -> dict:
        """K folds by sequence trained through the job queue; each sequence scored by the network that never
        saw it, at that network's last epoch."""
        parallel = max(1, o["parallel"])
        if parallel > 1:
            config = replace(config, threads=1)  # two single-thread trainings beat two two-thread ones on 2 cores
        try:
            folds = cross_validation_folds([s.id for s in sequences], folds=o["folds"], seed=o["seed"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        names = {s.id: s.name for s in sequences}
        runs = []
        for k, split in enumerate(folds, 1):
            export = self.export(f"benchmark {dataset.name} fold {k}/{len(folds)}", sequences, tag, o, split=split)
            runs.append(start_training(name=f"benchmark {dataset.name} fold {k}/{len(folds)}", config=config,
                                       export=export))  # queued: the workers below take them
            self.stdout.write(f"fold {k}: validation sequences {[names[i] for i in split['val']]}")
        started = time.monotonic()
        self.run_workers(parallel, runs, load_during)
        wall_seconds = time.monotonic() - started
        per_fold: list[dict] = []
        per_sequence: dict[str, dict[str, float]] = {variant: {} for variant in VARIANTS}
        for k, run in enumerate(runs, 1):
            run.refresh_from_db()
            if run.state != TrainingRun.State.SUCCEEDED:
                raise CommandError(f"Fold {k} (training run {run.id}) {run.state}: {run.error}")
            model = TrainedModel.objects.get(run=run)
            scores = sequence_dice(model, run.export)
            for variant, by_sequence in scores.items():
                per_sequence[variant].update({names[sid]: score for sid, score in by_sequence.items()})
            history = run.history
            per_fold.append({
                "fold": k, "val_sequences": [names[i] for i in scores["plain"]], "run_id": run.id,
                "model_id": model.id, "epochs": len(history),
                "train_minutes": round(model.metrics["train_seconds"] / 60, 2),
                **{f"dice_{variant}": float(np.mean(list(scores[variant].values()))) for variant in VARIANTS},
                "val_dice_best_epoch_seen": max((h["val_dice"] for h in history if h["val_dice"] is not None),
                                                default=None),
                "initial_val_dice": model.metrics.get("initial_val_dice"),
            })
            self.stdout.write(f"fold {k}, last of {len(history)} epochs: " + "; ".join(
                f"Dice {variant} {per_fold[-1][f'dice_{variant}']:.3f} ("
                + ", ".join(f"{names[i]} {v:.3f}" for i, v in scores[variant].items()) + ")"
                for variant in VARIANTS))
        figures = {
            "protocol": f"{len(folds)}-fold cross-validation by sequence, last epoch", "folds": per_fold,
            "parallel": parallel, "wall_minutes": round(wall_seconds / 60, 2),
            "ms_per_frame_384x288": self.time_full_frames(TrainedModel.objects.get(run=runs[0]), runs[0].export),
        }
        lines = []
        for variant, label in VARIANTS.items():
            mean = float(np.mean(list(per_sequence[variant].values())))
            worst = min(f[f"dice_{variant}"] for f in per_fold)
            figures[variant] = {"dice_per_sequence": per_sequence[variant], "mean_over_sequences": mean,
                                "mean_over_folds": float(np.mean([f[f"dice_{variant}"] for f in per_fold])),
                                "worst_fold": worst}
            lines.append(f"{label}: {mean:.3f} (folds " + ", ".join(f"{f[f'dice_{variant}']:.3f}" for f in per_fold)
                         + f"; worst {worst:.3f})")
        figures["summary"] = (
            f"{len(folds)}-fold cross-validation by sequence, Dice on sequences never seen in training, mean over "
            f"{len(per_sequence['plain'])} sequences — " + "; ".join(lines) + f". Each network scored at its last "
            f"epoch after ≤ {o['minutes']} min, {parallel} trained at once on {os.cpu_count()} CPUs; inference "
            f"{figures['ms_per_frame_384x288']} ms/frame at 384×288."
        )
        return figures

    def run_workers(self, count: int, runs: list[TrainingRun], load_during: list[float]) -> None:
        """Start ``count`` batch workers on the job queue and report the runs' epochs until they exit."""
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        workers = [subprocess.Popen([sys.executable, manage, "db_worker", "--batch", "--queue-name", "*",
                                     "--no-reload", "--no-startup-delay", "-v", "0"]) for _ in range(count)]
        try:
            printed, last_print = "", 0.0
            while any(w.poll() is None for w in workers):
                time.sleep(2)
                load_during.append(os.getloadavg()[0])
                states = []
                for k, run in enumerate(runs, 1):
                    run.refresh_from_db()
                    last = run.last_epoch
                    dice = f" val Dice {last['val_dice']:.3f}" if last and last["val_dice"] is not None else ""
                    states.append(f"fold {k} {run.state} epoch {run.done}{dice}")
                line = " · ".join(states)
                if line != printed and time.monotonic() - last_print > 30:
                    self.stdout.write(line)
                    printed, last_print = line, time.monotonic()
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.terminate()

    @staticmethod
    def time_full_frames(model: TrainedModel, export: DatasetExport, frames: int = 30) -> float:
        """Median ms of TrainedNetwork.predict on 384×288 frames (the export's, resized if they differ)."""
        import cv2

        segmenter = TrainedNetwork(Path(settings.MEDIA_ROOT) / model.checkpoint.name)
        images = export_images(load_export(export_path(export.file.name)), frames)
        return time_inference(segmenter, [cv2.resize(i, (384, 288)) if i.shape[:2] != (288, 384) else i
                                          for i in images])


VARIANTS = {"plain": "as the live page runs it", "flips": "with test-time flips, as pre-annotation runs it"}


def sequence_dice(model: TrainedModel, export: DatasetExport) -> dict[str, dict[int, float]]:
    """For each of :data:`VARIANTS`: sequence id → mean Dice over its validation frames of ``model`` (through
    the product's Segmenter, at each frame's own size), for the first of the model's classes."""
    path = Path(settings.MEDIA_ROOT) / model.checkpoint.name
    segmenters = {"plain": TrainedNetwork(path), "flips": TrainedNetwork(path, flips=True)}
    data = load_export(export_path(export.file.name))
    name = data.class_names[0]
    scores: dict[str, dict[int, list[float]]] = {variant: {} for variant in VARIANTS}
    for sample in data.splits["val"]:
        for variant, segmenter in segmenters.items():
            predicted = segmenter.predict(sample.image).binary()[name]
            scores[variant].setdefault(int(sample.group), []).append(dice(predicted, sample.masks[0]))
    return {variant: {sid: float(np.mean(values)) for sid, values in by_sequence.items()}
            for variant, by_sequence in scores.items()}


def score_folder(segmenter: TrainedNetwork, folder: Path) -> dict:
    """Dice of ``segmenter``'s first class on every frame of a BENCHMARKS.md-layout ``folder`` (read in place,
    not imported): mean over its sequences (``test_dice``), over its frames, and per sequence."""
    name = segmenter.class_names[0]
    per_sequence, frames = {}, []
    for sequence in load_dataset(folder):
        scores = [dice(segmenter.predict(sequence.image(f)).binary()[name], sequence.ground_truth(f))
                  for f in sequence.frame_names]
        per_sequence[sequence.id] = float(np.mean(scores))
        frames += scores
    return {"test_dice": float(np.mean(list(per_sequence.values()))), "test_dice_frames": float(np.mean(frames)),
            "sequences": len(per_sequence), "frames": len(frames), "per_sequence": per_sequence}


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.3f}"

