"""The pages' answers to errors: a page saying why, with the error's status, never a 500.

A :class:`core.errors.ServiceError` a page view lets through answers with its status (400, 401, 404, 409, 413,
429 with Retry-After) and its message; a busy database answers 503 with Retry-After. The JSON API answers the
same errors in JSON (:func:`core.api.json_errors`); this covers every other view.
"""

from __future__ import annotations

from http import HTTPStatus

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from core.errors import RETRY_AFTER_SECONDS, ServiceError, is_database_busy


class ErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ServiceError):
            return error_page(request, exception)
        if isinstance(exception, OperationalError) and is_database_busy(exception):
            return database_busy_page(request)
        return None


def error_page(request: HttpRequest, error: ServiceError) -> HttpResponse:
    """The page of ``error``: its status's name as the title, its message, its status and headers."""
    title = HTTPStatus(error.status).phrase
    context = {"title": title, "message": str(error) or f"{title}.", "status": error.status}
    return HttpResponse(render_to_string("core/error.html", context, request=request), status=error.status,
                        headers=error.headers())


def database_busy_page(request: HttpRequest) -> HttpResponse:
    # Its own page, apart from base.html: nothing on it reads the database.
    return HttpResponse(
        render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS}, request=request), status=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
