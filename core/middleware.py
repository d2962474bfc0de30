"""Answers for the pages when the database is busy: 503 with Retry-After, never a 500.

The JSON API answers the same in JSON (``core.api.json_view``); this covers every other view.
"""

from __future__ import annotations

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from core.errors import RETRY_AFTER_SECONDS, is_database_busy


class DatabaseBusyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError) or not is_database_busy(exception):
            return None
        response = HttpResponse(
            render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS}, request=request), status=503
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
