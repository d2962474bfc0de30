"""From a BENCHMARKS.md-layout folder to a trained network, measured: import, export, train, score.

By default everything happens in a throw-away SQLite database and MEDIA_ROOT (a child process of this
command with its own DATABASE_URL and MEDIA_ROOT), so the current database is untouched; ``--in-place``
runs in the current database and media folder instead and keeps the sequences, export and model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from annotator.errors import InvalidInput
from datasets.management.commands.import_masks import tag_by_name
from datasets.models import DatasetExport
from datasets.services import create_export, export_path, import_dataset, run_export
from training.data import load_export
from training.inference import Segmenter
from training.management.commands.train_model import parse_size, parse_widths
from training.models import TrainedModel, TrainingRun
from training.services import run_training, start_training, train_config
from training.trainer import AUGMENTATIONS, EpochMetrics, TrainConfig


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
        parser.add_argument("--input-size", default="96x128")
        parser.add_argument("--augment", choices=AUGMENTATIONS, default=TrainConfig.augment)
        parser.add_argument("--widths", default=",".join(str(w) for w in TrainConfig.widths))
        parser.add_argument("--threads", type=int, default=0,
                            help="Torch threads (default 0: 2, or 1 when the machine is busy).")
        parser.add_argument("--json", dest="json_out", help="Also write the figures as JSON here.")
        parser.add_argument("--in-place", action="store_true",
                            help="Use the current database and MEDIA_ROOT (and keep what is made).")

    def handle(self, *args, **o):
        dataset = Path(o["dataset_dir"]).expanduser().resolve()
        if not (dataset / "sequences.json").is_file():
            raise CommandError(f"{dataset} has no sequences.json (see BENCHMARKS.md for the layout).")
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

        started = time.monotonic()
        export = create_export(name=f"benchmark {dataset.name}", sequences=imported.sequences, tags=[tag],
                               fractions=tuple(o["split"]), seed=o["seed"], enqueue=False)
        if run_export(export.id) != DatasetExport.State.SUCCEEDED:
            export.refresh_from_db()
            raise CommandError(f"The export failed: {export.error}")
        export.refresh_from_db()
        export_seconds = time.monotonic() - started
        names = {s.id: s.name for s in imported.sequences}
        split = {side: [names[i] for i in ids] for side, ids in export.split.items()}
        self.stdout.write(f"exported in {export_seconds:.0f} s; split by sequence: {split}")

        config = train_config(epochs=o["epochs"], minutes=o["minutes"], input_size=parse_size(o["input_size"]),
                              threads=o["threads"], seed=o["seed"], augment=o["augment"],
                              widths=parse_widths(o["widths"]))
        run = start_training(name=f"benchmark {dataset.name}", config=config, export=export, enqueue=False)

        def report(m: EpochMetrics) -> None:
            self.stdout.write(f"epoch {m.epoch:4d}  loss {m.train_loss:.4f}  val Dice {m.val_dice:.3f}  "
                              f"{m.seconds:6.0f} s")

        load_during = []
        started = time.monotonic()
        state = run_training(run.id, report=lambda m: (load_during.append(os.getloadavg()[0]), report(m)))
        train_seconds = time.monotonic() - started
        run.refresh_from_db()
        if state != TrainingRun.State.SUCCEEDED:
            raise CommandError(f"Training failed: {run.error}")
        model = TrainedModel.objects.get(run=run)
        metrics = model.metrics
        ms_full = self.time_full_frames(model, export)
        history = run.history
        figures = {
            "dataset": str(dataset),
            "sequences": len(imported.sequences), "masks": masks,
            "split": split, "counts": export.counts,
            "input_size": list(config.input_size), "minutes_budget": o["minutes"], "widths": list(config.widths),
            "augment": config.augment, "batch_size": config.batch_size, "learning_rate": config.learning_rate,
            "train_minutes": round(metrics["train_seconds"] / 60, 2),
            "train_and_score_minutes": round(train_seconds / 60, 2),
            "epochs": metrics["epochs"], "best_epoch": metrics["best_epoch"],
            "val_dice_best_epoch": metrics.get("val_dice"),
            "val_dice_last_epoch": history[-1]["val_dice"] if history else None,
            "test_dice": metrics.get("test_dice"),
            "initial_val_dice": metrics.get("initial_val_dice"),
            "ms_per_frame_384x288": ms_full,
            "import_seconds": round(import_seconds, 1), "export_seconds": round(export_seconds, 1),
            "machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                        "cuda": torch.cuda.is_available(), "loadavg_before": [round(v, 2) for v in load_before],
                        "loadavg_1min_during_mean": round(float(np.mean(load_during)), 2) if load_during else None,
                        "loadavg_after": [round(v, 2) for v in os.getloadavg()]},
            "model_id": model.id, "checkpoint": model.checkpoint.name,
        }
        self.stdout.write(self.style.SUCCESS(
            f"Validation Dice on unseen sequences {split['val']}: {_fmt(figures['val_dice_best_epoch'])} "
            f"(best epoch {figures['best_epoch']} of {figures['epochs']}; "
            f"last epoch {_fmt(figures['val_dice_last_epoch'])}); "
            f"test Dice on {split['test']} (never used for anything): {_fmt(figures['test_dice'])}; "
            f"trained {figures['train_minutes']} min; inference {ms_full} ms/frame at 384×288; "
            f"load average during training {figures['machine']['loadavg_1min_during_mean']} on {os.cpu_count()} CPUs."
        ))
        return figures

    @staticmethod
    def time_full_frames(model: TrainedModel, export: DatasetExport, frames: int = 30) -> float:
        """Median ms of Segmenter.predict on 384×288 frames (the export's, resized if they differ)."""
        import cv2

        segmenter = Segmenter(Path(settings.MEDIA_ROOT) / model.checkpoint.name)
        data = load_export(export_path(export.file.name))
        images = [s.image for side in ("val", "test", "train") for s in data.splits[side]][:frames]
        images = [cv2.resize(i, (384, 288)) if i.shape[:2] != (288, 384) else i for i in images]
        segmenter.predict(images[0])
        times = []
        for image in images:
            started = time.perf_counter()
            segmenter.predict(image)
            times.append((time.perf_counter() - started) * 1000)
        return round(float(np.median(times)), 1)


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.3f}"

