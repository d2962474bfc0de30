"""The one place that shapes JSON answers and errors of the API.

Views decorated with :func:`json_view` receive an authenticated user (session or token), may read the
parsed body with :func:`read_json`, and raise a :class:`core.errors.ServiceError` (or ``Http404``,
``PermissionDenied``) for bad input; :func:`json_errors` turns every such error into ``{"error": "..."}``
with the error's status.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from core.authentication import authenticate_token
from core.errors import RETRY_AFTER_SECONDS, InvalidInput, NotFound, ServiceError, is_database_busy

logger = logging.getLogger(__name__)


def error_response(message: str, status: int, headers: dict[str, str] | None = None) -> JsonResponse:
    """``{"error": message}`` with ``status``: the shape of every error the API answers."""
    return JsonResponse({"error": message}, status=status, headers=headers)


def database_busy() -> JsonResponse:
    return error_response(
        "The database is busy with another change; nothing was changed. Retry shortly.", 503,
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def body_too_large() -> JsonResponse:
    limit = format_bytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return error_response(f"The request body is larger than {limit} (DATA_UPLOAD_MAX_MEMORY_SIZE).", 413)


def json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer the errors ``view`` raises as JSON: a :class:`ServiceError` with its status (and headers),
    ``Http404`` 404, ``PermissionDenied`` 403 (``accounts.roles.RoleRequired`` names the role needed), a body
    over DATA_UPLOAD_MAX_MEMORY_SIZE 413, a busy database 503 with Retry-After.

    :func:`json_view` uses it; a view answering something other than JSON to scripts (the live stream) may too.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ServiceError as exc:
            return error_response(str(exc) or f"{HTTPStatus(exc.status).phrase}.", exc.status, exc.headers())
        except Http404 as exc:
            return error_response(str(exc) or "Not found.", 404)
        except PermissionDenied as exc:
            return error_response(str(exc) or "Permission denied.", 403)
        except RequestDataTooBig:
            return body_too_large()
        except OperationalError as exc:  # authentication writes too (a token's last use)
            if not is_database_busy(exc):
                raise
            return database_busy()

    return wrapper


#: Marks the views :func:`json_view` makes, so that a failed CSRF check answers them in JSON (core.views).
JSON_VIEW = "json_view"


def _check_csrf(request: HttpRequest) -> HttpResponse | None:
    """The CSRF check Django applies to forms, applied to cookie-authenticated API calls: None when it passes,
    else the answer of CSRF_FAILURE_VIEW (:func:`core.views.csrf_failure`, JSON for the API)."""
    check = CsrfViewMiddleware(lambda req: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})


def _answer(view: Callable[..., Any], methods: tuple[str, ...], request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Check the method, authenticate (token, or session with its CSRF check), call ``view``, shape its answer."""
    if request.method not in methods:
        return error_response(f"Method {request.method} not allowed; use {', '.join(methods)}.", 405)
    if not authenticate_token(request) and request.user.is_authenticated:
        refused = _check_csrf(request)
        if refused is not None:
            return refused
    if not request.user.is_authenticated:
        return error_response("Authentication required: log in, or send 'Authorization: Token <key>'.", 401)
    result = view(request, *args, **kwargs)
    if isinstance(result, HttpResponse):
        return result
    return JsonResponse(result, safe=False)


