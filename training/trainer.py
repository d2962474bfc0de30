"""Training the segmentation network on exported samples: augmentation, Dice+BCE loss, validation Dice.

Framework-free (numpy, OpenCV, torch). The Django adapter (:mod:`training.services`) loads an export,
calls :func:`train` and stores what it returns; the benchmark and the tests call the same function.

Conventions: images are uint8 RGB (H, W, 3); masks are bool (C, H, W), one channel per class (tag), in
the order of ``class_names``; frame-level findings are float32 (K,) in {0, 1}.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.nn import functional as F

from vision.metrics import dice

from .network import PRETRAINED, Checkpoint, NetworkConfig, build_network, normalise
from .recognition import choose_thresholds, class_weights, recognition_report

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0


@dataclass
class Sample:
    """One frame to learn from: ``image`` uint8 (H, W, 3) RGB, ``masks`` bool (C, H, W), ``group`` its sequence."""

    image: np.ndarray
    masks: np.ndarray
    group: str = ""
    findings: np.ndarray | None = None  # float32 (K,), only when the classification head is on
    key: str = ""  # names the frame (its id), so features computed once can be found again (training.classifier)
    masked: bool = True  # False: nobody drew masks on this frame (it has findings only); its masks are unknown


@dataclass
class TrainConfig:
    epochs: int = 300
    minutes: float | None = None  # wall-time budget; training stops at whichever of epochs/minutes comes first
    batch_size: int = 4  # small batches: more updates for the same CPU time
    input_size: tuple[int, int] = (192, 256)  # (H, W) frames are resized to
    learning_rate: float = 2e-3
    encoder_learning_rate: float = 0.5  # the pretrained encoder's rate, as a share of learning_rate
    weight_decay: float = 1e-4
    warmup_fraction: float = 0.03
    augment: str = "full"  # none, light or full (see augment())
    seed: int = 0
    threads: int = 0  # 0: choose by the machine's load (see choose_threads)
    device: str = ""  # empty: cuda when available, else cpu
    architecture: str = PRETRAINED  # see training.network
    widths: tuple[int, ...] | None = None  # None: the architecture's (see network.DEFAULT_WIDTHS)
    findings_head: bool = False
    findings_weight: float = 0.2
    init: str | None = None  # a checkpoint to start from (weights whose shapes match are loaded)
    ema_decay: float = 0.98  # 0 turns the weight average off
    keep: str = "best"  # the checkpoint: "best" validation epoch, or "last" (no choice made on validation data)
    validate_every: int = 1  # epochs between validations (the last epoch is always validated)
    # The findings classifier (an export without masks, training.classifier): block stages of the pretrained
    # encoder kept frozen, augmented views of each frame whose frozen features are computed once, batch size.
    frozen_blocks: int = 6
    views: int = 6
    classifier_batch_size: int = 32

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class EpochMetrics:
    epoch: int
    train_loss: float | None  # None when the time budget ran out before the epoch's first batch
    val_loss: float | None
    val_dice: float | None  # mean over classes of (mean over sequences of the mean over their frames)
    val_dice_per_class: dict[str, float]
    learning_rate: float
    seconds: float  # since training started
    val_auc: float | None = None  # mean ROC AUC of the frame-level findings on the validation frames

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """One line for a log or a terminal."""
        def fmt(value: float | None, digits: int) -> str:
            return "—" if value is None else f"{value:.{digits}f}"

        auc = f"  val AUC {fmt(self.val_auc, 3)}" if self.val_auc is not None else ""
        return (f"epoch {self.epoch:4d}  loss {fmt(self.train_loss, 4)}  val Dice {fmt(self.val_dice, 3)}{auc}  "
                f"lr {self.learning_rate:.2e}  {self.seconds:6.0f} s")


@dataclass
class TrainResult:
    checkpoint: Checkpoint
    history: list[EpochMetrics]
    best_epoch: int
    best_val_dice: float | None
    stopped_by: str  # "epochs", "minutes" or "cancelled"
    seconds: float
    initial_val_dice: float | None = None  # the untrained (or --init) network's, for comparison
    notes: list[str] = field(default_factory=list)


def choose_threads(requested: int = 0, *, cpus: int | None = None, load: float | None = None) -> int:
    """Torch threads for training: ``requested`` if above 0, else 2 (at most the CPU count) on an idle
    machine and 1 on a busy one.

    Measured on the project's 2-core machine under a load average of ~8: one thread trained 2.6× faster
    than two, whose workers spin waiting for each other whenever the other is descheduled.
    """
    if requested > 0:
        return requested
    cpus = cpus or os.cpu_count() or 1
    load = os.getloadavg()[0] if load is None else load
    return 1 if load >= cpus - 0.5 else min(2, cpus)


def pick_device(name: str = "") -> torch.device:
    if name:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


# --- metrics -------------------------------------------------------------------------------------------


def mean_dice(scores: Sequence[float], groups: Sequence[str]) -> float:
    """Average per group (sequence) over its frames, then over groups, as BENCHMARKS.md asks."""
    by_group: dict[str, list[float]] = {}
    for score, group in zip(scores, groups, strict=True):
        by_group.setdefault(group, []).append(score)
    return float(np.mean([np.mean(v) for v in by_group.values()])) if by_group else float("nan")


# --- data preparation and augmentation -----------------------------------------------------------------


def resize_sample(sample: Sample, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The sample at (H, W) = ``size``: uint8 (H, W, 3) image, uint8 (C, H, W) masks in {0, 1}."""
    height, width = size
    image = cv2.resize(sample.image, (width, height), interpolation=cv2.INTER_AREA)
    masks = np.stack([
        cv2.resize(m.astype(np.float32), (width, height), interpolation=cv2.INTER_AREA) >= 0.5
        for m in sample.masks
    ]).astype(np.uint8) if len(sample.masks) else np.zeros((0, height, width), np.uint8)
    return image, masks


