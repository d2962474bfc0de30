"""Training the frame-level findings classifier (an export of findings without masks).

Framework-free (numpy, OpenCV, torch). The method: the ImageNet-pretrained EfficientNet-Lite0
(:class:`training.network.FindingsClassifier`) keeps its first ``frozen_blocks`` block stages as they are; their
output is computed once for every training frame in ``views`` versions (the frame, its three flips, then random
rotations, scalings and mild colour changes, :func:`view`) and kept (:class:`FeatureCache`); only the last stages,
the head convolution and the linear layer are fine-tuned, each step on a random view of each frame. Computing
the frozen part once is what makes fine-tuning affordable on a CPU: the frozen stages are ~90 % of the
arithmetic, and the fine-tuned ones run on 1/16 or 1/32 of the pixels.

Loss: binary cross-entropy per finding (multi-label: a frame may show a landmark and a quality finding), each
finding's positives weighted by its negatives / positives (:func:`training.recognition.class_weights`) so rare
classes count. After training, the probability threshold of each finding is chosen on the validation frames
(:func:`training.recognition.choose_thresholds`) and stored with the checkpoint.
"""

from __future__ import annotations

import copy
import logging
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch.nn import functional as F

from .network import CLASSIFIER, Checkpoint, FindingsClassifier, NetworkConfig, build_network, normalise
from .recognition import choose_thresholds, class_weights, recognition_report
from .trainer import (
    HEARTBEAT_SECONDS,
    EpochMetrics,
    Sample,
    TrainConfig,
    TrainResult,
    augment,
    choose_threads,
    pick_device,
    resize_sample,
)

logger = logging.getLogger(__name__)

FLIPS = 4  # views 0-3: the frame, mirrored left-right, up-down, both


def view(image: np.ndarray, number: int, rng: random.Random, strength: str) -> np.ndarray:
    """View ``number`` of uint8 (H, W, 3) ``image``: 0 itself, 1-3 its flips, above that a random ``augment``
    (rotation, scale, shift, colour) of ``strength``, or another flip when ``strength`` is "none"."""
    if number >= FLIPS and strength != "none":
        return augment(image, np.zeros((0, *image.shape[:2]), np.uint8), rng, strength)[0]
    flip = number % FLIPS
    if flip & 1:
        image = image[:, ::-1]
    if flip & 2:
        image = image[::-1]
    return np.ascontiguousarray(image)


class FeatureCache:
    """The frozen part's output per frame and view, float16 (V, C, h, w), kept across trainings that share the
    same frozen part (the folds of a cross-validation): keyed by ``Sample.key`` (frames without a key are
    computed each time). ``signature`` says what the features depend on; a training with another one
    clears the cache."""

    def __init__(self) -> None:
        self.signature: tuple | None = None
        self.features: dict[str, torch.Tensor] = {}

    def prepare(self, signature: tuple) -> None:
        if signature != self.signature:
            self.signature, self.features = signature, {}


@torch.no_grad()
def frozen_features(
    network: FindingsClassifier, samples: Sequence[Sample], *, config: TrainConfig, views: int,
    cache: FeatureCache, device: torch.device, on_heartbeat: Callable[[], None] | None = None,
    batch_size: int = 16,
) -> torch.Tensor:
    """float16 (N, views, C, h, w): the frozen part's features of every sample's first ``views`` views."""
    network.eval()
    missing = [s for s in samples if not s.key or s.key not in cache.features]
    last_beat = time.monotonic()
    computed: dict[int, torch.Tensor] = {}
    for start in range(0, len(missing), batch_size):
        batch = missing[start:start + batch_size]
        # Each frame's random views come from its own seed: the same frame gets the same views in every fold.
        images = [resize_sample(s, config.input_size)[0] for s in batch]
        rows = []
        for number in range(views):
            pixels = np.stack([
                view(image, number, random.Random(f"{config.seed}-{s.key or id(s)}-{number}"), config.augment)
                for s, image in zip(batch, images, strict=True)
            ])
            tensor = normalise(torch.from_numpy(pixels).permute(0, 3, 1, 2).contiguous().to(device))
            rows.append(network.frozen_features(tensor, config.frozen_blocks).half().cpu())
        for index, sample in enumerate(batch):
            features = torch.stack([row[index] for row in rows])
            if sample.key:
                cache.features[sample.key] = features
            else:
                computed[id(sample)] = features
        if on_heartbeat is not None and time.monotonic() - last_beat > HEARTBEAT_SECONDS:
            on_heartbeat()
            last_beat = time.monotonic()
    return torch.stack([cache.features[s.key] if s.key else computed[id(s)] for s in samples])


