"""Writing sequences: importing a procedure's frames, deleting a sequence (its status is set by the review app)."""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import cv2
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import roles
from tags.models import Procedure

from .models import Frame, FrameSequence, sequence_dir
from .sources import Skipped, SourceError, SourceFrame, SourceLimits, deidentified, iter_source, video_fps

logger = logging.getLogger(__name__)

THUMBNAIL_WIDTH = 160
#: An import still running after this long was abandoned (its process was killed).
ABANDONED_IMPORT_AGE = timedelta(hours=6)
# Frames written per transaction while importing: other writers (annotators saving masks, jobs) wait for
# one batch's inserts at most, never for the whole import.
IMPORT_BATCH_FRAMES = 50


class ImportFailed(Exception):
    """Nothing was imported; the message says why."""


@dataclass
class ImportReport:
    sequence: FrameSequence
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def frame_count(self) -> int:
        return self.sequence.frames.count()


def import_limits() -> SourceLimits:
    """What an imported source may make the server read and decode (settings ``MAX_*``)."""
    return SourceLimits(
        max_frame_pixels=settings.MAX_FRAME_PIXELS, max_image_bytes=settings.MAX_IMAGE_BYTES,
        max_zip_bytes=settings.MAX_ZIP_BYTES, max_zip_ratio=settings.MAX_ZIP_RATIO,
    )


def import_sequence(
    *,
    source: Path,
    name: str,
    procedure: str = Procedure.OTHER,
    every_nth: int = 1,
    description: str = "",
    created_by=None,
    source_label: str | None = None,
    deidentify: bool = False,
) -> ImportReport:
    """Import the frames of ``source`` (folder, zip, video or single image) as a new sequence.

    All or nothing: if no frame is readable, or the source is rejected, no row and no file remain.
    Unreadable images (and images past :func:`import_limits`) are skipped and listed in the report.
    Frames are written in batches of short transactions; the sequence stays hidden (``importing``) until the
    last one is in. With ``deidentify`` every frame is blanked outside the scope's field of view and on burnt-in
    text before anything of it is written (``sources.deidentified``); the import form and command ask for it by
    default. ``created_by`` imports it: a manager's write.
    """
    roles.require(created_by, "sequences.add_framesequence", "Importing a sequence")
    if procedure not in Procedure.values:
        raise ImportFailed(f"Unknown procedure {procedure!r}; choose one of {', '.join(Procedure.values)}.")
    if not name.strip():
        raise ImportFailed("The sequence needs a name.")
    media_root = Path(settings.MEDIA_ROOT)
    discard_abandoned_imports()
    label = source_label or source.name
    sequence: FrameSequence | None = None
    skipped: list[Skipped] = []
    try:
        sequence = FrameSequence.all_objects.create(
            name=name.strip(), procedure=procedure, description=description, created_by=created_by,
            source=label, fps=video_fps(source), importing=True, deidentified=deidentify,
        )
        items = iter_source(source, every_nth=every_nth, limits=import_limits())
        if deidentify:
            items = deidentified(items)
        batch: list[Frame] = []
        count = 0
        for item in items:
            if isinstance(item, Skipped):
                skipped.append(item)
                continue
            batch.append(_store_frame(sequence, count, item, media_root))
            count += 1
            if len(batch) == IMPORT_BATCH_FRAMES:
                _save_frames(batch)
                batch = []
        _save_frames(batch)
        if not count:
            reasons = "; ".join(f"{s.name}: {s.reason}" for s in skipped[:5])
            detail = f" ({reasons})" if reasons else ""
            raise ImportFailed(f"No readable image in {label}.{detail}")
        FrameSequence.all_objects.filter(pk=sequence.pk).update(importing=False)
        sequence.importing = False
    except SourceError as exc:
        _discard_import(sequence, media_root)
        raise ImportFailed(str(exc)) from exc
    except BaseException:
        _discard_import(sequence, media_root)
        raise
    for item in skipped:
        logger.warning("Import of %s skipped %s: %s", sequence, item.name, item.reason)
    return ImportReport(sequence, skipped)


def _save_frames(frames: list[Frame]) -> None:
    if frames:
        with transaction.atomic():
            Frame.objects.bulk_create(frames)


def discard_abandoned_imports(*, older_than: timedelta = ABANDONED_IMPORT_AGE) -> int:
    """Remove the sequences whose import was killed mid-way (a process that dies cannot clean up after itself):
    still ``importing`` after ``older_than`` (a 1,000-frame import takes well under a minute), with their
    files. Each new import calls it. Returns how many were removed."""
    media_root = Path(settings.MEDIA_ROOT)
    abandoned = list(FrameSequence.all_objects.filter(importing=True, created_at__lt=timezone.now() - older_than))
    for sequence in abandoned:
        logger.warning("Removing sequence %s, whose import was abandoned on %s", sequence.pk, sequence.created_at)
        _discard_import(sequence, media_root)
    return len(abandoned)


def _discard_import(sequence: FrameSequence | None, media_root: Path) -> None:
    """Remove what a failed import wrote: its rows (the frames go with the sequence) and its folder."""
    if sequence is None:
        return
    try:
        FrameSequence.all_objects.filter(pk=sequence.pk).delete()
    except Exception:
        # The row stays hidden (importing); its files go anyway.
        logger.exception("Could not delete the rows of the failed import of sequence %s", sequence.pk)
    _remove(media_root / sequence_dir(sequence.pk))


def _store_frame(sequence: FrameSequence, index: int, frame: SourceFrame, media_root: Path) -> Frame:
    base = sequence_dir(sequence.id)
    image_name = f"{base}/frames/{index:06d}{frame.ext}"
    thumb_name = f"{base}/thumbs/{index:06d}.jpg"
    (media_root / image_name).parent.mkdir(parents=True, exist_ok=True)
    (media_root / thumb_name).parent.mkdir(parents=True, exist_ok=True)
    (media_root / image_name).write_bytes(frame.data)
    height, width = frame.image.shape[:2]
    thumb_height = max(1, round(height * THUMBNAIL_WIDTH / width))
    thumb = cv2.resize(frame.image, (THUMBNAIL_WIDTH, thumb_height), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(media_root / thumb_name), thumb, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return Frame(
        sequence=sequence, index=index, image=image_name, thumbnail=thumb_name,
        width=width, height=height, original_name=frame.name[:300],
        checksum=hashlib.sha1(frame.data).hexdigest()[:16],
    )


def _remove(folder: Path | None) -> None:
    if folder is not None and folder.exists():
        shutil.rmtree(folder, ignore_errors=True)


def delete_sequence(*, sequence: FrameSequence, user=None) -> None:
    """Delete a sequence with its frames, masks and every file of theirs (a manager's write); the files go once
    the deletion has committed (``core.files``)."""
    roles.require(user, "sequences.delete_framesequence", f"Deleting “{sequence.name}”")
    sequence.delete()
