"""Stopping file uploads at MAX_UPLOAD_BYTES while they stream in, before they reach memory or disk.

Django parses a multipart body the first time anything reads ``request.POST`` (the CSRF check does, before
the view and before ``login_required``), spooling every file to a temporary file. :class:`UploadLimitHandler`,
first of ``FILE_UPLOAD_HANDLERS``, sees each chunk before the handlers that store it and stops the upload:

- from anyone not logged in, at its first file byte (and the connection is closed: nothing more is read);
- from a logged-in user, once the request declares, or its files reach, more than MAX_UPLOAD_BYTES. The
  rest of the files is read and discarded (never stored) while the form's other fields are still parsed
  (the CSRF token may come after the files), so the browser receives the page that says why.

The view shows the refusal as the form's error on the file field (:func:`show_upload_refusal`).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload
from django.http import HttpRequest

from core.api import format_bytes

#: Room for the form's other fields and the multipart framing, beyond the files themselves.
FORM_OVERHEAD_BYTES = 1024 * 1024


def upload_too_large(size: int, *, what: str = "The upload") -> str:
    """The message for an upload of ``size`` bytes over MAX_UPLOAD_BYTES."""
    return (
        f"{what} is {format_bytes(size)}; at most {format_bytes(settings.MAX_UPLOAD_BYTES)} "
        "are accepted here (MAX_UPLOAD_BYTES)."
    )


def show_upload_refusal(request: HttpRequest, form: forms.Form, field: str) -> None:
    """If the handler stopped this request's files, make that the only error of the form's ``field``."""
    refusal = getattr(request, "upload_refused", None)
    if refusal:
        form.is_valid()
        form.errors[field] = form.error_class([refusal])


class UploadLimitHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.received = 0
        self.anonymous = not self.request.user.is_authenticated
        self.declared = content_length
        return None  # parse as usual; the checks are made per file

    def _refuse(self, message: str) -> None:
        self.request.upload_refused = message
        if self.anonymous:
            raise StopUpload(connection_reset=True)
        raise SkipFile  # this file's data is read and dropped; the other fields are still parsed

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        if self.anonymous:
            self._refuse("Log in to upload files.")
        if getattr(self.request, "upload_refused", None):
            self._refuse(self.request.upload_refused)  # the files after one that was refused
        if self.declared and self.declared > settings.MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES:
            self._refuse(upload_too_large(self.declared))

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.MAX_UPLOAD_BYTES:
            self._refuse(upload_too_large(self.received, what="The upload is over that: it"))
        return raw_data

    def file_complete(self, file_size: int):
        return None  # the next handlers store the file
