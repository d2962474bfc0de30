"""Writing a review's decisions: a sequence's status."""

from __future__ import annotations

from accounts import roles
from core.errors import InvalidInput
from masks.selectors import proposals_awaiting_review
from sequences.models import FrameSequence


def set_status(*, sequence: FrameSequence, status: str, user=None) -> FrameSequence:
    """Move ``sequence`` to ``status`` (one of Sequence.Status). An annotator hands a sequence in (in progress
    ↔ ready for review); setting it done, or taking it back from done, is a reviewer's decision.

    A sequence is not ready for review while proposals (propagated or a model's) wait: the annotator accepts,
    corrects or rejects them first, so that "ready" means a person stands behind every mask.
    """
    if status not in FrameSequence.Status.values:
        raise InvalidInput(f"Unknown status {status!r}; choose one of {', '.join(FrameSequence.Status.values)}.")
    review = FrameSequence.Status.DONE in (status, sequence.status)
    roles.require(
        user, "sequences.set_review_status" if review else "sequences.submit_for_review",
        f"Setting “{sequence.name}” to {FrameSequence.Status(status).label.lower()}",
    )
    if status == FrameSequence.Status.READY_FOR_REVIEW and status != sequence.status:
        proposals, frames = proposals_awaiting_review(sequence_id=sequence.id)
        if proposals:
            raise InvalidInput(
                f"“{sequence.name}” cannot be ready for review while {proposals} "
                f"{'proposal waits' if proposals == 1 else 'proposals wait'} for review on {frames} "
                f"frame{'' if frames == 1 else 's'}: accept, correct or reject "
                f"{'it' if proposals == 1 else 'them'} first (Next to review, N)."
            )
    sequence.status = status
    sequence.save(update_fields=["status"])
    return sequence
