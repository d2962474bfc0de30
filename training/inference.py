"""Running a trained network on frames (framework-free: numpy, OpenCV, torch).

``TrainedNetwork(checkpoint).predict(image)`` answers per-tag probability maps at the frame's own size and,
if the network has a classification head, frame-level finding scores. Pre-annotation and the live page
call this; a request, a job and a notebook all use it the same way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.nn import functional as F

from .network import Checkpoint, build_network, normalise
from .recognition import decide
from .trainer import pick_device


@dataclass
class Prediction:
    """``masks``: tag name → float32 (H, W) probability in [0, 1] at the input frame's size;
    ``findings``: finding name → probability that the frame shows it (empty without a classification head)."""

    masks: dict[str, np.ndarray]
    findings: dict[str, float] = field(default_factory=dict)
    shown: list[str] = field(default_factory=list)  # findings the frame is said to show (see TrainedNetwork.predict)

    def binary(self, threshold: float = 0.5) -> dict[str, np.ndarray]:
        """Tag name → bool (H, W) mask at ``threshold``."""
        return {name: prob >= threshold for name, prob in self.masks.items()}


class TrainedNetwork:
    """A trained segmentation network, loaded once, ready for one frame after another.

    Thread-safe: concurrent ``predict`` calls are serialised (torch already uses every core per call).
    ``flips`` turns on test-time flips (see ``__init__``).
    """

    def __init__(self, checkpoint: Checkpoint | str | Path, *, device: str = "", threads: int | None = None,
                 flips: bool = False):
        if not isinstance(checkpoint, Checkpoint):
            checkpoint = Checkpoint.load(checkpoint)
        if threads:
            torch.set_num_threads(threads)
        self.checkpoint = checkpoint
        self.class_names = list(checkpoint.class_names)
        self.finding_names = list(checkpoint.finding_names)
        self.input_size = tuple(checkpoint.input_size)
        # Checkpoints from before thresholds were chosen on the validation split say a finding at 0.5.
        self.finding_thresholds = list(checkpoint.finding_thresholds) or [0.5] * len(self.finding_names)
        self.finding_groups = dict(checkpoint.finding_groups)
        self.device = pick_device(device)
        self.network = build_network(checkpoint.network, pretrained=False)  # the checkpoint's weights follow
        self.network.load_state_dict(checkpoint.state_dict)
        self.network.to(self.device).eval()
        # Test-time flips: the network also sees the frame mirrored left-right, up-down and both, and the four
        # answers (flipped back) are averaged. Four times the arithmetic; for offline use, not the live page.
        self.flips = flips
        self._lock = threading.Lock()

    @torch.inference_mode()
    def predict(self, image: np.ndarray) -> Prediction:
        """Probability maps of uint8 RGB ``image`` (H, W, 3); see :class:`Prediction`. A finding is shown at or
        above the threshold the checkpoint holds for it, and of an exclusive group (e.g. the BBPS classes) only
        the most probable member (:func:`training.recognition.decide`)."""
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"Expected a uint8 (H, W, 3) RGB image, got {image.dtype} {image.shape}.")
        height, width = image.shape[:2]
        net_height, net_width = self.input_size
        small = cv2.resize(image, (net_width, net_height), interpolation=cv2.INTER_AREA)
        batch = normalise(torch.from_numpy(small).permute(2, 0, 1)[None].contiguous().to(self.device))
        with self._lock:
            out = self._forward_with_flips(batch) if self.flips else self.network(batch)
        masks = {}
        if "masks" in out:  # a findings classifier has none
            # Upsample logits, not probabilities: the 0.5 contour stays where the network put it.
            logits = F.interpolate(out["masks"], size=(height, width), mode="bilinear", align_corners=False)[0]
            probs = torch.sigmoid(logits).float().cpu().numpy()
            masks = {name: probs[i] for i, name in enumerate(self.class_names)}
        findings, shown = {}, []
        if "findings" in out:
            scores = torch.sigmoid(out["findings"][0]).float().cpu().numpy()
            findings = {name: float(scores[i]) for i, name in enumerate(self.finding_names)}
            decided = decide(scores[None], self.finding_names, self.finding_thresholds, self.finding_groups)[0]
            shown = [name for name, yes in zip(self.finding_names, decided, strict=True) if yes]
        return Prediction(masks=masks, findings=findings, shown=shown)

    def _forward_with_flips(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        """The network's logits averaged over the identity and three flips of ``batch`` (1, 3, H, W)."""
        dims = [(), (3,), (2,), (2, 3)]
        out = self.network(torch.cat([batch.flip(d) if d else batch for d in dims]))
        averaged = {}
        if "masks" in out:
            averaged["masks"] = torch.stack([out["masks"][i:i + 1].flip(d) if d else out["masks"][i:i + 1]
                                             for i, d in enumerate(dims)]).mean(dim=0)
        if "findings" in out:
            averaged["findings"] = out["findings"].mean(dim=0, keepdim=True)
        return averaged
