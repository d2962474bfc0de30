"""The segmentation networks: a U-Net on the pretrained EfficientNet-Lite0 (the default) and a compact U-Net
written in plain torch with no pretrained weights (``unet-lite``, kept as an option).

Framework-free (torch only). Input: float32 (N, 3, H, W), RGB scaled to [0, 1] and normalised by
:data:`MEAN` / :data:`STD` (ImageNet's statistics) whatever the architecture (the pretrained one converts to
its own normalisation inside, so checkpoints of either kind are run the same way); any H and W (multiples of 32
avoid rounding). Output: a dict with ``"masks"`` — logits (N, C, H, W), one channel per tag, read with a
sigmoid (multi-label: tags may overlap, e.g. a landmark region and the polyp on it); and ``"findings"`` —
logits (N, K) of frame-level findings when the classification head is on (K > 0), else absent.

``unet-efficientnet-lite0``: the encoder is :mod:`backbone.efficientnet` with its ImageNet weights (features at
strides 2 … 32), the decoder four light up-sampling blocks (``widths``: its channels at strides 2, 4, 8, 16,
and a 1×1 reduction of the stride-32 features). Pretrained features are what lets a network trained on a dozen
procedures recognise lesions in others (see the README's figures).

``unet-lite``: with the default widths (8, 16, 24, 32, 48) it has ~0.2 M parameters, so a busy 2-core CPU
trains it for dozens of epochs in 20 minutes at 96×128. Residual blocks and a dilated context block give the
receptive field polyps need without a deep encoder.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from backbone import efficientnet

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


PRETRAINED = "unet-efficientnet-lite0"
SMALL = "unet-lite"
CLASSIFIER = "classifier-efficientnet-lite0"
ARCHITECTURES = (PRETRAINED, SMALL)  # segmentation networks, offered to choose from
ARCHITECTURE_LABELS = {
    PRETRAINED: "U-Net on ImageNet-pretrained EfficientNet-Lite0 (default)",
    SMALL: "small U-Net, no pretrained weights",
}
#: Channel widths each architecture is built with unless told otherwise (see the module docstring).
DEFAULT_WIDTHS = {PRETRAINED: (16, 24, 32, 64, 96), SMALL: (8, 16, 24, 32, 48), CLASSIFIER: ()}


@dataclass(frozen=True)
class NetworkConfig:
    """What is needed to rebuild the network from a checkpoint (``widths`` None: the architecture's default)."""

    classes: int
    findings: int = 0
    widths: tuple[int, ...] | None = None
    architecture: str = PRETRAINED

    def __post_init__(self) -> None:
        if self.architecture not in (*ARCHITECTURES, CLASSIFIER):
            raise ValueError(f"Unknown architecture {self.architecture!r}; choose one of {', '.join(ARCHITECTURES)}.")
        if self.widths is None:
            object.__setattr__(self, "widths", DEFAULT_WIDTHS[self.architecture])

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> NetworkConfig:
        architecture = data.get("architecture", SMALL)  # checkpoints from before the pretrained default
        widths = data.get("widths")
        return cls(
            classes=int(data["classes"]), findings=int(data.get("findings", 0)),
            widths=tuple(int(w) for w in widths) if widths else None, architecture=architecture,
        )


def _conv_bn(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class ResidualBlock(nn.Module):
    """Two 3×3 convolutions with a shortcut; ``stride`` 2 halves the resolution."""

    def __init__(self, cin: int, cout: int, stride: int = 1, dilation: int = 1):
        super().__init__()
        self.body = nn.Sequential(
            _conv_bn(cin, cout, stride),
            nn.Conv2d(cout, cout, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(cout),
        )
        self.shortcut = (
            nn.Identity() if cin == cout and stride == 1
            else nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.shortcut(x), inplace=True)


class ContextBlock(nn.Module):
    """Parallel dilated convolutions and a global pooling branch at the coarsest scale (ASPP-like)."""

    def __init__(self, channels: int):
        super().__init__()
        branch = channels // 2
        self.branches = nn.ModuleList([_conv_bn(channels, branch, dilation=d) for d in (1, 2, 4)])
        self.pool = nn.Sequential(nn.Conv2d(channels, branch, 1), nn.ReLU(inplace=True))
        self.merge = nn.Sequential(nn.Conv2d(4 * branch, channels, 1, bias=False), nn.BatchNorm2d(channels),
                                   nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.pool(F.adaptive_avg_pool2d(x, 1)).expand(-1, -1, x.shape[2], x.shape[3])
        return x + self.merge(torch.cat([b(x) for b in self.branches] + [pooled], dim=1))


class UpBlock(nn.Module):
    def __init__(self, cin: int, skip: int, cout: int):
        super().__init__()
        self.fuse = nn.Sequential(_conv_bn(cin + skip, cout), _conv_bn(cout, cout))

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[2:], mode="bilinear", align_corners=False)
        return self.fuse(torch.cat([x, skip], dim=1))


class SegmentationNetwork(nn.Module):
    """U-Net-lite: a stride-2 stem, four residual stages (1/2 … 1/16), context, a light decoder."""

    def __init__(self, config: NetworkConfig):
        super().__init__()
        self.config = config
        w = config.widths
        self.stem = nn.Sequential(_conv_bn(3, w[0], stride=2), _conv_bn(w[0], w[0]))  # 1/2
        self.enc2 = ResidualBlock(w[0], w[1], stride=2)  # 1/4
        self.enc3 = nn.Sequential(ResidualBlock(w[1], w[2], stride=2), ResidualBlock(w[2], w[2]))  # 1/8
        self.enc4 = nn.Sequential(ResidualBlock(w[2], w[3], stride=2), ResidualBlock(w[3], w[3]))  # 1/16
        self.enc5 = nn.Sequential(ResidualBlock(w[3], w[4], stride=2), ContextBlock(w[4]))  # 1/32
        self.up4 = UpBlock(w[4], w[3], w[3])
        self.up3 = UpBlock(w[3], w[2], w[2])
        self.up2 = UpBlock(w[2], w[1], w[1])
        self.up1 = UpBlock(w[1], w[0], w[0])
        self.head = nn.Conv2d(w[0], config.classes, 1)
        self.findings = nn.Linear(w[4], config.findings) if config.findings > 0 else None

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        size = x.shape[2:]
        s1 = self.stem(x)
        s2 = self.enc2(s1)
        s3 = self.enc3(s2)
        s4 = self.enc4(s3)
        s5 = self.enc5(s4)
        y = self.up1(self.up2(self.up3(self.up4(s5, s4), s3), s2), s1)
        out = {"masks": F.interpolate(self.head(y), size=size, mode="bilinear", align_corners=False)}
        if self.findings is not None:
            out["findings"] = self.findings(F.adaptive_avg_pool2d(s5, 1).flatten(1))
        return out


class PretrainedUNet(nn.Module):
    """A U-Net whose encoder is the ImageNet-pretrained EfficientNet-Lite0 (:mod:`backbone.efficientnet`)."""

    def __init__(self, config: NetworkConfig, *, pretrained: bool = True):
        super().__init__()
        self.config = config
        w = config.widths
        c = efficientnet.FEATURE_CHANNELS
        self.encoder = efficientnet.encoder(pretrained=pretrained)
        self.context = nn.Sequential(nn.Conv2d(c[4], w[4], 1, bias=False), nn.BatchNorm2d(w[4]), nn.ReLU(inplace=True))
        self.up4 = UpBlock(w[4], c[3], w[3])  # 1/16
        self.up3 = UpBlock(w[3], c[2], w[2])  # 1/8
        self.up2 = UpBlock(w[2], c[1], w[1])  # 1/4
        self.up1 = UpBlock(w[1], c[0], w[0])  # 1/2
        self.head = nn.Conv2d(w[0], config.classes, 1)
        self.findings = nn.Linear(c[4], config.findings) if config.findings > 0 else None
        # ImageNet-normalised input (this module's convention) → the backbone's own normalisation
        mean, std = torch.tensor(MEAN), torch.tensor(STD)
        backbone_mean, backbone_std = torch.tensor(efficientnet.MEAN), torch.tensor(efficientnet.STD)
        self.register_buffer("input_scale", (std / backbone_std).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("input_shift", ((mean - backbone_mean) / backbone_std).view(1, 3, 1, 1),
                             persistent=False)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        size = x.shape[2:]
        s1, s2, s3, s4, s5 = self.encoder(x * self.input_scale + self.input_shift)
        y = self.up1(self.up2(self.up3(self.up4(self.context(s5), s4), s3), s2), s1)
        out = {"masks": F.interpolate(self.head(y), size=size, mode="bilinear", align_corners=False)}
        if self.findings is not None:
            out["findings"] = self.findings(F.adaptive_avg_pool2d(s5, 1).flatten(1))
        return out


class FindingsClassifier(nn.Module):
    """Frame-level findings alone (an export without masks): the whole ImageNet-pretrained EfficientNet-Lite0
    trunk, its 1280-channel head convolution included, pooled, then dropout and one logit per finding.

    ``frozen_features`` and ``top`` split the trunk after ``frozen_blocks`` of its seven block stages, so that
    training can compute the frozen part once per image (and augmented view) and fine-tune only the top
    (:mod:`training.classifier`). ``forward`` runs both; its output has ``"findings"`` only.
    """

    def __init__(self, config: NetworkConfig, *, pretrained: bool = True):
        super().__init__()
        self.config = config
        self.trunk = efficientnet.classifier(pretrained=pretrained)
        self.trunk.reset_classifier(0)  # the 1000 ImageNet classes go; the pooled 1280 features stay
        self.dropout = nn.Dropout(0.2)
        self.findings = nn.Linear(self.trunk.num_features, config.findings)
        mean, std = torch.tensor(MEAN), torch.tensor(STD)
        backbone_mean, backbone_std = torch.tensor(efficientnet.MEAN), torch.tensor(efficientnet.STD)
        self.register_buffer("input_scale", (std / backbone_std).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("input_shift", ((mean - backbone_mean) / backbone_std).view(1, 3, 1, 1),
                             persistent=False)

    def frozen_features(self, x: torch.Tensor, frozen_blocks: int) -> torch.Tensor:
        """The trunk's features after its stem and first ``frozen_blocks`` block stages (this module's input)."""
        x = self.trunk.bn1(self.trunk.conv_stem(x * self.input_scale + self.input_shift))
        for stage in self.trunk.blocks[:frozen_blocks]:
            x = stage(x)
        return x

    def top_modules(self, frozen_blocks: int) -> list[nn.Module]:
        """The modules after the first ``frozen_blocks`` stages: those fine-tuned."""
        return [*self.trunk.blocks[frozen_blocks:], self.trunk.conv_head, self.trunk.bn2, self.findings]

    def top(self, features: torch.Tensor, frozen_blocks: int) -> torch.Tensor:
        """Findings logits (N, K) from :meth:`frozen_features`."""
        x = features
        for stage in self.trunk.blocks[frozen_blocks:]:
            x = stage(x)
        x = self.trunk.bn2(self.trunk.conv_head(x))
        return self.findings(self.dropout(F.adaptive_avg_pool2d(x, 1).flatten(1)))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"findings": self.top(self.frozen_features(x, 0), 0)}


def build_network(config: NetworkConfig, *, pretrained: bool = True) -> nn.Module:
    """The network ``config`` describes. ``pretrained``: start the pretrained architecture from its ImageNet
    weights (False when a checkpoint's weights are loaded over it anyway)."""
    if config.architecture == PRETRAINED:
        return PretrainedUNet(config, pretrained=pretrained)
    if config.architecture == CLASSIFIER:
        return FindingsClassifier(config, pretrained=pretrained)
    return SegmentationNetwork(config)


def normalise(images: torch.Tensor) -> torch.Tensor:
    """uint8 or [0, 255] float (N, 3, H, W) RGB → the network's normalised float32 input."""
    mean = torch.tensor(MEAN, device=images.device).view(1, 3, 1, 1) * 255
    std = torch.tensor(STD, device=images.device).view(1, 3, 1, 1) * 255
    return (images.float() - mean) / std


@dataclass
class Checkpoint:
    """Everything a checkpoint file holds: weights, the network's config, tag and finding names, input size."""

    network: NetworkConfig
    state_dict: dict
    class_names: list[str]
    finding_names: list[str] = field(default_factory=list)
    input_size: tuple[int, int] = (192, 256)  # (H, W) the network sees
    metrics: dict = field(default_factory=dict)
    # Per finding, the probability at or above which a frame is said to show it (chosen on the validation
    # split; 0.5 where it had no example), and the exclusive groups among the findings (tags.taxonomy).
    finding_thresholds: list[float] = field(default_factory=list)
    finding_groups: dict[str, list[str]] = field(default_factory=dict)

    def save(self, path) -> None:
        torch.save({
            "format": "annotator-segmentation/1", "network": self.network.to_dict(), "state_dict": self.state_dict,
            "class_names": self.class_names, "finding_names": self.finding_names,
            "input_size": list(self.input_size), "metrics": self.metrics,
            "finding_thresholds": list(self.finding_thresholds), "finding_groups": dict(self.finding_groups),
        }, path)

    @classmethod
    def load(cls, path) -> Checkpoint:
        data = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(data, dict) or "state_dict" not in data or "network" not in data:
            raise ValueError(f"{path} is not a checkpoint of this project (no 'network' and 'state_dict').")
        return cls(
            network=NetworkConfig.from_dict(data["network"]), state_dict=data["state_dict"],
            class_names=list(data["class_names"]), finding_names=list(data.get("finding_names", [])),
            input_size=tuple(data.get("input_size", (192, 256))), metrics=dict(data.get("metrics", {})),
            finding_thresholds=[float(t) for t in data.get("finding_thresholds", [])],
            finding_groups={str(k): list(v) for k, v in data.get("finding_groups", {}).items()},
        )
