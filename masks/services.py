"""Writing masks: segmenting a frame from prompt points, saving a mask (file and rows together), deleting."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import roles
from core.errors import InvalidInput
from sequences.models import Frame, FrameSequence
from sequences.selectors import frame_image_key, frame_rgb
from tags.models import Tag

from . import signals, storage
from .drawing import rasterise_polygon
from .models import EffortEvent, Mask, Point, Track
from .segmentation.base import Click, Segmentation
from .segmenters import active_segmenter

logger = logging.getLogger(__name__)

HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
#: The longest working time one save may report: past it the page was left open, not worked in.
MAX_WORK_SECONDS = 3600.0


@dataclass(frozen=True)
class Work:
    """A person's piece of work on a mask, as recorded (an EffortEvent): what it was, its clicks and the working
    time the page measured (None when it sent none)."""

    kind: str
    clicks: int = 0
    seconds: float | None = None


def check_work_seconds(seconds: float | None) -> float | None:
    """``seconds`` if a usable working time (a number from 0 to MAX_WORK_SECONDS), else InvalidInput."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= MAX_WORK_SECONDS:
        raise InvalidInput(
            f"'work_seconds' must be a number of seconds from 0 to {MAX_WORK_SECONDS:g}, got {seconds!r}."
        )
    return float(seconds)


def record_work(*, work: Work, mask: Mask, user, correction: bool = False) -> EffortEvent | None:
    """Record ``work`` on ``mask`` by ``user`` (inside the caller's transaction, so the work and its mask are
    written together). Only a person's work counts: a caller without a user (a command, a job, a benchmark)
    records nothing."""
    if user is None:
        return None
    return EffortEvent.objects.create(
        sequence_id=mask.frame.sequence_id, frame_id=mask.frame_id, tag_id=mask.tag_id, mask=mask, kind=work.kind,
        clicks=work.clicks, correction=correction, work_seconds=check_work_seconds(work.seconds), created_by=user,
    )


@dataclass
class FrameSegmentation:
    segmentation: Segmentation
    segmenter: str


def check_point_count(count: int) -> None:
    """Raise InvalidInput if a request carries more prompt points than MAX_PROMPT_POINTS."""
    if count > settings.MAX_PROMPT_POINTS:
        raise InvalidInput(
            f"{count} points were sent; at most {settings.MAX_PROMPT_POINTS} are accepted per request "
            "(MAX_PROMPT_POINTS)."
        )


def validate_points(points: Sequence[Click], *, width: int, height: int, refining: bool = False) -> None:
    """Raise InvalidInput unless there are 1..MAX_PROMPT_POINTS points, a '+' among them (unless ``refining``
    an existing mask, which '-' clicks alone may correct), and every point lies inside the width × height
    frame."""
    if not points:
        raise InvalidInput("At least one point is needed.")
    check_point_count(len(points))
    if not refining and not any(p.positive for p in points):
        raise InvalidInput("At least one '+' point is needed: the object must be marked.")
    for number, p in enumerate(points, start=1):
        if not (0 <= p.x <= width - 1 and 0 <= p.y <= height - 1):
            raise InvalidInput(
                f"Point {number} ({p.x:g}, {p.y:g}) is outside the frame "
                f"(x in 0..{width - 1}, y in 0..{height - 1})."
            )


def validate_color(color: str) -> str:
    if not isinstance(color, str) or not HEX_COLOR.match(color):
        raise InvalidInput(f"Colour {color!r} is not of the form #RRGGBB.")
    return color.upper()


def segment_image(
    *, image: np.ndarray, points: Sequence[Click], image_key: str | None, initial: np.ndarray | None = None
) -> FrameSegmentation:
    """Run the active segmenter on an RGB ``image`` with ``points`` (validated first); with ``initial`` (bool,
    frame-sized), the clicks correct that mask rather than start from nothing.

    The path of every click (``/generate_mask/``, the page's preview) and of the click and effort benchmarks.
    """
    height, width = image.shape[:2]
    validate_points(points, width=width, height=height, refining=initial is not None)
    segmenter, status = active_segmenter()
    result = segmenter.segment(image, list(points), image_key=image_key, initial=initial)
    return FrameSegmentation(result, status.name)


def segment_frame(*, frame: Frame, points: Sequence[Click], initial: np.ndarray | None = None) -> FrameSegmentation:
    """Run the active segmenter on ``frame`` with ``points`` (correcting ``initial``, if given)."""
    validate_points(points, width=frame.width, height=frame.height, refining=initial is not None)
    return segment_image(image=frame_rgb(frame), points=points, image_key=frame_image_key(frame), initial=initial)


