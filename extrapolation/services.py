"""Starting and running extrapolation jobs, and the tracks they write.

A job propagates the manual (keyframe) masks of a track to every other frame of the sequence. The
framework-free algorithm lives in :mod:`extrapolation.propagation`; this module adapts it: loads frames,
writes each propagated mask (file and rows together) as soon as it is computed, reports progress, and
honours cancellation. Claiming, the final state, cancelling and the status JSON are every job's
(:mod:`core.jobs`).
"""

from __future__ import annotations

import logging

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import F

from accounts import roles
from core import jobs
from core.errors import Conflict, InvalidInput
from masks import storage
from masks.models import Mask, Track
from masks.segmentation.base import SegmenterError
from masks.segmenters import active_segmenter
from masks.services import delete_masks, remove_orphan_files, same_object, save_mask
from sequences.models import Frame
from sequences.selectors import frame_image_key, frame_rgb

from .models import ExtrapolationJob, RejectedFrame

logger = logging.getLogger(__name__)
Job = ExtrapolationJob


class JobConflict(Conflict):
    """The track already has a job queued or running (HTTP 409)."""


def track_for_keyframe(*, keyframe: Mask, created_by=None) -> Track:
    """The track a manual mask belongs to, made for it if it has none.

    Call it in a transaction: the keyframe is read again under a row lock, so two requests at once for one
    mask find (or make) one track, and the second sees the first one's job.
    """
    keyframe.track_id = Mask.objects.select_for_update().values_list("track_id", flat=True).get(pk=keyframe.pk)
    if keyframe.source != Mask.Source.MANUAL:
        raise InvalidInput(
            f"Mask {keyframe.id} was propagated; extrapolate from a mask made by hand (a keyframe)."
        )
    if keyframe.track_id is None:
        keyframe.track = Track.objects.create(
            sequence_id=keyframe.frame.sequence_id, tag=keyframe.tag, color=keyframe.color, created_by=created_by
        )
        keyframe.save(update_fields=["track"])
    return keyframe.track


def confirmed_masks(track: Track):
    """The track's keyframes: masks made by hand, and propagated ones a reviewer accepted (their pixels
    are confirmed, so a new run keeps them and propagates from them too)."""
    return track.masks.trusted()


def rerun_span(*, track: Track, keyframe: Mask, frame_count: int) -> tuple[int, int] | None:
    """The frames a rerun after ``keyframe`` was made or corrected must recompute: those between its
    neighbouring keyframes (or the sequence's ends), as (first, last + 1); None for the whole sequence (the
    track was never extrapolated: there is nothing outside the span to keep)."""
    if not Job.objects.filter(track=track, state=Job.State.SUCCEEDED).exists():
        return None
    index = keyframe.frame.index
    others = set(confirmed_masks(track).exclude(pk=keyframe.pk).values_list("frame__index", flat=True))
    before = [i for i in others if i < index]
    after = [i for i in others if i > index]
    return (max(before) + 1 if before else 0, min(after) if after else frame_count)


def start_extrapolation(*, keyframe: Mask, created_by=None, enqueue: bool = True, whole: bool = False) -> Job:
    """Create a job propagating ``keyframe``'s track (all its confirmed masks) through the sequence.

    A track extrapolated before recomputes only the frames between ``keyframe``'s neighbouring keyframes
    (a correction spreads to its neighbours in seconds, and the rest of the track stays as reviewed);
    ``whole`` recomputes every frame. With ``enqueue`` (the default) the job goes to the task queue once the
    transaction commits; without, the caller runs it (:func:`run_extrapolation`). A run replaces the track's unreviewed
    proposals, so ``created_by`` must own the whole track (the keyframe, for a new one), unless a reviewer.
    """
    roles.require_mask_change(
        created_by, keyframe.track.masks.only("id", "created_by") if keyframe.track_id else keyframe,
        permission="extrapolation.add_extrapolationjob", what=f"Extrapolating mask {keyframe.id}",
    )

    def create() -> Job:
        track = track_for_keyframe(keyframe=keyframe, created_by=created_by)
        Track.objects.select_for_update().get(pk=track.pk)  # one job start at a time per track
        if Job.objects.filter(track=track, state__in=Job.ACTIVE).exists():
            raise JobConflict(f"Track {track.id} is already being extrapolated; wait for it or cancel it.")
        keyframes = list(confirmed_masks(track).values_list("id", flat=True))
        span = None if whole else rerun_span(
            track=track, keyframe=keyframe, frame_count=Frame.objects.filter(sequence_id=track.sequence_id).count()
        )
        return Job.objects.create(
            sequence_id=track.sequence_id, track=track, keyframe_ids=keyframes, created_by=created_by,
            span_start=span[0] if span else None, span_end=span[1] if span else None,
        )

    return jobs.start_job(create, enqueue=enqueue)


