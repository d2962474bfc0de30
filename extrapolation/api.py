"""JSON endpoints of extrapolation: start (/extrapolate_masks/), a sequence's jobs, tracks, review.

A job's status and cancelling are the jobs API's (:mod:`core.jobs_api`)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from core.api import field, get_or_404, json_view, read_json
from core.errors import InvalidInput
from core.jobs import job_status_json
from masks.api import frame_of_sequence, parse_points
from masks.models import Mask, Track
from masks.services import check_work_seconds, generate_mask, validate_color
from sequences.models import FrameSequence
from tags.models import Tag

from . import services
from .models import ExtrapolationJob


@json_view(("POST",))
def extrapolate_masks(request: HttpRequest):
    """Make the keyframe mask from points (or take ``mask_id``) and queue its propagation; 202. With points, an
    optional ``work_seconds`` is the working time the mask took (recorded as effort, as /generate_mask/ does)."""
    body = read_json(request)
    mask_id = field(body, "mask_id", int, required=False)
    if mask_id is not None:
        keyframe = get_or_404(Mask, mask_id)
        sequence_id = field(body, "sequence_id", int, required=False)
        if sequence_id is not None and keyframe.frame.sequence_id != sequence_id:
            raise InvalidInput(f"Mask {mask_id} belongs to sequence {keyframe.frame.sequence_id}, not {sequence_id}.")
    else:
        sequence_id = field(body, "sequence_id", int)
        frame_id = field(body, "current_frame_id", int)
        points = parse_points(field(body, "points", list))
        frame = frame_of_sequence(sequence_id, frame_id)
        tag = get_or_404(Tag, field(body, "tag_id", int))
        color = validate_color(field(body, "mask_color", str, required=False, default=tag.color))
        work_seconds = check_work_seconds(field(body, "work_seconds", (int, float), required=False))
        keyframe = generate_mask(frame=frame, tag=tag, color=color, points=points, created_by=request.user,
                                 work_seconds=work_seconds)
    whole = field(body, "whole", bool, required=False, default=False)
    job = services.start_extrapolation(keyframe=keyframe, created_by=request.user, whole=whole)  # JobConflict: 409
    answer = job_status_json(job)
    answer["keyframe_mask_id"] = keyframe.id
    answer["job_id"] = answer["id"]
    return JsonResponse(answer, status=202)


@json_view(("GET",))
def sequence_jobs(request: HttpRequest, sequence_id: int):
    """The sequence's recent jobs, newest first (``?active=1``: only queued and running ones)."""
    sequence = get_or_404(FrameSequence, sequence_id)
    jobs = ExtrapolationJob.objects.filter(sequence=sequence).select_related("track")
    if request.GET.get("active"):
        jobs = jobs.filter(state__in=ExtrapolationJob.ACTIVE)
    return {"jobs": [job_status_json(j) for j in jobs[:50]]}


@json_view(("GET", "DELETE"))
def track_detail(request: HttpRequest, track_id: int):
    track = get_or_404(Track, track_id)
    if request.method == "DELETE":
        return {"deleted": services.delete_track(track=track, user=request.user)}
    masks = track.masks.select_related("frame").order_by("frame__index")
    return {
        "id": track.id, "sequence_id": track.sequence_id, "tag_id": track.tag_id, "color": track.color,
        "masks": [
            {"id": m.id, "frame_id": m.frame_id, "frame_index": m.frame.index, "source": m.source,
             "confidence": m.confidence}
            for m in masks
        ],
    }
