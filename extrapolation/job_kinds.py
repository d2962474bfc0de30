"""Extrapolation as a kind of background job (:mod:`core.jobs`): its task, who cancels it, its status keys."""

from __future__ import annotations

from core.jobs import JobKind

from .models import ExtrapolationJob
from .services import remove_orphans_of_stale_job


def extrapolation_status(job: ExtrapolationJob) -> dict:
    """An extrapolation job's own status keys: its track, keyframes, span, masks written, frames left to the
    annotator (the object lost there)."""
    return {
        "sequence_id": job.sequence_id,
        "track_id": job.track_id,
        "tag_id": job.track.tag_id,
        "keyframe_mask_ids": job.keyframe_ids,
        "written": job.written,
        "left_to_annotator": job.left_to_annotator,
        "left_frames": job.left_frames,
        "span": None if job.span_start is None else [job.span_start, job.span_end],
    }


EXTRAPOLATION = JobKind(
    name="extrapolation", model=ExtrapolationJob, noun="extrapolation job",
    task="extrapolation.tasks.run_extrapolation_task",
    # Who started it may stop it, and a reviewer any.
    cancel_own="extrapolation.add_extrapolationjob", cancel_any="masks.review_mask",
    status=extrapolation_status, related=("track",),
    stale_consequence="the masks written so far are kept. Run the extrapolation again to finish",
    on_stale=remove_orphans_of_stale_job,
)
