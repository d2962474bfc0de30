"""Answers Django asks this app for: a failed CSRF check (CSRF_FAILURE_VIEW)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.csrf import csrf_failure as csrf_failure_page

from core.api import JSON_VIEW, error_response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A failed CSRF check: ``{"error"}`` 403 for the JSON API (a logged-in page's script), Django's page else."""
    view = getattr(request.resolver_match, "func", None)
    if getattr(view, JSON_VIEW, False):
        return error_response(f"CSRF check failed: {reason}", 403)
    return csrf_failure_page(request, reason=reason)
