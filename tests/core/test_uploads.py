"""Uploads stop at MAX_UPLOAD_BYTES while they stream in: nothing past the limit reaches the handlers that keep
files in memory or spool them to disk, and nothing at all from someone not logged in."""

from __future__ import annotations

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.test import Client

from sequences.models import FrameSequence

pytestmark = pytest.mark.django_db

RECEIVED: list[int] = []


class CountingHandler(FileUploadHandler):
    """Stands where Django's storing handlers stand (after the limit): counts the file bytes that reach it."""

    def receive_data_chunk(self, raw_data, start):
        RECEIVED.append(len(raw_data))
        return raw_data

    def file_complete(self, file_size):
        return SimpleUploadedFile(self.file_name, b"", content_type=self.content_type)


@pytest.fixture
def counting(settings):
    settings.FILE_UPLOAD_HANDLERS = [
        "core.uploads.UploadLimitHandler", "tests.core.test_uploads.CountingHandler",
    ]
    RECEIVED.clear()
    return RECEIVED


def import_form(size: int) -> dict:
    return {
        "name": "Upload", "procedure": "colonoscopy", "every_nth": 1, "description": "",
        "files": SimpleUploadedFile("frames.zip", os.urandom(size), content_type="application/zip"),
    }


def test_an_anonymous_upload_with_a_forged_csrf_cookie_never_reaches_the_storing_handlers(counting):
    client = Client()
    client.cookies["csrftoken"] = "f" * 32
    response = client.post("/sequences/import/", {**import_form(3 * 1024 * 1024), "csrfmiddlewaretoken": "f" * 32})
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert sum(counting) == 0
    assert not FrameSequence.objects.exists()


def test_a_logged_in_upload_over_the_limit_stops_at_the_limit_with_a_form_error(client_logged_in, counting, settings):
    settings.MAX_UPLOAD_BYTES = 200 * 1024
    client_logged_in.get("/sequences/import/")  # sets the CSRF cookie, as the browser's page load does
    token = client_logged_in.cookies["csrftoken"].value
    body = {**import_form(2 * 1024 * 1024), "csrfmiddlewaretoken": token}  # the token after the file
    response = client_logged_in.post("/sequences/import/", body)
    assert response.status_code == 200
    page = response.content.decode()
    assert "at most 200 KB are accepted here (MAX_UPLOAD_BYTES)" in page
    assert sum(counting) <= settings.MAX_UPLOAD_BYTES  # the rest was read and discarded, never stored
    assert not FrameSequence.objects.exists()


def test_an_upload_within_the_limit_passes_the_handler_whole(client_logged_in, counting, settings):
    settings.MAX_UPLOAD_BYTES = 200 * 1024
    client_logged_in.get("/sequences/import/")
    token = client_logged_in.cookies["csrftoken"].value
    client_logged_in.post("/sequences/import/", {**import_form(150 * 1024), "csrfmiddlewaretoken": token})
    assert sum(counting) == 150 * 1024