def precompute_features(samples: Sequence[Sample], *, config: TrainConfig, cache: FeatureCache,
                        on_heartbeat: Callable[[], None] | None = None) -> None:
    """Fill ``cache`` with the frozen features of ``samples`` (those with a key) as :func:`train_classifier` with
    ``config`` would compute them: before the folds of a cross-validation, so that no fold pays for the others."""
    torch.set_num_threads(choose_threads(config.threads))
    device = pick_device(config.device)
    network = build_network(NetworkConfig(classes=0, findings=1, architecture=CLASSIFIER)).to(device)
    assert isinstance(network, FindingsClassifier)
    cache.prepare(_signature(config))
    frozen_features(network, [s for s in samples if s.key], config=config, views=config.views, cache=cache,
                    device=device, on_heartbeat=on_heartbeat)


def _signature(config: TrainConfig) -> tuple:
    return tuple(config.input_size), config.frozen_blocks, config.views, config.augment, config.seed


def _labels(samples: Sequence[Sample], count: int) -> np.ndarray:
    return np.stack([s.findings if s.findings is not None else np.zeros(count, np.float32) for s in samples]) > 0.5


@torch.no_grad()
def _probabilities(network: FindingsClassifier, features: torch.Tensor, frozen_blocks: int,
                   device: torch.device, batch_size: int = 64) -> np.ndarray:
    """Sigmoid probabilities (N, K) of view 0 (the frame as it is, as inference sees it)."""
    network.eval()
    out = []
    for start in range(0, len(features), batch_size):
        batch = features[start:start + batch_size, 0].float().to(device)
        out.append(torch.sigmoid(network.top(batch, frozen_blocks)).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, network.config.findings))