def segment_correction(*, mask: Mask, points: Sequence[Click]) -> FrameSegmentation:
    """The pixels ``points`` make of ``mask`` when they correct it (the page's preview of a refinement)."""
    return segment_frame(frame=mask.frame, points=points, initial=storage.read_mask(mask.file.name))


def refine_mask(*, mask: Mask, points: Sequence[Click], user=None, work_seconds: float | None = None) -> Mask:
    """Correct ``mask`` with + / − clicks that start from its pixels, and save the result in its place.

    As a brush edit (:func:`replace_mask_pixels`): a proposal so corrected becomes a mask made by hand and a
    keyframe of its track; the clicks are added to the mask's prompt points, after those that made it.
    """
    roles.require_mask_change(user, mask, permission="masks.change_mask", what=f"Refining mask {mask.id}")
    result = segment_correction(mask=mask, points=points)
    if not result.segmentation.mask.any():
        raise InvalidInput("The clicks removed the whole mask: delete the mask instead.")
    with transaction.atomic():
        refined = replace_mask_pixels(
            mask=mask, pixels=result.segmentation.mask, user=user, tool=f"{result.segmenter} clicks",
            work=Work(EffortEvent.Kind.CLICKS, clicks=len(points), seconds=work_seconds),
        )
        store_points(refined, points, first=refined.points.count())
    return refined


def store_points(mask: Mask, points: Sequence[Click], *, first: int = 0) -> None:
    """``points`` as ``mask``'s prompt points, numbered in click order from ``first``."""
    Point.objects.bulk_create(
        Point(mask=mask, order=first + i, x=p.x, y=p.y, sign="+" if p.positive else "-")
        for i, p in enumerate(points)
    )


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(x, y, width, height) of a bool mask's pixels; zeros for an empty mask."""
    return tuple(int(v) for v in cv2.boundingRect(mask.astype(np.uint8)))


def save_mask(
    *,
    frame: Frame,
    tag: Tag,
    color: str,
    mask: np.ndarray,
    points: Sequence[Click] = (),
    segmenter: str = "",
    score: float | None = None,
    created_by=None,
    source: str = Mask.Source.MANUAL,
    track: Track | None = None,
    keyframe: Mask | None = None,
    confidence: float | None = None,
    work: Work | None = None,
) -> Mask:
    """Store ``mask`` (bool, frame-sized) as a PNG and its rows; both are kept or neither. ``work``: the person's
    work that made it (recorded with the rows, as ``created_by``'s)."""
    if mask.shape != (frame.height, frame.width):
        raise InvalidInput(f"Mask shape {mask.shape} differs from the frame's {(frame.height, frame.width)}.")
    if not mask.any():
        raise InvalidInput("The mask is empty: nothing to save.")
    color = validate_color(color)
    name = storage.mask_name(sequence_id=frame.sequence_id, frame_index=frame.index, tag_id=tag.id)
    x, y, w, h = bounding_box(mask)
    storage.write_mask(name, mask)
    try:
        with transaction.atomic():
            saved = Mask.objects.create(
                frame=frame, tag=tag, color=color, file=name, area=int(mask.sum()),
                bbox_x=x, bbox_y=y, bbox_width=w, bbox_height=h, source=source,
                segmenter=segmenter, score=score, created_by=created_by,
                track=track, keyframe=keyframe, confidence=confidence,
            )
            store_points(saved, points)
            if work is not None:
                record_work(work=work, mask=saved, user=created_by)
    except BaseException:
        storage.delete_mask_file(name)
        raise
    return saved


def generate_mask(
    *, frame: Frame, tag: Tag, color: str, points: Sequence[Click], created_by=None, work_seconds: float | None = None,
    track: Track | None = None,
) -> Mask:
    """Segment ``frame`` from ``points`` and save the result as a manual mask of ``created_by``; its clicks and
    ``work_seconds`` (the working time the page measured, if any) are recorded as their effort.

    A mask made by hand on a frame of a track is a keyframe of that track: ``track`` (of ``tag``, in the frame's
    sequence) when the annotator works on it, or else the track of a proposal of ``tag`` on the frame that the
    new mask overlaps (the same object drawn again). That track's proposals there are replaced by it, and the
    correction spreads to the neighbouring frames (``signals.mask_corrected``).
    """
    roles.require(created_by, "masks.add_mask", "Making a mask")
    color = validate_color(color)
    check_track(track, frame=frame, tag=tag)
    work = Work(EffortEvent.Kind.CLICKS, clicks=len(points), seconds=check_work_seconds(work_seconds))
    result = segment_frame(frame=frame, points=points)
    return save_hand_made_mask(
        frame=frame, tag=tag, color=color, pixels=result.segmentation.mask, points=points, track=track,
        segmenter=result.segmenter, score=result.segmentation.score, created_by=created_by, work=work,
    )


