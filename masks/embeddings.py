"""Precomputing SAM image embeddings in the background, so the first click on a frame need not wait.

The annotation page asks for the frames around the one being viewed, in the direction the annotator
moves; a job on the queue computes them (in the worker process, which loads SAM once) into the
segmenter's disk cache, where the web process finds them. Bounded: at most ``PRECOMPUTE_AHEAD`` +
``PRECOMPUTE_BEHIND`` frames per request, stale requests dropped, the disk cache pruned to
``SAM_EMBEDDING_CACHE_MAX_MB`` (oldest first); memory is bounded by the segmenter's LRU.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction

from sequences.models import Frame, FrameSequence
from sequences.selectors import frame_image_key, frame_rgb

from .models import FrameEmbedding
from .segmenters import active_segmenter

logger = logging.getLogger(__name__)

PRECOMPUTE_AHEAD = 6
PRECOMPUTE_BEHIND = 2
State = FrameEmbedding.State


def sam_in_use():
    """The active SAM segmenter, or None when the CPU default is in use (nothing to precompute)."""
    segmenter, status = active_segmenter()
    return segmenter if status.kind == "sam" else None


def frames_around(sequence: FrameSequence, index: int, direction: int) -> list[Frame]:
    """The frame at ``index``, then the next ones in ``direction``, then a few behind: the order of need."""
    direction = 1 if direction >= 0 else -1
    order = [index] + [index + direction * k for k in range(1, PRECOMPUTE_AHEAD + 1)]
    order += [index - direction * k for k in range(1, PRECOMPUTE_BEHIND + 1)]
    frames = {f.index: f for f in sequence.frames.filter(index__in=order)}
    return [frames[i] for i in order if i in frames]


def embedding_states(frames: list[Frame]) -> dict[int, str]:
    """Frame id → "ready", "queued", "computing", "failed" or "absent" ("not_needed" without SAM)."""
    sam = sam_in_use()
    if sam is None:
        return {f.id: "not_needed" for f in frames}
    rows = dict(FrameEmbedding.objects.filter(frame__in=frames, model=sam.name).values_list("frame_id", "state"))
    return {f.id: "ready" if sam.has_embedding(frame_image_key(f)) else rows.get(f.id, "absent") for f in frames}


def request_embeddings(*, sequence: FrameSequence, index: int, direction: int) -> dict[int, str]:
    """Queue the embeddings the annotator will need next; returns the states of those frames."""
    from .tasks import compute_embeddings_task

    sam = sam_in_use()
    frames = frames_around(sequence, index, direction)
    if sam is None:
        return embedding_states(frames)
    wanted = [f for f in frames if not sam.has_embedding(frame_image_key(f))]
    with transaction.atomic():
        # Requests for frames the annotator has moved away from are dropped, so the queue stays short.
        FrameEmbedding.objects.filter(frame__sequence=sequence, model=sam.name, state=State.QUEUED).exclude(
            frame__in=wanted
        ).delete()
        new = []
        for frame in wanted:
            row, created = FrameEmbedding.objects.get_or_create(frame=frame, model=sam.name)
            if created or row.state == State.FAILED:
                row.state = State.QUEUED
                row.save(update_fields=["state", "requested_at"])
                new.append(frame.id)
        if new:
            transaction.on_commit(lambda: compute_embeddings_task.enqueue(new, sam.name))
    return embedding_states(frames)


def compute_embeddings(frame_ids: list[int], model: str, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Compute the embeddings of ``frame_ids`` still wanted for ``model``; returns how many were computed."""
    sam = sam_in_use()
    if sam is None or sam.name != model:
        FrameEmbedding.objects.filter(frame_id__in=frame_ids, model=model).delete()
        return 0
    computed = 0
    frames = {f.id: f for f in Frame.objects.filter(id__in=frame_ids)}
    for number, frame_id in enumerate(frame_ids, start=1):
        claimed = FrameEmbedding.objects.filter(frame_id=frame_id, model=model, state=State.QUEUED).update(
            state=State.COMPUTING
        )
        if claimed and frame_id in frames:
            computed += _compute_one(sam, frames[frame_id], model)
        if progress:
            progress(number, len(frame_ids))
    prune_disk_cache(Path(settings.SAM_EMBEDDING_CACHE_DIR), settings.SAM_EMBEDDING_CACHE_MAX_MB * 1024 * 1024)
    return computed


def _compute_one(sam, frame: Frame, model: str) -> bool:
    """Compute one frame's embedding unless cached; record the outcome. True if the encoder ran."""
    rows = FrameEmbedding.objects.filter(frame=frame, model=model)
    key = frame_image_key(frame)
    if sam.has_embedding(key):
        rows.update(state=State.READY)
        return False
    try:
        sam.compute_embedding(frame_rgb(frame), key)
    except Exception as exc:  # one bad frame must not stop the others
        logger.exception("Embedding of %s failed", frame)
        rows.update(state=State.FAILED, error=str(exc))
        return False
    rows.update(state=State.READY)
    return True


def prune_disk_cache(folder: Path, max_bytes: int) -> int:
    """Delete the least recently written embedding files until the folder holds at most ``max_bytes``."""
    if not folder.exists():
        return 0
    files = sorted((p.stat().st_mtime, p.stat().st_size, p) for p in folder.rglob("*.pt"))
    total = sum(size for _, size, _ in files)
    removed = 0
    for _, size, path in files:
        if total <= max_bytes:
            break
        path.unlink(missing_ok=True)
        total -= size
        removed += 1
    return removed
