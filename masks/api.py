"""JSON endpoints of masks: generate (or preview) a mask from points, list, delete."""

from __future__ import annotations

import base64
import binascii
import time

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from core.api import field, get_or_404, json_view, query_int, query_ints, read_json
from core.errors import InvalidInput, TooLarge
from sequences.models import Frame, FrameSequence
from sequences.sources import ImageRejected, check_image_header
from tags.models import Tag

from . import services, storage
from .models import Mask, Track
from .segmentation.base import Click
from .selectors import MaskState, mask_state


def parse_points(raw: object) -> list[Click]:
    """``[{"x", "y", "sign": "+"|"-"}, ...]`` as prompt points, or InvalidInput naming the bad entry."""
    if not isinstance(raw, list):
        raise InvalidInput("Field 'points' must be a list of {\"x\", \"y\", \"sign\"} objects.")
    services.check_point_count(len(raw))  # before parsing a list of any length
    points = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise InvalidInput(f"Point {number} must be an object with 'x', 'y' and 'sign'.")
        coordinates = []
        for axis in ("x", "y"):
            value = item.get(axis)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidInput(f"Point {number}: '{axis}' must be a number, got {value!r}.")
            coordinates.append(float(value))
        sign = item.get("sign")
        if sign not in ("+", "-"):
            raise InvalidInput(f"Point {number}: 'sign' must be '+' or '-', got {sign!r}.")
        points.append(Click(coordinates[0], coordinates[1], sign == "+"))
    return points


def frame_of_sequence(sequence_id: int, frame_id: int) -> Frame:
    sequence = get_or_404(FrameSequence, sequence_id)
    frame = get_or_404(Frame, frame_id)
    if frame.sequence_id != sequence.id:
        raise InvalidInput(f"Frame {frame_id} belongs to sequence {frame.sequence_id}, not to sequence {sequence.id}.")
    return frame


def mask_json(mask: Mask) -> dict:
    state = mask_state(mask.source, mask.confidence, mask.is_reviewed)
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
        "reviewed_by": mask.reviewed_by.username if mask.reviewed_by_id else None,
        "reviewed_at": mask.reviewed_at.isoformat() if mask.reviewed_at else None,
        # The review rules, for the page to show rather than work out: a proposal (propagated or a model's),
        # whether it awaits review (accept or reject), and its state as the timeline draws it.
        "is_proposal": mask.is_proposal,
        "needs_review": state >= MaskState.PROPAGATED,
        "review_state": MaskState.name(state),
        "segmenter": mask.segmenter,
        "score": mask.score,
        "points": [{"x": p.x, "y": p.y, "sign": p.sign} for p in mask.points.all()],
        "created_by": mask.created_by.username if mask.created_by else None,
        "created_at": mask.created_at.isoformat(),
    }


@json_view(("POST",))
def generate_mask(request: HttpRequest):
    """Segment a frame from points; save the mask unless ``"preview": true``.

    With ``"mask_id"`` (a mask on that frame), the clicks correct that mask, starting from its pixels, and
    saving replaces its pixels (a proposal so corrected becomes a keyframe made by hand). With ``"track_id"``, a
    new mask is a keyframe of that track (see ``services.generate_mask``).
    """
    body = read_json(request)
    sequence_id = field(body, "sequence_id", int)
    frame_id = field(body, "frame_id", int)
    points = parse_points(field(body, "points", list))
    preview = field(body, "preview", bool, required=False, default=False)
    mask_id = field(body, "mask_id", int, required=False, default=None)
    work_seconds = services.check_work_seconds(field(body, "work_seconds", (int, float), required=False))
    frame = frame_of_sequence(sequence_id, frame_id)
    refined = None
    if mask_id is not None:
        refined = get_or_404(Mask, mask_id)
        if refined.frame_id != frame.id:
            raise InvalidInput(f"Mask {mask_id} is not on frame {frame.id}: refine a mask on the frame clicked.")
    if preview:
        started = time.perf_counter()
        if refined is not None:
            result = services.segment_correction(mask=refined, points=points)
        else:
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
    if refined is not None:
        mask = services.refine_mask(mask=refined, points=points, user=request.user, work_seconds=work_seconds)
        return mask_json(Mask.objects.select_related("frame", "tag", "created_by").get(pk=mask.pk))
    tag = get_or_404(Tag, field(body, "tag_id", int))
    color = services.validate_color(field(body, "mask_color", str, required=False, default=tag.color))
    track_id = field(body, "track_id", int, required=False)
    track = None if track_id is None else get_or_404(Track, track_id)
    mask = services.generate_mask(
        frame=frame, tag=tag, color=color, points=points, created_by=request.user, work_seconds=work_seconds,
        track=track,
    )
    return mask_json(Mask.objects.select_related("frame", "tag", "created_by").get(pk=mask.pk))