def remember_rejection(*, mask: Mask, user=None) -> None:
    """A person rejected ``mask``, a proposal of a track: later runs of the track leave its frame empty."""
    if mask.track_id is not None:
        RejectedFrame.objects.get_or_create(track_id=mask.track_id, frame_id=mask.frame_id,
                                            defaults={"rejected_by": user})


def forget_rejection(*, mask: Mask, user=None) -> None:
    """A person brought back a rejected proposal of a track (an undo): its frame is no longer a rejection."""
    if mask.track_id is not None:
        RejectedFrame.objects.filter(track_id=mask.track_id, frame_id=mask.frame_id).delete()


def rerun_after_correction(*, mask: Mask, user=None) -> Job | None:
    """Spread a correction of a track's mask to its neighbours: a rerun of the frames between its neighbouring
    keyframes (``EXTRAPOLATE_AFTER_CORRECTION``). None where there is nothing to rerun or it cannot start now
    (the track is being extrapolated, or ``user`` may not replace the whole track's proposals): the page
    still offers *Extrapolate*."""
    if not settings.EXTRAPOLATE_AFTER_CORRECTION or mask.track_id is None or mask.source != Mask.Source.MANUAL:
        return None
    if not Job.objects.filter(track_id=mask.track_id).exists():
        return None  # never extrapolated: the annotator starts it
    try:
        return start_extrapolation(keyframe=mask, created_by=user)
    except (JobConflict, PermissionDenied) as exc:
        logger.info("No rerun after correcting mask %s: %s", mask.id, exc)
        return None


def remove_orphans_of_stale_job(job: Job, stale_after: float) -> None:
    """A job whose worker died (:func:`core.jobs.reap_stale_jobs`): the masks it wrote are kept (each is complete,
    file and rows); a mask file whose rows never came is removed."""
    remove_orphan_files(sequence_id=job.sequence_id, older_than=stale_after)


def run_extrapolation(job_id: str) -> str:
    """Run a queued job to its end (the body of the background task). Returns the final state."""
    return jobs.run_job(Job, job_id, propagate_track)


def propagate_track(job: Job, progress: jobs.Progress) -> dict:
    """The work of an extrapolation job: propagate its track's keyframes through its span, writing each mask as it
    comes; answers what to record at its end (the frames left to the annotator)."""
    track = job.track
    frames = list(Frame.objects.filter(sequence_id=job.sequence_id).order_by("index"))
    keyframe_masks: dict[int, Mask] = {}
    for mask in confirmed_masks(track).select_related("frame").order_by("-source"):  # "propagated" before "manual"
        keyframe_masks[mask.frame.index] = mask  # a manual mask wins over an accepted one on its frame
    if not any(m.source == Mask.Source.MANUAL for m in keyframe_masks.values()):
        raise InvalidInput(f"Track {track.id} has no mask made by hand to propagate from.")
    keyframes = {index: storage.read_mask(m.file.name) for index, m in keyframe_masks.items()}
    span = (job.span_start, job.span_end) if job.span_start is not None else (0, len(frames))
    # A new run replaces the previous one's unconfirmed masks (within its span).
    delete_masks(track.masks.awaiting_review().filter(
        source=Mask.Source.PROPAGATED, frame__index__gte=span[0], frame__index__lt=span[1],
    ))
    rejected = set(RejectedFrame.objects.filter(track=track).values_list("frame__index", flat=True))
    others = _trusted_masks_of_other_tracks(track)
    total = sum(1 for i in range(*span) if i not in keyframes)
    progress(0, total, written=0, left_frames=[])
    left: list[int] = []
    done = 0

    from .propagation import PropagationParams, propagate  # loads the backbone: only where a job runs

    def on_frame(index: int, result) -> bool:
        nonlocal done
        written = 0
        if result.mask is None or not np.any(result.mask) or index in rejected:
            left.append(index)
        elif _covered_by_hand(result.mask, others.get(index, ())):
            pass  # a person drew this object here already: never a duplicate over it (nor a frame left to do)
        else:
            save_mask(
                frame=frames[index], tag=track.tag, color=track.color, mask=result.mask,
                segmenter="propagation", confidence=float(result.confidence), source=Mask.Source.PROPAGATED,
                track=track, keyframe=keyframe_masks[result.source_keyframe], created_by=job.created_by,
            )
            written = 1
        done += 1
        return not progress(done, written=F("written") + written)

    propagate(
        lambda i: frame_rgb(frames[i]), len(frames), keyframes, on_frame=on_frame,
        segmenter=reanchoring_segmenter(), image_key=lambda i: frame_image_key(frames[i]),
        params=PropagationParams(keep_confidence=settings.EXTRAPOLATION_MIN_CONFIDENCE), span=span,
    )
    return {"left_to_annotator": len(left), "left_frames": sorted(left)}


