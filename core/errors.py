"""The errors services (and the API's parsing) raise when a request cannot be served as asked.

Each class carries its HTTP status. They are turned into answers in two places only: the JSON API's
decorator (:func:`core.api.json_view`, ``{"error": "..."}``) and, for pages, :class:`core.middleware.
ErrorPagesMiddleware` (a page saying why, with the same status). A view catches one only to show it
somewhere else, such as a form's error.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A request that cannot be served as asked; the message names the exact problem."""

    #: The HTTP status a request answers with when it ends in this error.
    status: int = 400

    def headers(self) -> dict[str, str]:
        """Headers the answer carries besides the status (Retry-After for :class:`Busy`)."""
        return {}


class InvalidInput(ServiceError, ValueError):
    """The request asks for something that cannot be done as asked (HTTP 400)."""


class Conflict(InvalidInput):
    """The request is sound but the rows' state refuses it now, e.g. a job already running (HTTP 409)."""

    status = 409


class TooLarge(InvalidInput):
    """The request carries more than is accepted (HTTP 413)."""

    status = 413


class NotAuthenticated(ServiceError):
    """The request names no user who may call: an API token that is unknown or whose user is inactive (HTTP 401)."""

    status = 401


class NotFound(ServiceError, LookupError):
    """The request names a row or a file that does not exist (HTTP 404)."""

    status = 404


class Busy(ServiceError):
    """The server already does as much of this as it does at once; retry later (HTTP 429, with Retry-After)."""

    status = 429

    def __init__(self, message: str, *, retry_after: int = 10):
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


#: Seconds a client is asked to wait (Retry-After) when the database is busy with another writer.
RETRY_AFTER_SECONDS = 2
# PostgreSQL: lock_not_available, deadlock_detected, serialization_failure
_BUSY_SQLSTATES = {"55P03", "40P01", "40001"}


def is_database_busy(exc: BaseException) -> bool:
    """Whether a database error means "another writer holds the lock; try again shortly": SQLite's
    "database is locked" after its busy timeout, or PostgreSQL's lock timeouts, deadlocks and serialization
    failures. Such a request did nothing (its transaction was rolled back) and can be retried as it is."""
    message = str(exc).lower()
    if "database is locked" in message or "database table is locked" in message:
        return True
    return getattr(exc.__cause__, "sqlstate", None) in _BUSY_SQLSTATES
