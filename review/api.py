"""JSON endpoints of the review: the timeline, the frames to review worst first, a sequence's status."""

from django.http import HttpRequest

from core.api import field, get_or_404, json_view, read_json
from findings.selectors import sequence_findings
from masks.models import Mask
from masks.selectors import MaskState
from sequences.models import FrameSequence

from . import selectors, services


def timeline_json(sequence: FrameSequence) -> dict:
    """What the timeline under the frame draws, as compact arrays (a 5,000-frame sequence stays small).

    ``tags``: per tag with masks, ``frames`` (ascending frame indices) and ``states`` (one per frame: 0
    manual, 1 propagated and accepted, 2 propagated awaiting review, 3 the same with confidence below
    ``low_confidence``). ``findings``: frame findings as ``[id, tag_id, first_index, last_index]``.
    """
    lines = selectors.sequence_timeline(sequence_id=sequence.id)
    findings = sequence_findings(sequence_id=sequence.id).values_list("id", "tag_id", "first_index", "last_index")
    return {
        "sequence_id": sequence.id,
        "frame_count": sequence.frames.count(),
        "low_confidence": Mask.LOW_CONFIDENCE,
        "states": MaskState.NAMES,
        "tags": [{"tag_id": line.tag_id, "frames": line.frames, "states": line.states} for line in lines.values()],
        "findings": [list(row) for row in findings],
    }


@json_view(("GET",))
def sequence_timeline(request: HttpRequest, sequence_id: int):
    """The timeline's data (see :func:`timeline_json`)."""
    return timeline_json(get_or_404(FrameSequence, sequence_id))


@json_view(("GET",))
def sequence_review(request: HttpRequest, sequence_id: int):
    """Frames to review worst first, and the frames extrapolation left to the annotator (see
    :func:`review.selectors.sequence_review`)."""
    sequence = get_or_404(FrameSequence, sequence_id)
    return {"sequence_id": sequence.id, **selectors.sequence_review(sequence_id=sequence.id)}


@json_view(("GET", "POST"))
def sequence_status(request: HttpRequest, sequence_id: int):
    """The sequence's annotation status; POST ``{"status": "in_progress" | "ready_for_review" | "done"}``."""
    sequence = get_or_404(FrameSequence, sequence_id)
    if request.method == "POST":
        services.set_status(sequence=sequence, status=field(read_json(request), "status", str), user=request.user)
    return {"sequence_id": sequence.id, "status": sequence.status, "label": sequence.get_status_display()}
