"""Errors that services raise for bad input; the API (annotator.api) and pages turn them into answers."""


class InvalidInput(ValueError):
    """The request asks for something that cannot be done as asked (HTTP 400)."""