def _trusted_masks_of_other_tracks(track: Track) -> dict[int, list[str]]:
    """{frame index: files of the masks of ``track``'s tag made by hand or accepted, not in ``track``}."""
    found: dict[int, list[str]] = {}
    rows = (
        Mask.objects.filter(frame__sequence_id=track.sequence_id, tag_id=track.tag_id).trusted()
        .exclude(track=track)
        .values_list("frame__index", "file")
    )
    for index, name in rows:
        found.setdefault(index, []).append(name)
    return found


def _covered_by_hand(mask: np.ndarray, names) -> bool:
    """Whether a trusted mask (files ``names``) shows the object of ``mask`` (``masks.services.same_object``). A
    trusted mask of the tag elsewhere on the frame is another lesion of that kind: the proposal goes beside it."""
    return any(same_object(mask, storage.read_mask(name)) for name in names)


class CachedSamOnly:
    """SAM for re-anchoring, only where it is cheap: on a GPU, or on a CPU for frames whose image embedding is
    already cached. Elsewhere its encoder would cost 20–45 s a frame, so the frame keeps the flow's mask
    (propagation treats the refusal as "no refinement")."""

    def __init__(self, sam) -> None:
        self.sam = sam
        self.name = sam.name

    def segment(self, image, points, *, image_key=None, previous_logits=None, prior=None):
        if self.sam.device.type != "cuda" and not (image_key and self.sam.has_embedding(image_key)):
            raise SegmenterError(f"no cached embedding for {image_key}: not re-anchored with SAM")
        return self.sam.segment(image, points, image_key=image_key, prior=prior)


def reanchoring_segmenter() -> CachedSamOnly | None:
    """The segmenter that re-anchors propagated masks: SAM where cheap (see CachedSamOnly), else none: on
    the CPU default, propagation re-anchors on the keyframe itself (its mask warped straight to each frame
    is one of the two sources fused), since re-anchoring with GrabCut measured worse (J 0.228 against 0.248
    for plain chained flow on the dev set)."""
    segmenter, status = active_segmenter()
    return CachedSamOnly(segmenter) if status.kind == "sam" else None


def delete_track(*, track: Track, user=None) -> int:
    """Delete a track with all its masks (keyframes included) and their files; returns masks deleted.
    Every mask of the track must be ``user``'s, unless a reviewer's."""
    roles.require_mask_change(user, track.masks.only("id", "created_by"), permission="masks.delete_track",
                              what=f"Deleting track {track.id}")
    if Job.objects.filter(track=track, state__in=Job.ACTIVE).exists():
        # 400, as the API has always answered it (a Conflict would answer 409)
        raise InvalidInput(f"Track {track.id} is being extrapolated; cancel the job first.")
    count = delete_masks(track.masks.all())
    track.delete()
    return count
