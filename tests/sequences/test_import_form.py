"""The import form: two uploaded images of one name are refused, not silently made one frame."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sequences.models import Frame, FrameSequence

pytestmark = pytest.mark.django_db


def png_upload(name: str, level: int) -> SimpleUploadedFile:
    data = cv2.imencode(".png", np.full((40, 50, 3), level, np.uint8))[1].tobytes()
    return SimpleUploadedFile(name, data, content_type="image/png")


def test_two_uploaded_images_of_one_name_are_refused(client, user, media_root):
    client.force_login(user)
    files = [png_upload("frame1.png", 10), png_upload("frame2.png", 20), png_upload("case/frame1.png", 30)]
    response = client.post("/sequences/import/", {
        "name": "Twice", "procedure": "colonoscopy", "every_nth": 1, "description": "", "files": files,
    })
    assert response.status_code == 200
    assert "Several uploaded files are named frame1.png" in response.content.decode()
    assert not FrameSequence.all_objects.exists() and not Frame.objects.exists()
    assert not list(media_root.rglob("*.*"))