def check_track(track: Track | None, *, frame: Frame, tag: Tag) -> None:
    """InvalidInput unless ``track`` is None or a track of ``tag`` in ``frame``'s sequence."""
    if track is not None and (track.sequence_id != frame.sequence_id or track.tag_id != tag.id):
        raise InvalidInput(f"Track {track.id} is not a track of {tag.name} in this frame's sequence.")


def save_hand_made_mask(
    *, frame: Frame, tag: Tag, color: str, pixels: np.ndarray, segmenter: str, created_by, work: Work,
    points: Sequence[Click] = (), score: float | None = None, track: Track | None = None,
) -> Mask:
    """Save ``pixels`` as a mask made by hand (from clicks, or drawn as a polygon or a box), as a keyframe of
    ``track`` or of the track whose proposal of ``tag`` on the frame it overlaps (see :func:`generate_mask`)."""
    replaced = [m for m in Mask.objects.filter(frame=frame, tag=tag, source__in=Mask.PROPOSALS, track__isnull=False)
                if (track is None or m.track_id == track.id) and same_object(pixels, storage.read_mask(m.file.name))]
    if track is None and replaced:
        track = replaced[0].track
        replaced = [m for m in replaced if m.track_id == track.id]
    with transaction.atomic():
        mask = save_mask(
            frame=frame, tag=tag, color=color, mask=pixels, points=points, track=track,
            segmenter=segmenter, score=score, created_by=created_by, work=work,
        )
        if replaced:
            delete_masks(Mask.objects.filter(pk__in=[m.pk for m in replaced]))
        if track is not None:
            transaction.on_commit(lambda: signals.mask_corrected.send(sender=Mask, mask=mask, user=created_by))
    return mask


#: What the page draws masks with besides clicks and the brush; a mask's ``segmenter`` names it.
DRAWING_TOOLS = ("polygon", "box")
MAX_POLYGON_VERTICES = 1000


def draw_mask(
    *, frame: Frame, tag: Tag, color: str, tool: str, vertices: Sequence[tuple[float, float]], created_by=None,
    work_seconds: float | None = None, track: Track | None = None,
) -> Mask:
    """Save the polygon (or box: its four corners) ``vertices`` drawn on ``frame`` as a mask made by hand, stored
    and treated as a mask from clicks (keyframe of a track it corrects included); its vertices count as its clicks
    in the recorded effort. The polygon's vertices are not kept: the mask's pixels are what it is."""
    roles.require(created_by, "masks.add_mask", "Drawing a mask")
    if tool not in DRAWING_TOOLS:
        raise InvalidInput(f"Tool {tool!r} is not one of {', '.join(DRAWING_TOOLS)}.")
    if not 3 <= len(vertices) <= MAX_POLYGON_VERTICES:
        raise InvalidInput(f"A polygon needs 3 to {MAX_POLYGON_VERTICES} vertices, got {len(vertices)}.")
    for number, (x, y) in enumerate(vertices, start=1):
        if not (0 <= x <= frame.width and 0 <= y <= frame.height):
            raise InvalidInput(f"Vertex {number} ({x:g}, {y:g}) is outside the {frame.width}×{frame.height} frame.")
    color = validate_color(color)
    check_track(track, frame=frame, tag=tag)
    pixels = rasterise_polygon(vertices, width=frame.width, height=frame.height)
    if not pixels.any():
        raise InvalidInput(f"The {tool} covers no pixel centre: draw it larger.")
    work = Work(EffortEvent.Kind.CLICKS, clicks=2 if tool == "box" else len(vertices),
                seconds=check_work_seconds(work_seconds))
    return save_hand_made_mask(frame=frame, tag=tag, color=color, pixels=pixels, segmenter=tool,
                               created_by=created_by, work=work, track=track)


