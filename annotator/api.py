"""The one place that shapes JSON answers and errors of the API.

Views decorated with :func:`json_view` receive an authenticated user (session or token), may read the
parsed body with :func:`read_json`, and raise :class:`ApiError` (or ``Http404``) for bad input; the
decorator turns every such error into ``{"error": "..."}`` with the right status.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from accounts.authentication import user_from_token_header
from annotator.errors import InvalidInput

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """Bad input or a state the request cannot be served in; ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def error_response(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _csrf_failure(request: HttpRequest) -> str | None:
    """The CSRF check Django applies to forms, applied to cookie-authenticated API calls."""

    def reject(req, reason):
        return reason

    check = CsrfViewMiddleware(lambda req: None)
    check._reject = reject  # keep Django's own checks; only the way of answering differs
    check.process_request(request)
    return check.process_view(request, None, (), {})


def json_view(methods: tuple[str, ...]) -> Callable:
    """Decorate an API view: allowed methods, authentication, CSRF for sessions, JSON errors."""

    def decorator(view: Callable[..., Any]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                return error_response(f"Method {request.method} not allowed; use {', '.join(methods)}.", 405)
            header = request.headers.get("Authorization", "")
            if header:
                user = user_from_token_header(header)
                if user is None:
                    return error_response("Invalid API token.", 401)
                request.user = user
            elif request.user.is_authenticated:
                failure = _csrf_failure(request)
                if failure:
                    return error_response(f"CSRF check failed: {failure}", 403)
            if isinstance(request.user, AnonymousUser) or not request.user.is_authenticated:
                return error_response(
                    "Authentication required: log in, or send 'Authorization: Token <key>'.", 401
                )
            try:
                result = view(request, *args, **kwargs)
            except ApiError as exc:
                return error_response(exc.message, exc.status)
            except InvalidInput as exc:
                return error_response(str(exc), 400)
            except Http404 as exc:
                return error_response(str(exc) or "Not found.", 404)
            except PermissionDenied as exc:  # accounts.roles.RoleRequired names the role needed
                return error_response(str(exc) or "Permission denied.", 403)
            if isinstance(result, HttpResponse):
                return result
            return JsonResponse(result, safe=False)

        return wrapper

    return decorator


def read_json(request: HttpRequest) -> dict[str, Any]:
    """The request body as a JSON object, or ApiError naming what is wrong with it."""
    try:
        body = json.loads(request.body or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(f"Malformed JSON body: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError("The JSON body must be an object.")
    return body


def field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], *, required: bool = True, default=None):
    """``body[name]`` checked against ``kind`` (bools are not accepted as ints)."""
    if name not in body or body[name] is None:
        if required:
            raise ApiError(f"Missing field '{name}'.")
        return default
    value = body[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise ApiError(f"Field '{name}' must be {_kind_name(kinds)}, got {json.dumps(value)}.")
    if not isinstance(value, kinds):
        raise ApiError(f"Field '{name}' must be {_kind_name(kinds)}, got {json.dumps(value)[:60]}.")
    return value


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {
        int: "an integer", float: "a number", str: "a string", list: "a list", dict: "an object", bool: "true or false",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def get_or_404(model, pk: int, label: str | None = None):
    """The ``model`` row with primary key ``pk``, or ApiError 404 naming what is missing."""
    row = model._default_manager.filter(pk=pk).first()
    if row is None:
        raise ApiError(f"No {label or model._meta.verbose_name} with id {pk}.", status=404)
    return row
