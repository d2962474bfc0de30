"""Server-rendered pages: login, the sequence list, the import form and the annotation page."""

from __future__ import annotations

import io
import zipfile

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sequences.models import FrameSequence

pytestmark = pytest.mark.django_db


def png_upload(name: str, level: int = 100) -> SimpleUploadedFile:
    data = cv2.imencode(".png", np.full((40, 50, 3), level, np.uint8))[1].tobytes()
    return SimpleUploadedFile(name, data, content_type="image/png")


def form(files, **fields) -> dict:
    defaults = {"name": "Uploaded", "procedure": "bronchoscopy", "every_nth": 1, "description": ""}
    return {**defaults, "files": files, **fields}


@pytest.mark.parametrize("url", ["/", "/sequences/import/", "/sequences/1/annotate/"])
def test_pages_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_upload_several_images(client, user):
    client.force_login(user)
    response = client.post("/sequences/import/", form([png_upload("f10.png", 10), png_upload("f9.png", 9)]))
    sequence = FrameSequence.objects.get()
    assert response.status_code == 302 and response.url == f"/sequences/{sequence.id}/annotate/"
    assert sequence.procedure == "bronchoscopy" and sequence.frames.count() == 2
    assert [f.original_name for f in sequence.frames.order_by("index")] == ["f9.png", "f10.png"]


def test_upload_zip(client, user):
    client.force_login(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(3):
            archive.writestr(f"seq/{number}.png", cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
    upload = SimpleUploadedFile("procedure.zip", buffer.getvalue(), content_type="application/zip")
    client.post("/sequences/import/", form([upload], every_nth=2))
    assert FrameSequence.objects.get().frames.count() == 2


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([SimpleUploadedFile("empty.zip", b"", content_type="application/zip")], "The submitted file is empty."),
        ([SimpleUploadedFile("notes.txt", b"hello")], "is not an image, a zip of images or a video"),
        ([SimpleUploadedFile("broken.png", b"garbage")], "No readable image"),
        ([], "This field is required."),
    ],
)
def test_bad_uploads_get_a_form_error_and_import_nothing(client, user, files, message):
    client.force_login(user)
    response = client.post("/sequences/import/", form(files))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not FrameSequence.objects.exists()


def test_sequence_list_shows_counts(client, user, sequence):
    client.force_login(user)
    page = client.get("/").content.decode()
    assert "Synthetic" in page and f"/sequences/{sequence.id}/annotate/" in page


def test_annotation_page_names_the_active_segmenter(client, user, sequence):
    client.force_login(user)
    page = client.get(f"/sequences/{sequence.id}/annotate/").content.decode()
    assert "Segmenter: opencv" in page
    assert 'id="page-data"' in page and "Polyp" in page


def test_annotation_page_reports_a_misconfigured_sam(client, user, sequence, settings, tmp_path):
    settings.SAM_CHECKPOINT = str(tmp_path / "missing.pth")
    client.force_login(user)
    page = client.get(f"/sequences/{sequence.id}/annotate/").content.decode()
    assert "SAM is configured but cannot be used" in page and "missing.pth" in page
    assert "Segmenter: opencv" in page


def test_upload_larger_than_the_limit_is_refused(client, user, settings):
    settings.MAX_UPLOAD_BYTES = 100
    client.force_login(user)
    response = client.post("/sequences/import/", form([png_upload("big.png")]))
    assert "at most 100 bytes are accepted here (MAX_UPLOAD_BYTES)" in response.content.decode()
    assert not FrameSequence.objects.exists()