def train_classifier(
    *,
    train_samples: Sequence[Sample],
    val_samples: Sequence[Sample],
    finding_names: Sequence[str],
    config: TrainConfig,
    groups: Mapping[str, Sequence[str]] | None = None,
    cache: FeatureCache | None = None,
    on_epoch: Callable[[EpochMetrics], bool] | None = None,
    on_heartbeat: Callable[[], None] | None = None,
) -> TrainResult:
    """Fine-tune the findings classifier on ``train_samples`` (their ``findings``) within ``config``'s epochs
    and minutes (the frozen features' computation counts); see the module docstring.

    Keeps the epoch of the lowest validation loss (``config.keep`` "best") or the last one. The checkpoint holds
    the thresholds chosen on ``val_samples`` (0.5 each without validation frames) and ``groups`` restricted
    to ``finding_names``. ``on_epoch`` returning False stops training (cancellation).
    """
    if not finding_names:
        raise ValueError("No frame-level finding to learn: the export has neither masks nor findings.")
    if not train_samples:
        raise ValueError("No training samples: the export's train split is empty.")
    if not 0 <= config.frozen_blocks <= 7:
        raise ValueError(f"frozen_blocks {config.frozen_blocks}: EfficientNet-Lite0 has 7 block stages (0 to 7).")
    started = time.monotonic()
    threads = choose_threads(config.threads)
    torch.set_num_threads(threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    device = pick_device(config.device)
    names = list(finding_names)
    groups = {g: [m for m in members if m in names] for g, members in (groups or {}).items()}
    groups = {g: members for g, members in groups.items() if len(members) >= 2}
    network_config = NetworkConfig(classes=0, findings=len(names), architecture=CLASSIFIER)
    network = build_network(network_config).to(device)
    assert isinstance(network, FindingsClassifier)
    notes = [f"{threads} torch thread(s), device {device}",
             f"classifier: first {config.frozen_blocks} of 7 block stages frozen, {config.views} views cached"]
    cache = cache if cache is not None else FeatureCache()
    cache.prepare(_signature(config))
    train_features = frozen_features(network, train_samples, config=config, views=config.views, cache=cache,
                                     device=device, on_heartbeat=on_heartbeat)
    # Validation frames through the same cache: in a cross-validation they are other folds' training frames.
    val_features = frozen_features(network, val_samples, config=config, views=config.views, cache=cache,
                                   device=device, on_heartbeat=on_heartbeat)[:, :1] if val_samples else None
    train_labels = _labels(train_samples, len(names))
    val_labels = _labels(val_samples, len(names)) if val_samples else None
    targets = torch.from_numpy(train_labels.astype(np.float32))
    pos_weight = torch.from_numpy(class_weights(train_labels)).to(device)
    notes.append("positives weighted " + ", ".join(f"{n} {w:.1f}" for n, w in zip(names, pos_weight.tolist(),
                                                                                     strict=True)))
    parameters = [p for module in network.top_modules(config.frozen_blocks) for p in module.parameters()]
    head = list(network.findings.parameters())
    head_ids = {id(p) for p in head}
    # The pretrained stages move at a fraction of the new linear layer's rate: adjusted, not overwritten.
    optimizer = torch.optim.AdamW(
        [{"params": [p for p in parameters if id(p) not in head_ids], "scale": config.encoder_learning_rate},
         {"params": head, "scale": 1.0}], lr=config.learning_rate, weight_decay=1e-2)
    batch_size = config.classifier_batch_size
    steps_per_epoch = max(1, len(train_samples) // batch_size)
    total_steps = steps_per_epoch * config.epochs
    prepared_at = time.monotonic()
    budget = config.minutes * 60 - (prepared_at - started) if config.minutes else None
    if budget is not None and budget <= 0:
        raise ValueError(f"{config.minutes} minutes were spent computing the frozen features: no time to train.")

    def progress(step: int) -> float:
        by_time = (time.monotonic() - prepared_at) / budget if budget else 0.0
        return min(1.0, max(step / total_steps, by_time))

    def learning_rate(p: float) -> float:  # linear warm-up, then cosine to 2% of the peak
        if p < config.warmup_fraction:
            return config.learning_rate * max(0.05, p / config.warmup_fraction)
        q = (p - config.warmup_fraction) / (1 - config.warmup_fraction)
        return config.learning_rate * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * q)))

    history: list[EpochMetrics] = []
    best_state, best_epoch, best_loss = None, 0, None
    stopped_by, step, last_beat = "epochs", 0, time.monotonic()
    for epoch in range(1, config.epochs + 1):
        for module in network.top_modules(config.frozen_blocks):
            module.train()
        network.dropout.train()
        order = rng.permutation(len(train_samples))
        losses = []
        for start in range(0, len(order) - batch_size + 1 if len(order) >= batch_size else 1, batch_size):
            if budget and progress(step) >= 1.0:
                break
            batch = order[start:start + batch_size]
            if len(batch) < 2:
                continue  # batch norm needs two samples
            views = rng.integers(0, config.views, len(batch))
            features = train_features[torch.from_numpy(batch), torch.from_numpy(views)].float().to(device)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(progress(step)) * group["scale"]
            logits = network.top(features, config.frozen_blocks)
            loss = F.binary_cross_entropy_with_logits(logits, targets[batch].to(device), pos_weight=pos_weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            step += 1
            if on_heartbeat is not None and time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                on_heartbeat()
                last_beat = time.monotonic()
        val_loss = val_auc = None
        if val_features is not None:
            probabilities = _probabilities(network, val_features, config.frozen_blocks, device)
            clipped = np.clip(probabilities, 1e-6, 1 - 1e-6)
            val_loss = float(-np.mean(val_labels * np.log(clipped) + (~val_labels) * np.log(1 - clipped)))
            val_auc = recognition_report(probabilities, val_labels, names)["macro_auc"]
        metrics = EpochMetrics(
            epoch=epoch, train_loss=float(np.mean(losses)) if losses else None, val_loss=val_loss, val_dice=None,
            val_dice_per_class={}, learning_rate=optimizer.param_groups[-1]["lr"],
            seconds=time.monotonic() - started, val_auc=val_auc,
        )
        history.append(metrics)
        logger.info("%s", metrics.summary())
        if config.keep == "best" and val_loss is not None and (best_loss is None or val_loss < best_loss):
            best_state, best_epoch, best_loss = copy.deepcopy(network.state_dict()), epoch, val_loss
        if on_epoch is not None and on_epoch(metrics) is False:
            stopped_by = "cancelled"
            break
        if budget and progress(step) >= 1.0:
            stopped_by = "minutes"
            break
    if best_state is not None:
        network.load_state_dict(best_state)
    else:
        best_epoch = history[-1].epoch if history else 0
    thresholds = [0.5] * len(names)
    if val_features is not None:
        thresholds = choose_thresholds(_probabilities(network, val_features, config.frozen_blocks, device),
                                       val_labels)
    checkpoint = Checkpoint(
        network=network_config, state_dict={k: v.detach().cpu() for k, v in network.state_dict().items()},
        class_names=[], finding_names=names, input_size=tuple(config.input_size),
        metrics={"best_epoch": best_epoch, "best_val_loss": best_loss}, finding_thresholds=thresholds,
        finding_groups=groups,
    )
    return TrainResult(checkpoint=checkpoint, history=history, best_epoch=best_epoch, best_val_dice=None,
                       stopped_by=stopped_by, seconds=time.monotonic() - started, notes=notes)