def restore_mask(
    *, frame: Frame, tag: Tag, color: str, pixels: np.ndarray, source: str, segmenter: str = "",
    score: float | None = None, confidence: float | None = None, track: Track | None = None,
    keyframe: Mask | None = None, points: Sequence[Click] = (), created_by=None,
) -> Mask:
    """Bring back a mask its page deleted or rejected a moment ago (the page's undo): its pixels and record, as
    the page kept them, saved as a new mask (a new id and file) through :func:`save_mask`.

    The server deletes rejected and deleted masks for good (see :func:`reject_mask`), so an undo re-creates
    rather than un-deletes: the row and its file are written together like any other mask, and nothing half-
    deleted is ever kept. The restored mask is ``created_by``'s (whoever undid), unreviewed if a proposal; a
    track that no longer exists cannot take it back (the undo is refused), a keyframe that no longer exists is
    left out. A restored proposal is no longer a rejection of its track on that frame
    (``signals.proposal_restored``).
    """
    roles.require(created_by, "masks.add_mask", "Restoring a mask")
    if source not in Mask.Source.values:
        raise InvalidInput(f"Source {source!r} is not one of {', '.join(Mask.Source.values)}.")
    if confidence is not None and not 0 <= confidence <= 1:
        raise InvalidInput(f"Confidence {confidence!r} is not in [0, 1].")
    check_track(track, frame=frame, tag=tag)
    if keyframe is not None and (track is None or keyframe.track_id != track.id):
        keyframe = None
    with transaction.atomic():
        mask = save_mask(
            frame=frame, tag=tag, color=color, mask=pixels, points=points, segmenter=segmenter[:100], score=score,
            created_by=created_by, source=source, track=track, keyframe=keyframe, confidence=confidence,
        )
        if mask.source in Mask.PROPOSALS:
            transaction.on_commit(lambda: signals.proposal_restored.send(sender=Mask, mask=mask, user=created_by))
    return mask


#: Two masks of one tag on a frame that overlap by this share of the smaller are one object.
SAME_OBJECT_OVERLAP = 0.2


def same_object(first: np.ndarray, second: np.ndarray) -> bool:
    """Whether two bool (H, W) masks of one tag on one frame show the same object (not two lesions side by
    side): they overlap by at least ``SAME_OBJECT_OVERLAP`` of the smaller."""
    overlap = int(np.logical_and(first, second).sum())
    return overlap > 0 and overlap >= SAME_OBJECT_OVERLAP * min(int(first.sum()), int(second.sum()))


def replace_mask_pixels(
    *, mask: Mask, pixels: np.ndarray, user=None, tool: str = "brush", work: Work | None = None,
    work_seconds: float | None = None,
) -> Mask:
    """Replace the pixels of a saved mask by ``pixels`` (bool, frame-sized): the annotator's brush edits.

    The new PNG is written under a new name, the row (file, area, bbox) updated in one transaction, and the
    old file deleted once that commits; on any failure the new file goes and the old mask stays whole.
    An edited proposal (propagated or a model's) becomes a mask made by hand: a propagated one stays in its
    track as one of its keyframes (a next extrapolation of the track propagates from it). An edit is a human's
    check, so it counts as reviewed. The prompt points are kept: they record how the mask was started.
    ``user``: its author, or a reviewer. ``tool``: what made the edit, added to the mask's ``segmenter``.
    The edit is recorded as ``user``'s effort: ``work`` (by default a brush edit taking ``work_seconds``), a
    correction when the mask was a proposal.
    """
    work = work or Work(EffortEvent.Kind.EDIT, seconds=work_seconds)
    check_work_seconds(work.seconds)
    roles.require_mask_change(user, mask, permission="masks.change_mask", what=f"Editing mask {mask.id}")
    frame = mask.frame
    if pixels.shape != (frame.height, frame.width):
        raise InvalidInput(f"Mask shape {pixels.shape} differs from the frame's {(frame.height, frame.width)}.")
    if not pixels.any():
        raise InvalidInput("The edited mask is empty: delete the mask instead.")
    name = storage.mask_name(sequence_id=frame.sequence_id, frame_index=frame.index, tag_id=mask.tag_id)
    x, y, w, h = bounding_box(pixels)
    storage.write_mask(name, pixels)
    try:
        with transaction.atomic():
            current = Mask.objects.select_for_update().get(pk=mask.pk)
            old_name = current.file.name
            current.file = name
            current.area = int(pixels.sum())
            current.bbox_x, current.bbox_y, current.bbox_width, current.bbox_height = x, y, w, h
            correction = current.source in Mask.PROPOSALS
            if correction:
                current.source = Mask.Source.MANUAL
                current.keyframe = None
                current.confidence = None
            if tool not in current.segmenter:
                current.segmenter = (f"{current.segmenter} + {tool}" if current.segmenter else tool)[:100]
            current.reviewed_by = user
            current.reviewed_at = timezone.now()
            current.save()
            record_work(work=work, mask=current, user=user, correction=correction)
            transaction.on_commit(lambda: storage.delete_mask_file(old_name))
            transaction.on_commit(lambda: signals.mask_corrected.send(sender=Mask, mask=current, user=user))
    except BaseException:
        storage.delete_mask_file(name)
        raise
    return current


