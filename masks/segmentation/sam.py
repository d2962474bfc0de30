"""The SAM segmenter: segment-anything's ``SamPredictor`` behind the ``Segmenter`` interface.

Framework-free (numpy, torch, segment-anything). What it adds to ``SamPredictor``:

- image embeddings cached per (model fingerprint, image key): a small in-memory LRU and, with a
  ``cache_dir``, files at ``cache_dir/<fingerprint>/<image key>-<hash>.pt``, so a later click on the
  same frame (also from another process or after a restart) only runs the prompt encoder and the
  mask decoder;
- the SAM authors' click loop on a stateless API: each call sends all points, and the low-resolution
  logits of the call with the same points minus the newest are fed back as ``mask_input``;
- one-line ``SegmenterError`` messages for a misconfigured checkpoint or model type.

Checkpoints. A segment-anything release (e.g. ``sam_vit_b_01ec64.pth``) is a plain state dict and
is built by ``sam_model_registry[model_type]``. A custom-sized SAM (the tiny models of the tests)
is a dict ``{"model_type": str, "config": {...}, "state_dict": {...}}`` whose ``config`` holds the
keyword arguments of ``build_sam_model``: the same layout as segment-anything's registry builders
(1024-pixel input, 16-pixel patches, 64×64 embedding, 256×256 low-resolution logits) with the
sizes of the image encoder, and optionally of the prompt embedding and mask decoder, as parameters.

Coordinates follow ``masks.segmentation.base``: ``x`` column, ``y`` row, pixels of the
full-resolution frame, origin at the centre of the top-left pixel (SAM's convention too).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from segment_anything import SamPredictor, sam_model_registry
from segment_anything.modeling import ImageEncoderViT, MaskDecoder, PromptEncoder, Sam, TwoWayTransformer

from masks.segmentation.base import Click, Segmentation, SegmenterError

logger = logging.getLogger(__name__)

MODEL_TYPES: tuple[str, ...] = tuple(sorted(sam_model_registry))

#: Low-resolution logits remembered for the stateless click loop; one entry is 256 KiB.
LOGITS_MEMORY_SIZE = 32

_LOGITS_SHAPE = (1, 256, 256)
_MIB = 1024 * 1024


# --- checkpoints -----------------------------------------------------------------------------


def check_sam_config(checkpoint: str | os.PathLike[str] | None, model_type: str) -> str | None:
    """Return why ``checkpoint`` / ``model_type`` cannot work, or None if they look usable.

    Cheap enough for a start-up check: reads only the first bytes of the file. A file that passes
    can still fail to load (corrupt archive, weights of another model type); ``SamSegmenter``
    reports those when it loads the weights.
    """
    if model_type not in sam_model_registry:
        return f"unknown SAM model type {model_type!r}; valid types: {', '.join(MODEL_TYPES)}"
    if checkpoint is None or str(checkpoint) == "":
        return "no SAM checkpoint configured"
    path = Path(checkpoint)
    if not path.exists():
        return f"SAM checkpoint not found: {path}"
    if not path.is_file():
        return f"SAM checkpoint is not a file: {path}"
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except OSError as exc:
        return f"SAM checkpoint is not readable: {path} ({exc.strerror or exc})"
    # torch.save writes a zip archive; files from torch < 1.6 are a bare pickle stream.
    if not (head.startswith(b"PK\x03\x04") or head.startswith(b"\x80")):
        return f"SAM checkpoint is not a PyTorch checkpoint file: {path}"
    return None


def load_sam_model(checkpoint: str | os.PathLike[str], model_type: str, device: torch.device) -> Sam:
    """Build the SAM of ``model_type`` with the weights of ``checkpoint``, in eval mode on ``device``.

    Raises ``SegmenterError`` with a one-line message when the configuration is wrong.
    """
    error = check_sam_config(checkpoint, model_type)
    if error is not None:
        raise SegmenterError(error)
    path = Path(checkpoint)
    try:
        # Read once, to the CPU: the registry builders' own torch.load has no map_location, which
        # fails on a CPU-only machine for a checkpoint saved from a GPU.
        content = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise SegmenterError(f"SAM checkpoint is not a valid PyTorch checkpoint: {path} ({_one_line(exc)})") from exc

    build: Callable[[], Sam]
    if isinstance(content, Mapping) and "config" in content and "state_dict" in content:
        saved_type = content.get("model_type")
        if _canonical_model_type(str(saved_type)) != _canonical_model_type(model_type):
            raise SegmenterError(f"SAM checkpoint {path} is for model type {saved_type!r}, not {model_type!r}")
        config = content["config"]
        if not isinstance(config, Mapping):
            raise SegmenterError(f"SAM checkpoint {path} has an invalid 'config' entry")
        build = partial(build_sam_model, **config)
        state_dict = content["state_dict"]
    else:
        build = sam_model_registry[model_type]
        state_dict = content
    if not isinstance(state_dict, Mapping) or not all(isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise SegmenterError(f"SAM checkpoint {path} does not hold a SAM state dict")

    try:
        model = build()
    except Exception as exc:  # only a custom 'config' can make a builder fail
        raise SegmenterError(f"SAM checkpoint {path} has an invalid 'config' entry ({_one_line(exc)})") from exc
    mismatch = _state_dict_mismatch(model, state_dict)
    if mismatch:
        raise SegmenterError(f"SAM checkpoint {path} does not match model type {model_type!r}: {mismatch}")
    model.load_state_dict(state_dict)
    try:
        model.to(device)
    except (RuntimeError, AssertionError) as exc:
        raise SegmenterError(f"cannot move SAM to device {str(device)!r}: {_one_line(exc)}") from exc
    return model.eval()


def build_sam_model(
    *,
    encoder_embed_dim: int,
    encoder_depth: int,
    encoder_num_heads: int,
    encoder_global_attn_indexes: Sequence[int],
    prompt_embed_dim: int = 256,
    decoder_depth: int = 2,
    decoder_mlp_dim: int = 2048,
    decoder_num_heads: int = 8,
    iou_head_hidden_dim: int = 256,
) -> Sam:
    """An untrained SAM in eval mode, laid out as ``segment_anything.build_sam._build_sam`` does.

    With the default decoder sizes and the registry's encoder sizes (ViT-B: 768, 12, 12,
    [2, 5, 8, 11]) this is the registry's model; smaller sizes give models for tests. The input
    stays 1024 pixels in 16-pixel patches, so embeddings are (1, prompt_embed_dim, 64, 64) and
    low-resolution logits (1, 256, 256), whatever the sizes.
    """
    image_size = 1024
    patch_size = 16
    embedding_size = image_size // patch_size
    model = Sam(
        image_encoder=ImageEncoderViT(
            depth=encoder_depth,
            embed_dim=encoder_embed_dim,
            img_size=image_size,
            mlp_ratio=4,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
            num_heads=encoder_num_heads,
            patch_size=patch_size,
            qkv_bias=True,
            use_rel_pos=True,
            global_attn_indexes=tuple(encoder_global_attn_indexes),
            window_size=14,
            out_chans=prompt_embed_dim,
        ),
        prompt_encoder=PromptEncoder(
            embed_dim=prompt_embed_dim,
            image_embedding_size=(embedding_size, embedding_size),
            input_image_size=(image_size, image_size),
            mask_in_chans=16,
        ),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=3,
            transformer=TwoWayTransformer(
                depth=decoder_depth,
                embedding_dim=prompt_embed_dim,
                mlp_dim=decoder_mlp_dim,
                num_heads=decoder_num_heads,
            ),
            transformer_dim=prompt_embed_dim,
            iou_head_depth=3,
            iou_head_hidden_dim=iou_head_hidden_dim,
        ),
        pixel_mean=[123.675, 116.28, 103.53],
        pixel_std=[58.395, 57.12, 57.375],
    )
    return model.eval()


def checkpoint_fingerprint(checkpoint: str | os.PathLike[str]) -> str:
    """8 hex digits that identify the checkpoint file's content: the model part of cache keys.

    Hashes the size and the first and last MiB, so it is cheap for a 2.5 GB checkpoint, stable
    across copies and restarts, and different for any two released or fine-tuned checkpoints.
    """
    path = Path(checkpoint)
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as f:
        digest.update(f.read(_MIB))
        if size > _MIB:
            f.seek(max(_MIB, size - _MIB))
            digest.update(f.read(_MIB))
    return digest.hexdigest()[:8]


def _canonical_model_type(model_type: str) -> str:
    # The registry's "default" builder is ViT-H.
    return "vit_h" if model_type == "default" else model_type


def _one_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _state_dict_mismatch(model: Sam, state_dict: Mapping[str, torch.Tensor]) -> str | None:
    """What keeps ``state_dict`` from loading into ``model``, in one line; None if it fits."""
    expected = model.state_dict()
    missing = [name for name in expected if name not in state_dict]
    unexpected = [name for name in state_dict if name not in expected]
    misshaped = [name for name in expected if name in state_dict and state_dict[name].shape != expected[name].shape]
    if not (missing or unexpected or misshaped):
        return None
    if misshaped:
        name = misshaped[0]
        example = (
            f"{name} is {tuple(state_dict[name].shape)} in the checkpoint, {tuple(expected[name].shape)} in the model"
        )
    else:
        example = f"{(missing or unexpected)[0]} is {'missing' if missing else 'unexpected'}"
    return (
        f"{len(misshaped)} weights of another shape, {len(missing)} missing, {len(unexpected)} unexpected "
        f"(e.g. {example})"
    )


# --- the segmenter ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Embedding:
    """What ``SamPredictor.set_image`` computes for one frame.

    ``features``: float16 (1, C, 64, 64) on the model's device, C = 256 for released models: kept (in memory
    and on disk) at half precision, half the bytes of the encoder's float32, and widened again for the
    decoder. SAM's masks do not move by it (tests compare with the float32 path).
    ``original_size``: the frame's (H, W). ``input_size``: (h, w) of the resized frame inside the
    1024×1024 encoder input.
    """

    features: torch.Tensor
    original_size: tuple[int, int]
    input_size: tuple[int, int]


class SamSegmenter:
    """SAM behind the ``Segmenter`` interface, with cached image embeddings.

    ``checkpoint``: a segment-anything checkpoint, or a custom-sized one (see the module docstring).
    ``model_type``: a key of ``segment_anything.sam_model_registry`` ("vit_b", "vit_l", "vit_h").
    ``device``: a torch device; None or "" picks "cuda" when available, else "cpu".
    ``cache_dir``: where image embeddings are kept on disk (2 MiB per frame); None keeps them only
    in memory. ``memory_cache_size``: how many frames' embeddings stay in memory.

    ``prior`` is used as a box prompt: the bounding box of its True pixels (see ``segment``).

    Thread-safe: one lock serialises image encoding, another the prompt/mask decoding, so a click
    on a frame whose embedding is cached is not held up by a background ``compute_embedding``.
    """

    def __init__(
        self,
        checkpoint: str | os.PathLike[str],
        model_type: str = "vit_b",
        device: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        memory_cache_size: int = 8,
    ) -> None:
        if memory_cache_size < 0:
            raise SegmenterError(f"memory_cache_size must be >= 0, got {memory_cache_size}")
        try:
            self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        except RuntimeError as exc:
            raise SegmenterError(f"unknown torch device {device!r}") from exc
        self.checkpoint = Path(checkpoint)
        self.model_type = _canonical_model_type(model_type)
        model = load_sam_model(self.checkpoint, model_type, self.device)
        self.fingerprint = checkpoint_fingerprint(self.checkpoint)
        self.name = f"sam-{self.model_type}-{self.fingerprint}"
        self.cache_dir = Path(cache_dir) / self.fingerprint if cache_dir else None
        self.memory_cache_size = memory_cache_size
        #: How many times the image encoder ran (the expensive part: seconds per frame on a CPU).
        self.encoder_runs = 0

        # Two predictors over one model: the encoder one computes embeddings, the decoder one gets
        # a cached embedding restored before each prediction.
        self._encoder = SamPredictor(model)
        self._decoder = SamPredictor(model)
        self._encoder_lock = threading.Lock()
        self._decoder_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._embeddings: OrderedDict[str, _Embedding] = OrderedDict()
        self._logits: OrderedDict[tuple, np.ndarray] = OrderedDict()

    @property
    def model(self) -> Sam:
        """The segment-anything model (shared by both predictors)."""
        return self._decoder.model

    def segment(
        self,
        image: np.ndarray,
        points: Sequence[Click],
        *,
        image_key: str | None = None,
        previous_logits: np.ndarray | None = None,
        prior: np.ndarray | None = None,
        initial: np.ndarray | None = None,
    ) -> Segmentation:
        """Segment the object that ``points`` designate on ``image``.

        ``image``: uint8 RGB (H, W, 3). ``points``: one or more clicks, in frame pixels; sent to SAM
        as ``point_coords`` float (N, 2) of (x, y) and ``point_labels`` (N,) with 1 for '+' and 0
        for '-'. ``image_key``: a stable key of the frame's pixels; with it the image embedding is
        computed once and cached, without it it is computed on every call.
        ``previous_logits``: float32 (1, 256, 256), fed to SAM as ``mask_input``; when absent and
        ``image_key`` is given, the logits this segmenter returned for the same frame and the same
        points minus the newest are used, as the web client sends all points on each click.
        ``prior``: bool (H, W); the bounding box of its True pixels (inclusive, XYXY) is added as
        a box prompt, an empty prior is ignored.
        ``initial``: bool (H, W), a mask the clicks correct (a propagated or a model's mask): without
        ``previous_logits`` it is fed to SAM as ``mask_input`` (its low-resolution logits, see
        :func:`mask_logits`), as SAM refines its own previous answer.

        A single click without a prior is ambiguous: SAM returns three candidates and the one with
        the best predicted IoU is kept; otherwise SAM returns one mask. The result holds ``mask``
        bool (H, W), ``score`` = SAM's predicted IoU clipped to [0, 1] and ``logits`` float32
        (1, 256, 256) of the returned mask.
        """
        _check_image(image)
        points = tuple(points)
        if not points:
            raise ValueError("SAM needs at least one prompt point")
        box = None if prior is None else _prior_box(prior, image.shape[:2])
        box_key = None if box is None else tuple(box.tolist())
        start_key = None  # the fingerprint of an initial mask the clicks correct
        if previous_logits is not None:
            previous_logits = np.asarray(previous_logits, dtype=np.float32)
            if previous_logits.shape != _LOGITS_SHAPE:
                raise ValueError(f"previous_logits must have shape {_LOGITS_SHAPE}, got {previous_logits.shape}")
        elif initial is not None and np.any(initial):
            previous_logits = mask_logits(np.asarray(initial, dtype=bool), self._decoder.transform.target_length)
            start_key = hashlib.sha256(np.packbits(initial).tobytes()).hexdigest()
        elif image_key is not None and len(points) > 1:
            previous_logits = self._remembered_logits((image_key, points[:-1], box_key, start_key))

        coords = np.array([[p.x, p.y] for p in points], dtype=np.float64)
        labels = np.array([1 if p.positive else 0 for p in points], dtype=np.int64)
        multimask = len(points) == 1 and box is None and previous_logits is None

        embedding = self._embedding(image, image_key)
        with self._decoder_lock:
            self._set_embedding(self._decoder, embedding)
            masks, scores, low_res_logits = self._decoder.predict(
                point_coords=coords,
                point_labels=labels,
                box=box,
                mask_input=previous_logits,
                multimask_output=multimask,
            )
        best = int(np.argmax(scores))
        logits = low_res_logits[best : best + 1].astype(np.float32)
        if image_key is not None:
            self._remember_logits((image_key, points, box_key, start_key), logits)
        return Segmentation(
            mask=masks[best].copy(),
            score=float(np.clip(scores[best], 0.0, 1.0)),
            logits=logits,
        )

    def has_embedding(self, image_key: str) -> bool:
        """Whether the image embedding of ``image_key`` is cached, in memory or on disk."""
        with self._cache_lock:
            if image_key in self._embeddings:
                return True
        return self.cache_dir is not None and self._cache_file(image_key).is_file()

    def compute_embedding(self, image: np.ndarray, image_key: str) -> None:
        """Compute and cache the image embedding of a frame ahead of its first click.

        ``image``: uint8 RGB (H, W, 3). Does nothing if the embedding is already cached. With a
        ``cache_dir`` the embedding goes to disk only, so that precomputing a whole sequence does
        not evict the frames being annotated from the memory cache.
        """
        _check_image(image)
        if self.has_embedding(image_key):
            return
        with self._encoder_lock:
            if self.has_embedding(image_key):
                return
            embedding = self._encode(image)
            if self.cache_dir is not None:
                self._save_embedding(image_key, embedding)
                return
        self._keep_in_memory(image_key, embedding)

    # --- embeddings ---

    def _embedding(self, image: np.ndarray, image_key: str | None) -> _Embedding:
        """The embedding of ``image``: from memory, from disk, or computed (and then cached)."""
        if image_key is None:
            with self._encoder_lock:
                return self._encode(image)
        size = (image.shape[0], image.shape[1])
        embedding = self._cached_embedding(image_key, size)
        if embedding is None:
            with self._encoder_lock:
                # Another thread may have computed it while this one waited for the lock.
                embedding = self._cached_embedding(image_key, size)
                if embedding is None:
                    embedding = self._encode(image)
                    if self.cache_dir is not None:
                        self._save_embedding(image_key, embedding)
        self._keep_in_memory(image_key, embedding)
        return embedding

    def _cached_embedding(self, image_key: str, size: tuple[int, int]) -> _Embedding | None:
        with self._cache_lock:
            embedding = self._embeddings.get(image_key)
        if embedding is None and self.cache_dir is not None:
            embedding = self._load_embedding(image_key)
        if embedding is not None and embedding.original_size != size:
            logger.warning(
                "cached SAM embedding of %r is for a %s frame, not %s; recomputing",
                image_key,
                embedding.original_size,
                size,
            )
            return None
        return embedding

    def _encode(self, image: np.ndarray) -> _Embedding:
        """Run the image encoder (the caller holds ``_encoder_lock``)."""
        self._encoder.set_image(image, image_format="RGB")
        embedding = _Embedding(
            features=self._encoder.features.to(torch.float16),
            original_size=(int(self._encoder.original_size[0]), int(self._encoder.original_size[1])),
            input_size=(int(self._encoder.input_size[0]), int(self._encoder.input_size[1])),
        )
        self._encoder.reset_image()
        self.encoder_runs += 1
        return embedding

    @staticmethod
    def _set_embedding(predictor: SamPredictor, embedding: _Embedding) -> None:
        """Put ``predictor`` in the state ``set_image`` leaves it in (cf. ``set_torch_image``)."""
        predictor.reset_image()
        predictor.original_size = embedding.original_size
        predictor.input_size = embedding.input_size
        predictor.features = embedding.features.float()  # float32 also for cache files written before float16
        predictor.is_image_set = True

    def _keep_in_memory(self, image_key: str, embedding: _Embedding) -> None:
        if self.memory_cache_size == 0:
            return
        with self._cache_lock:
            self._embeddings[image_key] = embedding
            self._embeddings.move_to_end(image_key)
            while len(self._embeddings) > self.memory_cache_size:
                self._embeddings.popitem(last=False)

    def _cache_file(self, image_key: str) -> Path:
        assert self.cache_dir is not None
        return self.cache_dir / _cache_file_name(image_key)

    def _save_embedding(self, image_key: str, embedding: _Embedding) -> None:
        """Write the embedding file atomically; a failed write only costs a later recomputation."""
        path = self._cache_file(image_key)
        tmp_name = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                torch.save(
                    {
                        "features": embedding.features.detach().cpu(),
                        "original_size": list(embedding.original_size),
                        "input_size": list(embedding.input_size),
                    },
                    f,
                )
            os.replace(tmp_name, path)
            tmp_name = None
        except OSError as exc:
            logger.warning("cannot write SAM embedding cache file %s: %s", path, exc)
        finally:
            if tmp_name is not None:
                Path(tmp_name).unlink(missing_ok=True)

    def _load_embedding(self, image_key: str) -> _Embedding | None:
        path = self._cache_file(image_key)
        try:
            content = torch.load(path, map_location=self.device, weights_only=True)
            features = content["features"]
            original_size = tuple(int(v) for v in content["original_size"])
            input_size = tuple(int(v) for v in content["input_size"])
            if not isinstance(features, torch.Tensor) or features.ndim != 4 or len(original_size) != 2:
                raise ValueError("unexpected content")
        except FileNotFoundError:
            return None
        except Exception as exc:  # a damaged file is a cache miss, not a failed click
            logger.warning("ignoring unreadable SAM embedding cache file %s: %s", path, _one_line(exc))
            return None
        return _Embedding(features=features, original_size=original_size, input_size=input_size)

    # --- logits of earlier calls ---

    def _remembered_logits(self, key: tuple) -> np.ndarray | None:
        with self._cache_lock:
            return self._logits.get(key)

    def _remember_logits(self, key: tuple, logits: np.ndarray) -> None:
        with self._cache_lock:
            self._logits[key] = logits
            self._logits.move_to_end(key)
            while len(self._logits) > LOGITS_MEMORY_SIZE:
                self._logits.popitem(last=False)


def _check_image(image: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"SAM needs a uint8 RGB (H, W, 3) image, got {image.dtype} {image.shape}")


def mask_logits(mask: np.ndarray, target_length: int = 1024, magnitude: float = 10.0) -> np.ndarray:
    """SAM's ``mask_input`` for a bool (H, W) mask: float32 (1, 256, 256) logits (±``magnitude``) on the model's
    input grid (the frame resized so its long side is ``target_length``, padded right and below, then a
    quarter of that), as the mask decoder's own low-resolution output is laid out."""
    height, width = mask.shape
    scale = target_length / max(height, width)
    resized = (int(height * scale + 0.5), int(width * scale + 0.5))  # ResizeLongestSide.get_preprocess_shape
    low = (resized[0] * _LOGITS_SHAPE[1] // target_length, resized[1] * _LOGITS_SHAPE[2] // target_length)
    small = torch.nn.functional.interpolate(
        torch.from_numpy(mask.astype(np.float32))[None, None], size=low, mode="area"
    )[0, 0].numpy()
    logits = np.full(_LOGITS_SHAPE, -magnitude, np.float32)
    logits[0, : low[0], : low[1]] = (2.0 * small - 1.0) * magnitude
    return logits


def _prior_box(prior: np.ndarray, size: tuple[int, int]) -> np.ndarray | None:
    """The inclusive XYXY bounding box (float (4,)) of ``prior``'s True pixels, None if empty."""
    prior = np.asarray(prior, dtype=bool)
    if prior.shape != size:
        raise ValueError(f"prior must have the frame's shape {size}, got {prior.shape}")
    rows = np.flatnonzero(prior.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(prior.any(axis=0))
    return np.array([cols[0], rows[0], cols[-1], rows[-1]], dtype=np.float64)


def _cache_file_name(image_key: str) -> str:
    """A file name for ``image_key``: readable prefix plus a hash, so distinct keys never collide."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", image_key)[:80].strip("._") or "frame"
    digest = hashlib.sha256(image_key.encode()).hexdigest()[:12]
    return f"{slug}-{digest}.pt"
