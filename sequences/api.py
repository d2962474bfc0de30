"""JSON endpoints of sequences and frames (the timeline, review order and status are the review app's)."""

from django.db.models import Count
from django.http import HttpRequest

from core.api import get_or_404, json_view

from .models import Frame, FrameSequence


def frame_json(frame: Frame, mask_count: int | None = None) -> dict:
    data = {
        "id": frame.id,
        "index": frame.index,
        "url": frame.image.url,
        "thumbnail_url": frame.thumbnail.url,
        "width": frame.width,
        "height": frame.height,
    }
    if mask_count is not None:
        data["mask_count"] = mask_count
    return data


def sequence_json(sequence: FrameSequence) -> dict:
    return {
        "id": sequence.id,
        "name": sequence.name,
        "procedure": sequence.procedure,
        "description": sequence.description,
        "frame_count": sequence.frame_count,
        "status": sequence.status,
        "created_at": sequence.created_at.isoformat(),
    }


@json_view(("GET",))
def sequence_list(request: HttpRequest):
    sequences = FrameSequence.objects.annotate(frame_count=Count("frames"))
    return {"sequences": [sequence_json(s) for s in sequences]}


@json_view(("GET",))
def sequence_frames(request: HttpRequest, sequence_id: int):
    """A sequence with its frames in order (``frame_id`` of the mask API is a frame's ``id`` here)."""
    sequence = get_or_404(FrameSequence, sequence_id)
    sequence.frame_count = sequence.frames.count()
    frames = sequence.frames.annotate(mask_count=Count("masks")).order_by("index")
    return {**sequence_json(sequence), "frames": [frame_json(f, f.mask_count) for f in frames]}