def json_view(methods: tuple[str, ...]) -> Callable:
    """Decorate an API view: allowed methods, authentication, CSRF for sessions, JSON errors."""

    def decorator(view: Callable[..., Any]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        @json_errors
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            return _answer(view, methods, request, *args, **kwargs)

        setattr(wrapper, JSON_VIEW, True)
        return wrapper

    return decorator


#: Integers the database stores (64-bit signed): larger ones are refused before any query.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
#: Nesting of objects and lists a JSON body may have (the API's bodies use three levels).
MAX_JSON_DEPTH = 32
_DIGITS = re.compile(r"[0-9]{1,19}")


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > 19 or not INT_MIN <= (value := int(text)) <= INT_MAX:
        raise InvalidInput(f"The number {text[:30]}{'…' if len(text) > 30 else ''} is out of range.")
    return value


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidInput(f"The number {text[:30]} is out of range.")
    return value


def _json_constant(name: str):
    raise InvalidInput(f"{name} is not a number JSON accepts.")


def _check_strings_and_depth(body: Any) -> None:
    """InvalidInput if ``body`` nests deeper than MAX_JSON_DEPTH or holds a string that is not valid Unicode
    (a lone surrogate such as "\\ud800", which no database column stores)."""
    stack = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidInput(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
        if isinstance(value, dict):
            stack.extend((key, depth) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InvalidInput(f"A string in the JSON body is not valid Unicode: {exc.reason}.") from exc


def read_json(request: HttpRequest) -> dict[str, Any]:
    """The request body as a JSON object, or InvalidInput naming what is wrong with it.

    Numbers are checked as they are parsed: integers must fit 64 bits, NaN and infinities (1e400) are
    refused; bodies larger than DATA_UPLOAD_MAX_MEMORY_SIZE answer 413.
    """
    raw = request.body or b""  # RequestDataTooBig past DATA_UPLOAD_MAX_MEMORY_SIZE: json_view answers 413
    try:
        body = json.loads(raw, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Malformed JSON body: {exc}") from exc
    except RecursionError as exc:
        raise InvalidInput(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.") from exc
    if not isinstance(body, dict):
        raise InvalidInput("The JSON body must be an object.")
    _check_strings_and_depth(body)
    return body


def parse_natural(value: str) -> int | None:
    """``value`` (from a query string or a form) as a whole number ≥ 0 a database stores, or None.

    ASCII digits only (``str.isdigit`` accepts "²", which ``int`` refuses), at most 19 of them, within 64 bits.
    """
    value = value.strip()
    if not _DIGITS.fullmatch(value) or int(value) > INT_MAX:
        return None
    return int(value)


def query_int(request: HttpRequest, name: str) -> int | None:
    """Query parameter ``name`` (an id or an index) as a whole number; None when absent; InvalidInput when bad."""
    value = request.GET.get(name)
    if value is None:
        return None
    number = parse_natural(value)
    if number is None:
        raise InvalidInput(f"Query parameter '{name}' must be a whole number (an id or an index), got {value[:40]!r}.")
    return number


def query_ints(request: HttpRequest, name: str) -> list[int]:
    """Query parameter ``name`` as comma-separated whole numbers (``?frame_ids=1,2``); empty when absent."""
    raw = request.GET.get(name, "")
    numbers = [parse_natural(part) for part in raw.split(",") if part]
    if None in numbers:
        raise InvalidInput(f"Query parameter '{name}' must be comma-separated ids, got {raw[:60]!r}.")
    return numbers


def format_bytes(size: int) -> str:
    """A size for people: "512 bytes", "64 KB", "4.5 MB", "4 GB"."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], *, required: bool = True, default=None):
    """``body[name]`` checked against ``kind`` (bools are not accepted as ints)."""
    if name not in body or body[name] is None:
        if required:
            raise InvalidInput(f"Missing field '{name}'.")
        return default
    value = body[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise InvalidInput(f"Field '{name}' must be {_kind_name(kinds)}, got {json.dumps(value)}.")
    if not isinstance(value, kinds):
        raise InvalidInput(f"Field '{name}' must be {_kind_name(kinds)}, got {json.dumps(value)[:60]}.")
    if isinstance(value, int) and not isinstance(value, bool) and not INT_MIN <= value <= INT_MAX:
        raise InvalidInput(f"Field '{name}' is out of range.")
    return value


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {
        int: "an integer", float: "a number", str: "a string", list: "a list", dict: "an object", bool: "true or false",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def get_or_404(model, pk: int, label: str | None = None):
    """The ``model`` row with primary key ``pk``, or NotFound naming what is missing."""
    row = model._default_manager.filter(pk=pk).first()
    if row is None:
        raise NotFound(f"No {label or model._meta.verbose_name} with id {pk}.")
    return row
