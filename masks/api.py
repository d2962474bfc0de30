"""JSON endpoints of masks: generate (or preview) a mask from points, list, delete."""

from __future__ import annotations

import base64
import time

from django.http import HttpRequest

from annotator.api import ApiError, field, get_or_404, json_view, read_json
from sequences.models import Frame, Sequence
from tags.models import Tag

from . import services, storage
from .models import Mask
from .segmentation.base import PromptPoint as Point


def parse_points(raw: object) -> list[Point]:
    """``[{"x", "y", "sign": "+"|"-"}, ...]`` as prompt points, or ApiError naming the bad entry."""
    if not isinstance(raw, list):
        raise ApiError("Field 'points' must be a list of {\"x\", \"y\", \"sign\"} objects.")
    points = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ApiError(f"Point {number} must be an object with 'x', 'y' and 'sign'.")
        coordinates = []
        for axis in ("x", "y"):
            value = item.get(axis)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ApiError(f"Point {number}: '{axis}' must be a number, got {value!r}.")
            coordinates.append(float(value))
        sign = item.get("sign")
        if sign not in ("+", "-"):
            raise ApiError(f"Point {number}: 'sign' must be '+' or '-', got {sign!r}.")
        points.append(Point(coordinates[0], coordinates[1], sign == "+"))
    return points


def frame_of_sequence(sequence_id: int, frame_id: int) -> Frame:
    sequence = get_or_404(Sequence, sequence_id)
    frame = get_or_404(Frame, frame_id)
    if frame.sequence_id != sequence.id:
        raise ApiError(f"Frame {frame_id} belongs to sequence {frame.sequence_id}, not to sequence {sequence.id}.")
    return frame


def mask_json(mask: Mask) -> dict:
    return {
        "id": mask.id,
        "sequence_id": mask.frame.sequence_id,
        "frame_id": mask.frame_id,
        "frame_index": mask.frame.index,
        "tag_id": mask.tag_id,
        "tag": mask.tag.name,
        "color": mask.color,
        "url": mask.file.url,
        "area": mask.area,
        "bbox": mask.bbox,
        "source": mask.source,
        "track_id": mask.track_id,
        "keyframe_id": mask.keyframe_id,
        "confidence": mask.confidence,
        "segmenter": mask.segmenter,
        "score": mask.score,
        "points": [{"x": p.x, "y": p.y, "sign": p.sign} for p in mask.points.all()],
        "created_by": mask.created_by.username if mask.created_by else None,
        "created_at": mask.created_at.isoformat(),
    }


@json_view(("POST",))
def generate_mask(request: HttpRequest):
    """Segment a frame from points; save the mask unless ``"preview": true``."""
    body = read_json(request)
    sequence_id = field(body, "sequence_id", int)
    frame_id = field(body, "frame_id", int)
    points = parse_points(field(body, "points", list))
    preview = field(body, "preview", bool, required=False, default=False)
    frame = frame_of_sequence(sequence_id, frame_id)
    if preview:
        started = time.perf_counter()
        result = services.segment_frame(frame=frame, points=points)
        mask = result.segmentation.mask
        png = base64.b64encode(storage.mask_png_bytes(mask)).decode()
        return {
            "preview": True,
            "frame_id": frame.id,
            "mask_png": f"data:image/png;base64,{png}",
            "area": int(mask.sum()),
            "bbox": list(services.bounding_box(mask)),
            "score": result.segmentation.score,
            "segmenter": result.segmenter,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }
    tag = get_or_404(Tag, field(body, "tag_id", int))
    color = services.validate_color(field(body, "mask_color", str, required=False, default=tag.color))
    mask = services.generate_mask(frame=frame, tag=tag, color=color, points=points, created_by=request.user)
    return mask_json(Mask.objects.select_related("frame", "tag", "created_by").get(pk=mask.pk))


@json_view(("GET",))
def sequence_masks(request: HttpRequest, sequence_id: int):
    """Masks of a sequence, optionally of one frame (``?frame_id=``) or one tag (``?tag_id=``)."""
    sequence = get_or_404(Sequence, sequence_id)
    masks = Mask.objects.filter(frame__sequence=sequence).select_related("frame", "tag", "created_by")
    for name in ("frame_id", "tag_id"):
        value = request.GET.get(name)
        if value is not None:
            if not value.isdigit():
                raise ApiError(f"Query parameter '{name}' must be an integer id, got {value!r}.")
            masks = masks.filter(**{name: int(value)})
    return {"sequence_id": sequence.id, "masks": [mask_json(m) for m in masks.prefetch_related("points")]}


@json_view(("GET", "DELETE"))
def mask_detail(request: HttpRequest, mask_id: int):
    mask = get_or_404(Mask, mask_id)
    if request.method == "DELETE":
        services.delete_mask(mask=mask)
        return {"deleted": 1}
    return mask_json(mask)


@json_view(("DELETE",))
def tag_masks(request: HttpRequest, sequence_id: int, tag_id: int):
    """Delete every mask of a tag in a sequence."""
    sequence = get_or_404(Sequence, sequence_id)
    tag = get_or_404(Tag, tag_id)
    return {"deleted": services.delete_tag_masks(sequence=sequence, tag=tag)}


@json_view(("GET", "POST"))
def sequence_embeddings(request: HttpRequest, sequence_id: int):
    """SAM embedding states of frames (GET ``?frame_ids=1,2``), or queue those the annotator needs next
    (POST ``{"frame_index": i, "direction": 1 | -1}``). States are "not_needed" with the CPU default."""
    from .embeddings import embedding_states, request_embeddings

    sequence = get_or_404(Sequence, sequence_id)
    if request.method == "POST":
        body = read_json(request)
        index = field(body, "frame_index", int)
        direction = field(body, "direction", int, required=False, default=1)
        states = request_embeddings(sequence=sequence, index=index, direction=direction)
    else:
        raw = request.GET.get("frame_ids", "")
        ids = [part for part in raw.split(",") if part]
        if not all(part.isdigit() for part in ids):
            raise ApiError(f"Query parameter 'frame_ids' must be comma-separated ids, got {raw!r}.")
        states = embedding_states(list(sequence.frames.filter(id__in=[int(i) for i in ids])))
    return {"states": {str(frame_id): state for frame_id, state in states.items()}}