@json_view(("GET", "POST"))
def sequence_masks(request: HttpRequest, sequence_id: int):
    """GET: masks of a sequence, optionally of one frame (``?frame_id=``) or one tag (``?tag_id=``).
    POST: a mask drawn by hand, ``{"frame_id", "tag_id", "mask_color"?, "tool": "polygon" | "box",
    "vertices": [[x, y], ...], "track_id"?, "work_seconds"?}``; 201 with the mask."""
    sequence = get_or_404(FrameSequence, sequence_id)
    if request.method == "POST":
        return JsonResponse(mask_json(drawn_mask(request, sequence)), status=201)
    masks = Mask.objects.filter(frame__sequence=sequence).select_related("frame", "tag", "created_by", "reviewed_by")
    for name in ("frame_id", "tag_id"):
        value = query_int(request, name)
        if value is not None:
            masks = masks.filter(**{name: value})
    return {"sequence_id": sequence.id, "masks": [mask_json(m) for m in masks.prefetch_related("points")]}


def parse_vertices(raw: list) -> list[tuple[float, float]]:
    """``[[x, y], ...]`` as vertices, or InvalidInput naming the bad entry."""
    vertices = []
    for number, item in enumerate(raw[: services.MAX_POLYGON_VERTICES + 1], start=1):
        if (not isinstance(item, list) or len(item) != 2
                or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in item)):
            raise InvalidInput(f"Vertex {number} must be [x, y] with two numbers, got {item!r}.")
        vertices.append((float(item[0]), float(item[1])))
    return vertices


def drawn_mask(request: HttpRequest, sequence: FrameSequence) -> Mask:
    body = read_json(request)
    frame = frame_of_sequence(sequence.id, field(body, "frame_id", int))
    tag = get_or_404(Tag, field(body, "tag_id", int))
    track_id = field(body, "track_id", int, required=False)
    mask = services.draw_mask(
        frame=frame, tag=tag, color=field(body, "mask_color", str, required=False, default=tag.color),
        tool=field(body, "tool", str), vertices=parse_vertices(field(body, "vertices", list)),
        created_by=request.user, track=None if track_id is None else get_or_404(Track, track_id),
        work_seconds=field(body, "work_seconds", (int, float), required=False),
    )
    return Mask.objects.select_related("frame", "tag", "created_by").get(pk=mask.pk)


@json_view(("POST",))
def restore_mask(request: HttpRequest):
    """Bring back a mask just deleted or rejected (the page's undo) from what the page kept: ``{"frame_id",
    "tag_id", "mask_color", "png", "source", "segmenter"?, "score"?, "confidence"?, "track_id"?, "keyframe_id"?,
    "points"?}``; 201 with the new mask (a new id). See ``services.restore_mask``."""
    body = read_json(request)
    frame = get_or_404(Frame, field(body, "frame_id", int))
    tag = get_or_404(Tag, field(body, "tag_id", int))
    track_id = field(body, "track_id", int, required=False)
    keyframe_id = field(body, "keyframe_id", int, required=False)
    mask = services.restore_mask(
        frame=frame, tag=tag, color=field(body, "mask_color", str), pixels=pixels_of_frame(body, frame),
        source=field(body, "source", str), segmenter=field(body, "segmenter", str, required=False, default=""),
        score=field(body, "score", (int, float), required=False),
        confidence=field(body, "confidence", (int, float), required=False),
        track=None if track_id is None else get_or_404(Track, track_id, "track"),
        keyframe=Mask.objects.filter(pk=keyframe_id).first() if keyframe_id is not None else None,
        points=parse_points(field(body, "points", list, required=False, default=[])), created_by=request.user,
    )
    saved = Mask.objects.select_related("frame", "tag", "created_by").get(pk=mask.pk)
    return JsonResponse(mask_json(saved), status=201)


@json_view(("GET", "DELETE"))
def mask_detail(request: HttpRequest, mask_id: int):
    mask = get_or_404(Mask, mask_id)
    if request.method == "DELETE":
        services.delete_mask(mask=mask, user=request.user)
        return {"deleted": 1}
    return mask_json(mask)


