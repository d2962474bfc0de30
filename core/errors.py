"""Errors that services raise for bad input; the API (core.api) and pages turn them into answers."""


class InvalidInput(ValueError):
    """The request asks for something that cannot be done as asked (HTTP 400)."""


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
