"""A tiny, randomly initialised SAM checkpoint for tests: the real segment-anything code, in milliseconds.

The model has segment-anything's layout (1024-pixel input, 16-pixel patches, 64×64 embedding,
256×256 low-resolution logits; ``masks.segmentation.sam.build_sam_model``) with 32 channels
throughout, a one-block image encoder and a one-layer mask decoder. The encoder block uses windowed
attention: a global-attention block over the 64×64 patch grid takes about four times longer on a CPU.

It is saved in the custom-checkpoint format that ``masks.segmentation.sam`` loads:
``{"model_type", "config", "state_dict"}``.
"""

from __future__ import annotations

from pathlib import Path

import torch

from masks.segmentation.sam import build_sam_model

TINY_CONFIG = {
    "encoder_embed_dim": 32,
    "encoder_depth": 1,
    "encoder_num_heads": 2,
    "encoder_global_attn_indexes": [],
    "prompt_embed_dim": 32,
    "decoder_depth": 1,
    "decoder_mlp_dim": 64,
    "decoder_num_heads": 2,
    "iou_head_hidden_dim": 32,
}


def build_tiny_sam_checkpoint(path: Path, model_type: str = "vit_b", seed: int = 0) -> Path:
    """Write a tiny SAM with weights drawn from ``seed`` to ``path`` and return ``path``.

    ``model_type`` is the registry name the checkpoint answers to. The global torch random state
    is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_sam_model(**TINY_CONFIG)
    path = Path(path)
    torch.save({"model_type": model_type, "config": dict(TINY_CONFIG), "state_dict": model.state_dict()}, path)
    return path
