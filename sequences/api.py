"""JSON endpoints of sequences and frames."""

from django.db.models import Count
from django.http import HttpRequest

from core.api import field, get_or_404, json_view, read_json

from . import selectors, services
from .models import Frame, Sequence


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


def sequence_json(sequence: Sequence) -> dict:
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
    sequences = Sequence.objects.annotate(frame_count=Count("frames"))
    return {"sequences": [sequence_json(s) for s in sequences]}


@json_view(("GET",))
def sequence_frames(request: HttpRequest, sequence_id: int):
    """A sequence with its frames in order (``frame_id`` of the mask API is a frame's ``id`` here)."""
    sequence = get_or_404(Sequence, sequence_id)
    sequence.frame_count = sequence.frames.count()
    frames = sequence.frames.annotate(mask_count=Count("masks")).order_by("index")
    return {**sequence_json(sequence), "frames": [frame_json(f, f.mask_count) for f in frames]}


def timeline_json(sequence: Sequence) -> dict:
    """What the timeline under the frame draws, as compact arrays (a 5,000-frame sequence stays small).

    ``tags``: per tag with masks, ``frames`` (ascending frame indices) and ``states`` (one per frame: 0
    manual, 1 propagated and accepted, 2 propagated awaiting review, 3 the same with confidence below
    ``low_confidence``). ``findings``: frame findings as ``[id, tag_id, first_index, last_index]``.
    """
    from findings.selectors import sequence_findings

    lines = selectors.sequence_timeline(sequence_id=sequence.id)
    findings = sequence_findings(sequence_id=sequence.id).values_list("id", "tag_id", "first_index", "last_index")
    return {
        "sequence_id": sequence.id,
        "frame_count": sequence.frames.count(),
        "low_confidence": selectors.LOW_CONFIDENCE,
        "states": {"manual": 0, "accepted": 1, "propagated": 2, "low_confidence": 3},
        "tags": [{"tag_id": line.tag_id, "frames": line.frames, "states": line.states} for line in lines.values()],
        "findings": [list(row) for row in findings],
    }


@json_view(("GET",))
def sequence_timeline(request: HttpRequest, sequence_id: int):
    """The timeline's data (see :func:`timeline_json`)."""
    return timeline_json(get_or_404(Sequence, sequence_id))


@json_view(("GET", "POST"))
def sequence_status(request: HttpRequest, sequence_id: int):
    """The sequence's annotation status; POST ``{"status": "in_progress" | "ready_for_review" | "done"}``."""
    sequence = get_or_404(Sequence, sequence_id)
    if request.method == "POST":
        services.set_status(sequence=sequence, status=field(read_json(request), "status", str), user=request.user)
    return {"sequence_id": sequence.id, "status": sequence.status, "label": sequence.get_status_display()}
