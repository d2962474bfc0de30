"""Frame-level recognition, measured: import a folder-per-class image set, train the findings classifier within
the minutes, and score it on images it never saw.

The folder is imported through the product's own import (:func:`findings.imports.import_class_folders`: one
one-frame sequence per image, with its class's finding) into the database this command runs against; each
training is the product's own (an export split by sequence, :func:`training.services.train_on_export`); every
score comes from the product's inference (:class:`training.inference.TrainedNetwork`, as the live page runs it).

Two protocols. By default, ``--folds`` stratified cross-validation of DIR: each fold's images are scored by the
network trained on the others (of which ``--val-fraction`` is its validation split, where thresholds are
chosen), and the minutes are shared over the folds (each fold gets what is left divided by the folds left;
exporting, reading and the frozen features' computation count). ``--test-dir OTHER``: one network trained on all
of DIR (a validation split taken from it), scoring every image of OTHER (imported the same way).

Each image is of exactly one class, so the predicted class is the most probable one: per class F1 of that
prediction, one-vs-rest ROC AUC of the class's probability, ``support``; macro means and accuracy over all
scored images. ``thresholded`` gives the same images scored as the product decides (each finding at its stored
threshold, exclusive groups applied).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from django.core.management.base import BaseCommand, CommandError

from core.errors import InvalidInput
from datasets.services import create_export, delete_export, export_path, run_export
from findings.imports import import_class_folders
from findings.management.commands.import_findings import parse_mapping
from findings.models import FrameFinding
from sequences.models import Frame, FrameSequence
from sequences.selectors import frame_rgb
from tags.models import Procedure, Tag
from training.classifier import FeatureCache, precompute_features
from training.data import load_export
from training.inference import TrainedNetwork
from training.management.commands.train_model import parse_size
from training.recognition import single_label_report
from training.services import train_config, train_on_export
from training.trainer import AUGMENTATIONS, TrainConfig, choose_threads


def stratified_folds(classes: list[int], folds: int, seed: int) -> list[int]:
    """A fold number for each item, each class dealt over the folds in a shuffled order (``seed``)."""
    rng = np.random.default_rng(seed)
    fold = [0] * len(classes)
    offset = 0
    for value in sorted(set(classes)):
        members = [i for i, c in enumerate(classes) if c == value]
        rng.shuffle(members)
        for position, item in enumerate(members):
            fold[item] = (position + offset) % folds
        offset += len(members)  # the next class starts where this one stopped: folds stay even in size
    return fold


class Command(BaseCommand):
    help = ("Import a folder of one folder of images per class, train the frame-level findings classifier within "
            "--minutes, and score it on images it never saw (cross-validated folds of DIR, or every image of "
            "--test-dir): macro F1, macro AUC, accuracy, per class F1/AUC/support, ms per frame.")

    def add_arguments(self, parser):
        parser.add_argument("dataset_dir")
        parser.add_argument("--test-dir", default=None, help="Train on all of DIR and score every image of this one.")
        parser.add_argument("--minutes", type=float, default=20, help="For all of the training (every fold).")
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--epochs", type=int, default=10000, help="At most this many epochs per training.")
        parser.add_argument("--val-fraction", type=float, default=0.15,
                            help="Of each training side, the share kept to validate on (thresholds, best epoch).")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--map", action="append", default=[], metavar="FOLDER=TAG")
        parser.add_argument("--input-size", default="224x256")
        parser.add_argument("--frozen-blocks", type=int, default=TrainConfig.frozen_blocks)
        parser.add_argument("--views", type=int, default=TrainConfig.views)
        parser.add_argument("--augment", choices=AUGMENTATIONS, default="light")
        parser.add_argument("--learning-rate", type=float, default=3e-3)
        parser.add_argument("--encoder-learning-rate", type=float, default=0.3,
                            help="The fine-tuned pretrained stages' rate, as a share of --learning-rate.")
        parser.add_argument("--keep", choices=("best", "last"), default="last")
        parser.add_argument("--threads", type=int, default=0)
        parser.add_argument("--no-deidentify", action="store_true")
        parser.add_argument("--json", dest="json_out")

    def handle(self, *args, **o):
        dataset = Path(o["dataset_dir"]).expanduser().resolve()
        if o["folds"] < 2 and not o["test_dir"]:
            raise CommandError("--folds must be at least 2 (or score --test-dir).")
        if not 0 < o["val_fraction"] < 0.5:
            raise CommandError("--val-fraction must lie between 0 and 0.5.")
        load_before = os.getloadavg()
        mapping = parse_mapping(o["map"])
        started = time.monotonic()
        try:
            imported = self.import_folder(dataset, mapping, o)
            test = self.import_folder(Path(o["test_dir"]).expanduser().resolve(), mapping, o) if o["test_dir"] else None
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        import_seconds = time.monotonic() - started
        names = [t.name for t in self.class_tags(imported)]
        threads = choose_threads(o["threads"])
        torch.set_num_threads(threads)
        config = train_config(
            minutes=o["minutes"], epochs=o["epochs"], input_size=parse_size(o["input_size"]), seed=o["seed"],
            threads=threads, augment=o["augment"], keep=o["keep"], learning_rate=o["learning_rate"],
        )
        config = replace(config, frozen_blocks=o["frozen_blocks"], views=o["views"],
                         encoder_learning_rate=o["encoder_learning_rate"])
        budget_started = time.monotonic()
        load_during: list[float] = []
        if test is None:
            scored, timings, folds = self.cross_validate(imported, names, config, o, load_during)
        else:
            scored, timings, folds = self.train_and_test(imported, test, names, config, o, load_during)
        minutes = (time.monotonic() - budget_started) / 60
        probabilities = np.array([p for p, _, _ in scored])
        truth = np.array([names.index(t) for _, t, _ in scored])
        figures = single_label_report(probabilities, truth, names)
        figures["thresholded"] = self.thresholded(scored, names)
        figures.update({
            "minutes": round(minutes, 2), "import_minutes": round(import_seconds / 60, 2),
            "ms_per_frame": round(float(np.median(timings)), 1) if timings else None,
            "images": len(scored), "classes": names, "folds": folds,
            "protocol": "test-dir" if test is not None else f"{o['folds']}-fold cross-validation",
            "config": {k: v for k, v in config.to_dict().items() if k in (
                "input_size", "frozen_blocks", "views", "augment", "learning_rate", "keep", "classifier_batch_size",
                "encoder_learning_rate")},
            "machine": {"cpus": os.cpu_count(), "torch_threads": threads,
                        "loadavg_before": [round(v, 2) for v in load_before],
                        "loadavg_1min_during_mean": round(float(np.mean(load_during)), 2) if load_during else None,
                        "loadavg_after": [round(v, 2) for v in os.getloadavg()]},
        })
        self.stdout.write(self.summary(figures))
        if o["json_out"]:
            Path(o["json_out"]).write_text(json.dumps(figures, indent=1))

    # --- steps ---

    def import_folder(self, folder: Path, mapping: dict, o: dict) -> list[FrameSequence]:
        self.stderr.write(f"importing {folder.name} …")
        report = import_class_folders(root=folder, mapping=mapping, procedure=Procedure.OTHER,
                                      deidentify=not o["no_deidentify"])
        for line in report.skipped:
            self.stderr.write(f"skipped {line}")
        self.stderr.write(f"{len(report.sequences)} images: "
                          + ", ".join(f"{t} {n}" for t, n in report.per_tag.items()))
        return report.sequences

    @staticmethod
    def class_tags(sequences: list[FrameSequence]) -> list[Tag]:
        ids = FrameFinding.objects.filter(sequence__in=sequences).values_list("tag_id", flat=True)
        return list(Tag.objects.filter(pk__in=set(ids)).order_by("order", "kind", "name"))

    @staticmethod
    def class_of(sequences: list[FrameSequence]) -> dict[int, str]:
        """Sequence id → its one class (an image of several classes is not scored as one class: left out)."""
        classes: dict[int, list[str]] = {}
        for sequence_id, name in FrameFinding.objects.filter(sequence__in=sequences).values_list(
                "sequence_id", "tag__name"):
            classes.setdefault(sequence_id, []).append(name)
        return {sid: names[0] for sid, names in classes.items() if len(set(names)) == 1}

    def split_train_val(self, ids: list[int], class_of: dict[int, str], o: dict) -> tuple[list[int], list[int]]:
        """A stratified validation share of ``ids``."""
        every = max(2, round(1 / o["val_fraction"]))
        fold = stratified_folds([sorted(set(class_of.values())).index(class_of.get(i, "")) if i in class_of else 0
                                 for i in ids], every, o["seed"] + 1)
        return [i for i, f in zip(ids, fold, strict=True) if f != 0], [i for i, f in zip(ids, fold, strict=True)
                                                                        if f == 0]

    def samples(self, ids: list[int], names: list[str]) -> list:
        """The images of ``ids`` as training samples, through an export as training reads them."""
        tags = list(Tag.objects.filter(name__in=names))
        export = create_export(name="all images", sequences=FrameSequence.objects.filter(pk__in=ids), tags=tags,
                               split={"train": ids, "val": [], "test": []}, enqueue=False)
        try:
            run_export(export.id)
            export.refresh_from_db()
            return load_export(export_path(export.file.name)).splits["train"]
        finally:
            export.refresh_from_db()
            delete_export(export=export)

    def train(self, split: dict[str, list[int]], names: list[str], config: TrainConfig, cache: FeatureCache,
              name: str, load_during: list[float], minutes: Callable[[], float] | None = None):
        """Export ``split``, read it and train on it; ``minutes()``, asked once the export is read, is the
        training's budget (default: ``config.minutes``)."""
        tags = list(Tag.objects.filter(name__in=names))
        export = create_export(name=name, sequences=FrameSequence.objects.filter(
            pk__in=[i for ids in split.values() for i in ids]), tags=tags, split=split, enqueue=False)
        try:
            run_export(export.id)
            export.refresh_from_db()
            if not export.file:
                raise CommandError(f"Export {export.id} failed: {export.error}")
            data = load_export(export_path(export.file.name))
        finally:
            export.refresh_from_db()
            delete_export(export=export)

        def on_epoch(metrics) -> bool:
            load_during.append(os.getloadavg()[0])
            self.stderr.write(f"{name}: {metrics.summary()}")
            return True

        if minutes is not None:
            budget = minutes()
            if budget <= 0:
                raise CommandError(f"{name}: no time left to train within --minutes.")
            config = replace(config, minutes=budget)
        return train_on_export(data, config, cache=cache, on_epoch=on_epoch)

    def score(self, result, sequences: list[int], class_of: dict[int, str], timings: list[float]) -> list:
        segmenter = TrainedNetwork(result.checkpoint)
        scored = []
        frames = Frame.objects.filter(sequence_id__in=sequences, index=0).order_by("sequence_id")
        for frame in frames:
            if frame.sequence_id not in class_of:
                continue
            image = np.ascontiguousarray(frame_rgb(frame))
            begun = time.perf_counter()
            prediction = segmenter.predict(image)
            timings.append((time.perf_counter() - begun) * 1000)
            probabilities = [prediction.findings[n] for n in segmenter.finding_names]
            scored.append((probabilities, class_of[frame.sequence_id], prediction.shown))
        return scored

    def cross_validate(self, sequences: list[FrameSequence], names: list[str], config: TrainConfig, o: dict,
                       load_during: list[float]):
        class_of = self.class_of(sequences)
        ids = sorted(s.id for s in sequences)
        fold_of = stratified_folds([names.index(class_of[i]) if i in class_of else -1 for i in ids], o["folds"],
                                   o["seed"])
        cache, scored, timings, folds = FeatureCache(), [], [], []
        started = time.monotonic()
        # Every image's frozen features once, before the folds (within the minutes): each fold then trains only.
        precompute_features(self.samples(ids, names), config=config, cache=cache)
        self.stderr.write(f"frozen features of {len(cache.features)} images: {time.monotonic() - started:.0f} s")
        deadline = started + config.minutes * 60
        for fold in range(o["folds"]):
            held = [i for i, f in zip(ids, fold_of, strict=True) if f == fold]
            train_ids, val_ids = self.split_train_val([i for i, f in zip(ids, fold_of, strict=True) if f != fold],
                                                      class_of, o)

            def fold_minutes(fold: int = fold, held: list[int] = held) -> float:
                # What is left, shared by this fold and those after it, less this fold's scoring (at the speed
                # measured so far): exporting, reading and scoring count within --minutes.
                scoring = len(held) * (float(np.median(timings)) / 1000 if timings else 0.1)
                return ((deadline - time.monotonic()) / (o["folds"] - fold) - scoring) / 60

            result = self.train({"train": train_ids, "val": val_ids, "test": held}, names, config, cache,
                                f"fold {fold + 1}", load_during, minutes=fold_minutes)
            fold_scores = self.score(result, held, class_of, timings)
            report = single_label_report(np.array([p for p, _, _ in fold_scores]),
                                         np.array([names.index(t) for _, t, _ in fold_scores]), names)
            folds.append({"fold": fold + 1, "images": len(held), "epochs": len(result.history),
                          "macro_f1": report["macro_f1"], "accuracy": report["accuracy"],
                          "thresholds": dict(zip(result.checkpoint.finding_names,
                                                 result.checkpoint.finding_thresholds, strict=True))})
            self.stderr.write(f"fold {fold + 1}: macro F1 {report['macro_f1']:.3f}, accuracy {report['accuracy']:.3f}"
                              f" ({len(result.history)} epochs)")
            scored += fold_scores
        return scored, timings, folds

    def train_and_test(self, sequences: list[FrameSequence], test: list[FrameSequence], names: list[str],
                       config: TrainConfig, o: dict, load_during: list[float]):
        class_of = self.class_of(sequences)
        train_ids, val_ids = self.split_train_val(sorted(s.id for s in sequences), class_of, o)
        test_class = self.class_of(test)
        unknown = sorted(set(test_class.values()) - set(names))
        if unknown:
            raise CommandError(f"--test-dir has classes the training set has not: {', '.join(unknown)}.")
        result = self.train({"train": train_ids, "val": val_ids, "test": []}, names, config, FeatureCache(),
                            "all", load_during)
        timings: list[float] = []
        scored = self.score(result, sorted(test_class), test_class, timings)
        return scored, timings, [{"epochs": len(result.history)}]

    @staticmethod
    def thresholded(scored: list, names: list[str]) -> dict:
        shown = np.array([[n in decided for n in names] for _, _, decided in scored], bool)
        truth = np.array([[n == t for n in names] for _, t, _ in scored], bool)
        per_class = {}
        for k, name in enumerate(names):
            true_positive = int((shown[:, k] & truth[:, k]).sum())
            total = int(shown[:, k].sum() + truth[:, k].sum())
            per_class[name] = {"f1": 1.0 if total == 0 else 2 * true_positive / total}
        return {"per_class": per_class, "macro_f1": float(np.mean([v["f1"] for v in per_class.values()]))}

    @staticmethod
    def summary(figures: dict) -> str:
        lines = [f"{figures['protocol']}, {figures['images']} images, {figures['minutes']} minutes of training: "
                 f"macro F1 {figures['macro_f1']:.3f}, macro AUC {figures['macro_auc']:.4f}, "
                 f"accuracy {figures['accuracy']:.3f}, {figures['ms_per_frame']} ms/frame"]
        for name, values in figures["per_class"].items():
            auc = "—" if values["auc"] is None else f"{values['auc']:.4f}"
            lines.append(f"  {name:24s} F1 {values['f1']:.3f}  AUC {auc}  support {values['support']}")
        lines.append(f"  thresholded (as the product decides): macro F1 {figures['thresholded']['macro_f1']:.3f}")
        machine = figures["machine"]
        lines.append(f"  load average before {machine['loadavg_before']}, "
                     f"during {machine['loadavg_1min_during_mean']}, {machine['torch_threads']} torch thread(s)")
        return "\n".join(lines)