AUGMENTATIONS = ("none", "light", "full")


def augment(
    image: np.ndarray, masks: np.ndarray, rng: random.Random, strength: str = "light"
) -> tuple[np.ndarray, np.ndarray]:
    """A random flip, scale/rotate/shift and colour change of uint8 (H, W, 3) and uint8 (C, H, W).

    Endoscopes rotate freely and meet lesions at any distance, so geometric changes are realistic;
    colour changes stand in for other scopes, light sources and white balances. ``strength`` "full" (the
    default: rotation ±30°, scale 0.8–1.3, strong colour changes, most of the time) or "light" (every flip,
    milder warps and colours half the time). With a dozen polyps to learn from, the network over-fits them
    within minutes: on CVC-ClinicDB cross-validation folds (10 minutes, one core each), "light" peaked early
    (epoch 4 of 67 on one fold) and fell back, "full" went on improving; last-epoch Dice 0.534 against 0.514
    and 0.737 against 0.740. Only in very short runs (~5 busy minutes) does "full" fit too slowly to pay off.
    """
    if strength == "none":
        return image, masks
    full = strength == "full"
    height, width = image.shape[:2]
    if rng.random() < 0.5:
        image, masks = image[:, ::-1], masks[:, :, ::-1]
    if rng.random() < 0.5:
        image, masks = image[::-1], masks[:, ::-1]
    if rng.random() < (0.8 if full else 0.4):
        angle = rng.uniform(-30, 30) if full else rng.uniform(-12, 12)
        scale = math.exp(rng.uniform(math.log(0.8), math.log(1.3)) if full else rng.uniform(-0.1, 0.1))
        shift = 0.1 if full else 0.05
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, scale)
        matrix[:, 2] += (rng.uniform(-shift, shift) * width, rng.uniform(-shift, shift) * height)
        image = cv2.warpAffine(np.ascontiguousarray(image), matrix, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
        masks = np.stack([
            cv2.warpAffine(np.ascontiguousarray(m), matrix, (width, height), flags=cv2.INTER_NEAREST,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            for m in masks
        ]) if len(masks) else masks
    if rng.random() < (0.8 if full else 0.5):
        k = 1.0 if full else 0.5  # how far colours may move
        pixels = np.ascontiguousarray(image).astype(np.float32) / 255.0
        gray = pixels.mean(axis=2, keepdims=True)
        pixels = gray + (pixels - gray) * (1 + k * rng.uniform(-0.3, 0.3))  # saturation
        pixels = (pixels - 0.5) * (1 + k * rng.uniform(-0.25, 0.25)) + 0.5 + k * rng.uniform(-0.12, 0.12)
        pixels = pixels * np.array([1 + k * rng.uniform(-0.1, 0.1) for _ in range(3)], np.float32)  # white balance
        pixels = np.clip(pixels, 0, 1) ** math.exp(k * rng.uniform(-0.29, 0.29))  # gamma
        image = (np.clip(pixels, 0, 1) * 255).astype(np.uint8)
    return np.ascontiguousarray(image), np.ascontiguousarray(masks)


# --- loss ----------------------------------------------------------------------------------------------


def dice_bce_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """BCE plus soft Dice over the batch, per channel, averaged. ``logits`` and ``target`` (N, C, H, W).

    BCE alone under-segments small lesions (background dominates); Dice alone is unstable early.
    """
    bce = F.binary_cross_entropy_with_logits(logits, target)
    prob = torch.sigmoid(logits)
    intersection = (prob * target).sum(dim=(0, 2, 3))
    total = prob.sum(dim=(0, 2, 3)) + target.sum(dim=(0, 2, 3))
    soft_dice = (2 * intersection + 1.0) / (total + 1.0)
    return bce + (1 - soft_dice).mean()


# --- training ------------------------------------------------------------------------------------------


def _batches(items: list, size: int) -> list[list]:
    return [items[i: i + size] for i in range(0, len(items), size)]


def _to_tensors(pairs: list[tuple[np.ndarray, np.ndarray]], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    # contiguous(): a permuted (channels-last) batch crashes torch 2.14.1's CPU convolution backward
    # (segmentation fault) for narrow layers (8 channels); plain NCHW does not.
    images = torch.from_numpy(np.stack([p[0] for p in pairs])).permute(0, 3, 1, 2).contiguous().to(device)
    masks = torch.from_numpy(np.stack([p[1] for p in pairs])).float().to(device)
    return normalise(images), masks


def _parameter_groups(network: torch.nn.Module, config: TrainConfig) -> list[dict]:
    """The optimizer's groups: a pretrained encoder learns at ``encoder_learning_rate`` × the decoder's rate
    (its ImageNet features are kept, adjusted, not overwritten by the first noisy updates)."""
    encoder = getattr(network, "encoder", None)
    if encoder is None:
        return [{"params": list(network.parameters()), "scale": 1.0}]
    own = {id(p) for p in encoder.parameters()}
    rest = [p for p in network.parameters() if id(p) not in own]
    return [{"params": list(encoder.parameters()), "scale": config.encoder_learning_rate},
            {"params": rest, "scale": 1.0}]


def load_initial_weights(network: torch.nn.Module, path: str) -> list[str]:
    """Load the weights of ``path`` whose names and shapes match; returns notes on what was skipped."""
    try:
        state = Checkpoint.load(path).state_dict
    except ValueError:
        state = torch.load(path, map_location="cpu", weights_only=True)  # a bare state_dict
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
    own = network.state_dict()
    usable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    network.load_state_dict(usable, strict=False)
    skipped = sorted(set(own) - set(usable))
    notes = [f"--init {Path(path).name}: {len(usable)} of {len(own)} tensors loaded"]
    if skipped:
        notes.append(f"kept random (name or shape differs): {', '.join(skipped[:8])}{' …' if len(skipped) > 8 else ''}")
    return notes


@torch.no_grad()
def findings_probabilities(
    network: torch.nn.Module, samples: Sequence[Sample], *, input_size: tuple[int, int], device: torch.device,
    batch_size: int = 8,
) -> np.ndarray:
    """Sigmoid probabilities (N, K) of the network's frame-level findings on ``samples``."""
    network.eval()
    probabilities = []
    for batch in _batches(list(samples), batch_size):
        images, _ = _to_tensors([resize_sample(s, input_size) for s in batch], device)
        probabilities.append(torch.sigmoid(network(images)["findings"]).cpu().numpy())
    return np.concatenate(probabilities) if probabilities else np.zeros((0, 0), np.float32)


def findings_scores(
    network: torch.nn.Module, samples: Sequence[Sample], *, input_size: tuple[int, int], device: torch.device,
    finding_names: Sequence[str], thresholds: Sequence[float] | None = None,
    groups: dict[str, list[str]] | None = None, batch_size: int = 8,
) -> dict:
    """How the classification head recognises the findings of ``samples`` (those with findings): see
    :func:`training.recognition.recognition_report` (per finding AUC, F1 at its threshold, support; macro means;
    the confusion of each exclusive group). Empty without such samples."""
    scored = [s for s in samples if s.findings is not None and len(s.findings) == len(finding_names)]
    if not scored or not finding_names:
        return {}
    probabilities = findings_probabilities(network, scored, input_size=input_size, device=device,
                                           batch_size=batch_size)
    labels = np.stack([s.findings for s in scored]) > 0.5
    return recognition_report(probabilities, labels, list(finding_names), thresholds=thresholds, groups=groups)


@torch.no_grad()
def evaluate(
    network: torch.nn.Module, samples: Sequence[Sample], *, input_size: tuple[int, int], device: torch.device,
    class_names: Sequence[str], batch_size: int = 8,
) -> tuple[float, float, dict[str, float]]:
    """(loss, mean Dice, Dice per class) of ``network`` on ``samples``, scored at each frame's own size; frames
    without masks drawn (``Sample.masked`` False) are left out."""
    network.eval()
    samples = [s for s in samples if s.masked]
    losses: list[float] = []
    per_class: dict[str, list[float]] = {name: [] for name in class_names}
    for batch in _batches(list(samples), batch_size):
        pairs = [resize_sample(s, input_size) for s in batch]
        images, masks = _to_tensors(pairs, device)
        logits = network(images)["masks"]
        losses.append(float(dice_bce_loss(logits, masks)) * len(batch))
        for sample, sample_logits in zip(batch, logits, strict=True):
            height, width = sample.image.shape[:2]
            full = F.interpolate(sample_logits[None], size=(height, width), mode="bilinear", align_corners=False)[0]
            predicted = (full > 0).cpu().numpy()
            for c, name in enumerate(class_names):
                per_class[name].append(dice(predicted[c], sample.masks[c]))
    groups = [s.group for s in samples]
    scores = {name: mean_dice(values, groups) for name, values in per_class.items()}
    return sum(losses) / max(1, len(samples)), float(np.mean(list(scores.values()))), scores


def train(
    *,
    train_samples: Sequence[Sample],
    val_samples: Sequence[Sample],
    class_names: Sequence[str],
    finding_names: Sequence[str] = (),
    config: TrainConfig,
    on_epoch: Callable[[EpochMetrics], bool] | None = None,
    on_heartbeat: Callable[[], None] | None = None,
    finding_groups: dict[str, Sequence[str]] | None = None,
) -> TrainResult:
    """Train a fresh (or ``config.init``) network; returns the checkpoint of the best validation epoch.

    With the classification head, its positives are weighted by each finding's rarity, and the checkpoint keeps
    each finding's threshold chosen on the validation frames and the exclusive ``finding_groups``.

    ``on_epoch`` is called after every epoch; returning False stops training (cancellation).
    ``on_heartbeat`` is called every ~10 s while training (a job's proof of life between epochs). With no
    validation samples, or ``config.keep`` "last", the last epoch is kept. Deterministic for a seed on CPU, up
    to thread timing.
    """
    if not train_samples:
        raise ValueError("No training samples: the export's train split is empty.")
    if not class_names:
        raise ValueError("No classes to learn: the export has no tag.")
    for sample in [*train_samples, *val_samples]:
        if sample.masks.shape[0] != len(class_names) or sample.masks.shape[1:] != sample.image.shape[:2]:
            raise ValueError(f"A sample's masks are {sample.masks.shape} for {len(class_names)} classes and an "
                             f"image of {sample.image.shape[:2]}; expected (classes, H, W).")
    started = time.monotonic()
    threads = choose_threads(config.threads)
    torch.set_num_threads(threads)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    device = pick_device(config.device)
    use_findings = config.findings_head and len(finding_names) > 0
    network_config = NetworkConfig(
        classes=len(class_names), findings=len(finding_names) if use_findings else 0,
        widths=tuple(config.widths) if config.widths else None, architecture=config.architecture,
    )
    network = build_network(network_config).to(device)
    notes: list[str] = [f"{threads} torch thread(s), device {device}"]
    if config.findings_head and not use_findings:
        notes.append("classification head requested but the export has no frame-level findings: head off")
    if config.init:
        notes += load_initial_weights(network, config.init)
    # Resize once: augmentation then works on small arrays, which is most of an epoch's CPU time otherwise.
    prepared = [resize_sample(s, config.input_size) for s in train_samples]
    findings = [s.findings for s in train_samples]
    masked = [s.masked for s in train_samples]
    pos_weight = None
    if use_findings:  # rare findings weigh as much as common ones (see recognition.class_weights)
        pos_weight = torch.from_numpy(class_weights(np.stack(findings) > 0.5)).to(device)
    optimizer = torch.optim.AdamW(_parameter_groups(network, config), lr=config.learning_rate,
                                  weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(prepared) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    budget = config.minutes * 60 if config.minutes else None

    def progress(step: int) -> float:
        by_steps = step / total_steps
        by_time = (time.monotonic() - started) / budget if budget else 0.0
        return min(1.0, max(by_steps, by_time))

    def learning_rate(p: float) -> float:  # linear warm-up, then cosine to 2% of the peak
        if p < config.warmup_fraction:
            return config.learning_rate * max(0.05, p / config.warmup_fraction)
        q = (p - config.warmup_fraction) / (1 - config.warmup_fraction)
        return config.learning_rate * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * q)))

    initial_dice = None
    if val_samples:
        _, initial_dice, _ = evaluate(network, val_samples, input_size=config.input_size, device=device,
                                      class_names=class_names)
    # Validation and the checkpoint use an exponential moving average of the weights: with a few hundred
    # frames and a high learning rate the raw weights' validation Dice swings by ±0.2 from one epoch to the
    # next; the average is steadier and usually better.
    averaged = torch.optim.swa_utils.AveragedModel(
        network, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(config.ema_decay), use_buffers=True
    ) if config.ema_decay > 0 else None
    scored = averaged.module if averaged is not None else network
    history: list[EpochMetrics] = []
    best_state, best_epoch, best_dice = None, 0, None
    stopped_by, step, last_beat = "epochs", 0, time.monotonic()
    for epoch in range(1, config.epochs + 1):
        network.train()
        order = list(range(len(prepared)))
        rng.shuffle(order)
        losses = []
        for batch in _batches(order, config.batch_size):
            if budget and progress(step) >= 1.0:
                break  # out of time mid-epoch: validate what there is and stop
            if len(batch) < 2 and len(order) >= 2:
                continue  # batch norm needs two samples; the leftover goes in the next epoch's shuffle
            pairs = [augment(*prepared[i], rng, config.augment) for i in batch]
            images, masks = _to_tensors(pairs, device)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(progress(step)) * group["scale"]
            out = network(images)
            drawn = torch.tensor([masked[i] for i in batch], device=device)
            # Frames with findings only have unknown masks: no segmentation loss on them.
            loss = dice_bce_loss(out["masks"][drawn], masks[drawn]) if bool(drawn.any()) else out["masks"].sum() * 0
            if "findings" in out:
                target = torch.from_numpy(np.stack([findings[i] for i in batch])).float().to(device)
                loss = loss + config.findings_weight * F.binary_cross_entropy_with_logits(
                    out["findings"], target, pos_weight=pos_weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if averaged is not None:
                averaged.update_parameters(network)
            losses.append(loss.item())
            step += 1
            if on_heartbeat is not None and time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                on_heartbeat()
                last_beat = time.monotonic()
        val_loss = val_dice = None
        per_class: dict[str, float] = {}
        finished = epoch == config.epochs or bool(budget and progress(step) >= 1.0)
        if val_samples and (finished or epoch % config.validate_every == 0):
            val_loss, val_dice, per_class = evaluate(
                scored, val_samples, input_size=config.input_size, device=device, class_names=class_names
            )
        metrics = EpochMetrics(
            epoch=epoch, train_loss=float(np.mean(losses)) if losses else None, val_loss=val_loss,
            val_dice=val_dice, val_dice_per_class=per_class,
            learning_rate=optimizer.param_groups[-1]["lr"], seconds=time.monotonic() - started,
        )
        history.append(metrics)
        logger.info("%s", metrics.summary())
        if config.keep == "best" and val_dice is not None and (best_dice is None or val_dice > best_dice):
            best_state, best_epoch, best_dice = copy.deepcopy(scored.state_dict()), epoch, val_dice
        if on_epoch is not None and on_epoch(metrics) is False:
            stopped_by = "cancelled"
            break
        if budget and progress(step) >= 1.0:
            stopped_by = "minutes"
            break
    if best_state is None and history:  # keep "last", or nothing to validate on: the last epoch
        best_epoch, best_dice = history[-1].epoch, history[-1].val_dice
    state = {k: v.detach().cpu() for k, v in (best_state or scored.state_dict()).items()}
    thresholds: list[float] = []
    if use_findings:  # each finding's threshold, chosen on the validation frames with the kept weights
        thresholds = [0.5] * len(finding_names)
        scored.load_state_dict(state)
        with_findings = [s for s in val_samples if s.findings is not None and len(s.findings) == len(finding_names)]
        if with_findings:
            probabilities = findings_probabilities(scored, with_findings, input_size=config.input_size,
                                                   device=device)
            thresholds = choose_thresholds(probabilities, np.stack([s.findings for s in with_findings]) > 0.5)
    checkpoint = Checkpoint(
        network=network_config, state_dict=state, class_names=list(class_names),
        finding_names=list(finding_names) if use_findings else [], input_size=tuple(config.input_size),
        metrics={"best_epoch": best_epoch, "best_val_dice": best_dice}, finding_thresholds=thresholds,
        finding_groups={g: [m for m in members if m in finding_names] for g, members in (finding_groups or {}).items()
                        if use_findings and sum(m in finding_names for m in members) >= 2},
    )
    return TrainResult(
        checkpoint=checkpoint, history=history, best_epoch=best_epoch, best_val_dice=best_dice,
        stopped_by=stopped_by, seconds=time.monotonic() - started, initial_val_dice=initial_dice, notes=notes,
    )
