"""Exceptions services raise for the caller to show as a clear message (never a stack trace)."""
from __future__ import annotations


class ServiceError(Exception):
    """A business rule refused the action; `message` is shown to the user as-is."""

    status_code = 400

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotAllowed(ServiceError):
    status_code = 403


class NotFound(ServiceError):
    """Also used for records outside the actor's scope: they must look absent, not forbidden."""

    status_code = 404


class Conflict(ServiceError):
    """Someone else changed the record since the caller read it."""

    status_code = 409