@json_view(("DELETE",))
def tag_masks(request: HttpRequest, sequence_id: int, tag_id: int):
    """Delete every mask of a tag in a sequence."""
    sequence = get_or_404(FrameSequence, sequence_id)
    tag = get_or_404(Tag, tag_id)
    return {"deleted": services.delete_tag_masks(sequence=sequence, tag=tag, user=request.user)}


@json_view(("GET", "POST"))
def sequence_embeddings(request: HttpRequest, sequence_id: int):
    """SAM embedding states of frames (GET ``?frame_ids=1,2``), or queue those the annotator needs next
    (POST ``{"frame_index": i, "direction": 1 | -1}``). States are "not_needed" with the CPU default."""
    from .embeddings import embedding_states, request_embeddings

    sequence = get_or_404(FrameSequence, sequence_id)
    if request.method == "POST":
        body = read_json(request)
        index = field(body, "frame_index", int)
        direction = field(body, "direction", int, required=False, default=1)
        states = request_embeddings(sequence=sequence, index=index, direction=direction)
    else:
        ids = query_ints(request, "frame_ids")
        states = embedding_states(list(sequence.frames.filter(id__in=ids)))
    return {"states": {str(frame_id): state for frame_id, state in states.items()}}


PNG_DATA_URL = "data:image/png;base64,"
MAX_PNG_BYTES = 8 * 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def parse_png_data_url(value: str) -> bytes:
    """The bytes of a ``data:image/png;base64,...`` URL, or InvalidInput saying what is wrong with it."""
    if not value.startswith(PNG_DATA_URL):
        raise InvalidInput(f"Field 'png' must be a data URL starting with '{PNG_DATA_URL}'.")
    encoded = value[len(PNG_DATA_URL):]
    if len(encoded) > MAX_PNG_BYTES * 4 // 3 + 4:
        raise TooLarge(f"The PNG is larger than {MAX_PNG_BYTES // 1024 // 1024} MB.")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(f"Field 'png' is not valid base64: {exc}") from exc
    if not data.startswith(PNG_SIGNATURE):
        raise InvalidInput("Field 'png' is not a PNG image.")
    return data


def pixels_of_frame(body: dict, frame: Frame):
    """The bool mask of the body's ``"png"`` (a frame-sized PNG data URL, white > 127 = mask), or InvalidInput."""
    data = parse_png_data_url(field(body, "png", str))
    try:  # the size from the header, before a pixel is decoded (a small PNG may declare a huge image)
        width, height = check_image_header(data, settings.MAX_FRAME_PIXELS)
    except ImageRejected as exc:
        raise InvalidInput(f"Field 'png' is not a usable image: {exc}.") from exc
    if (width, height) != (frame.width, frame.height):
        raise InvalidInput(f"The PNG is {width}×{height}; the frame is {frame.width}×{frame.height}.")
    try:
        return storage.mask_from_png_bytes(data)
    except ValueError as exc:
        raise InvalidInput(f"Field 'png' is not a usable image: {exc}.") from exc


@json_view(("POST",))
def mask_pixels(request: HttpRequest, mask_id: int):
    """Replace a mask's pixels: ``{"png": "data:image/png;base64,..."}``, a frame-sized PNG where white
    (> 127) is the mask, and optionally ``"work_seconds"``, the working time the edit took (recorded as effort).
    Answers the updated mask (an edited propagated mask becomes a manual keyframe)."""
    mask = get_or_404(Mask, mask_id)
    body = read_json(request)
    pixels = pixels_of_frame(body, mask.frame)
    work_seconds = services.check_work_seconds(field(body, "work_seconds", (int, float), required=False))
    mask = services.replace_mask_pixels(mask=mask, pixels=pixels, user=request.user, work_seconds=work_seconds)
    return mask_json(Mask.objects.select_related("frame", "tag", "created_by", "reviewed_by").get(pk=mask.pk))


@json_view(("POST",))
def mask_review(request: HttpRequest, mask_id: int):
    """Review a proposal (propagated or a model's): ``{"decision": "accept"}`` marks it reviewed (answers the mask),
    ``{"decision": "reject"}`` deletes it with its file (answers ``{"deleted": 1}``)."""
    mask = get_or_404(Mask, mask_id)
    decision = field(read_json(request), "decision", str)
    if decision == "accept":
        services.accept_mask(mask=mask, user=request.user)
        return mask_json(Mask.objects.select_related("frame", "tag", "created_by", "reviewed_by").get(pk=mask.pk))
    if decision == "reject":
        services.reject_mask(mask=mask, user=request.user)
        return {"deleted": 1, "id": mask_id}
    raise InvalidInput(f"Field 'decision' must be 'accept' or 'reject', got {decision!r}.")