def accept_mask(*, mask: Mask, user=None) -> Mask:
    """Mark ``mask`` reviewed: its pixels are right as they are (a reviewer's write)."""
    roles.require(user, "masks.review_mask", f"Accepting mask {mask.id}")
    mask.reviewed_by = user
    mask.reviewed_at = timezone.now()
    with transaction.atomic():
        mask.save(update_fields=["reviewed_by", "reviewed_at"])
        if mask.source in Mask.PROPOSALS:
            record_work(work=Work(EffortEvent.Kind.ACCEPT), mask=mask, user=user)
    return mask


def reject_mask(*, mask: Mask, user=None) -> None:
    """Reject a proposal (a propagated mask or a model's): it is deleted with its file.

    Deleted rather than kept with a "rejected" state: its pixels are wrong, and a kept wrong mask would have
    to be filtered out by every reader (exports, training, statistics, the timeline) forever. The frame
    then shows as having no mask of that tag, which is what it is until someone draws one; the track's
    keyframes stay, so the annotator can fix the frame by hand or re-run the extrapolation.
    Rejecting is deleting: the proposal's author (who started its extrapolation) or a reviewer.
    """
    if mask.source not in Mask.PROPOSALS:
        raise InvalidInput(f"Mask {mask.id} was made by hand; delete it instead of rejecting it.")
    roles.require_mask_change(user, mask, permission="masks.delete_mask", what=f"Rejecting mask {mask.id}")
    with transaction.atomic():
        record_work(work=Work(EffortEvent.Kind.REJECT), mask=mask, user=user, correction=True)  # outlives the mask
        signals.proposal_rejected.send(sender=Mask, mask=mask, user=user)
        delete_mask(mask=mask)


def delete_masks(masks) -> int:
    """Delete the masks of a queryset with their files (files go once the rows are gone for good, as for every
    row that owns files: ``core.files``). Returns how many masks were deleted."""
    _, deleted = masks.delete()
    return deleted.get(Mask._meta.label, 0)


def delete_mask(*, mask: Mask, user=None) -> None:
    """Delete ``mask`` with its file: its author, or a reviewer."""
    roles.require_mask_change(user, mask, permission="masks.delete_mask", what=f"Deleting mask {mask.id}")
    delete_masks(Mask.objects.filter(pk=mask.pk))


def delete_tag_masks(*, sequence: FrameSequence, tag: Tag, user=None) -> int:
    """Delete every mask of ``tag`` in ``sequence``; returns how many. All of them must be ``user``'s, unless
    a reviewer's."""
    masks = Mask.objects.filter(frame__sequence=sequence, tag=tag)
    roles.require_mask_change(
        user, masks.only("id", "created_by"), permission="masks.delete_mask",
        what=f"Deleting every {tag.name} mask of “{sequence.name}”",
    )
    return delete_masks(masks)


def remove_orphan_files(*, sequence_id: int, older_than: float = 60) -> list[str]:
    """Delete mask files of a sequence that no row refers to (left by a process killed mid-save).

    Files younger than ``older_than`` seconds are left alone: their rows may be on their way.
    """
    folder = storage.absolute(f"masks/{sequence_id}")
    if not folder.exists():
        return []
    known = set(Mask.objects.filter(frame__sequence_id=sequence_id).values_list("file", flat=True))
    removed = []
    cutoff = time.time() - older_than
    for path in folder.rglob("*"):
        if path.is_file() and path.stat().st_mtime < cutoff:
            name = path.relative_to(storage.absolute("")).as_posix()
            if name not in known:
                path.unlink(missing_ok=True)
                removed.append(name)
    return removed
