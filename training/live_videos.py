"""Videos uploaded to play live (not imported as sequences): storing one, all or nothing, and deleting it."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from accounts import roles
from core.errors import InvalidInput
from sequences.sources import VIDEO_EXTENSIONS

from .live import VideoError, probe_video
from .models import LiveVideo

LIVE_VIDEO_DIR = "live-videos"


def upload_live_video(*, upload: UploadedFile, name: str = "", created_by=None) -> LiveVideo:
    """Store an uploaded video file to play live (it is not imported as a sequence).

    OpenCV must open it and decode its first frame. All or nothing: a rejected file (InvalidInput says why)
    leaves neither a file nor a row; the file is written first and the row only once it is known good.
    """
    roles.require(created_by, "training.add_livevideo", "Uploading a video to play live")
    suffix = Path(upload.name).suffix.lower()
    if suffix not in VIDEO_EXTENSIONS:
        raise InvalidInput(f"{upload.name} is not a video file (accepted: {', '.join(sorted(VIDEO_EXTENSIONS))}).")
    relative = f"{LIVE_VIDEO_DIR}/{uuid.uuid4().hex}{suffix}"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("xb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            info = probe_video(path, max_pixels=settings.MAX_FRAME_PIXELS)
        except VideoError as exc:
            raise InvalidInput(f"{upload.name} cannot be played: {exc.reason}.") from exc
        return LiveVideo.objects.create(
            name=(name.strip() or Path(upload.name).name)[:200], file=relative, fps=info.fps,
            frame_count=info.frame_count, width=info.width, height=info.height, created_by=created_by,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def delete_live_video(*, video: LiveVideo, user=None) -> None:
    """Delete an uploaded video; its file goes once the deletion is committed (see LiveVideo)."""
    roles.require(user, "training.delete_livevideo", f"Deleting video {video.id}")
    video.delete()
