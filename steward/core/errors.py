"""Errors a service raises with a message a user can act on."""

from __future__ import annotations


class ApplicationError(Exception):
    """Base of every expected, user-facing failure of a service call."""

    status_code = 400

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class ValidationFailed(ApplicationError):
    """Input did not pass validation; `field_errors` names each field at fault."""

    status_code = 422


class NotFound(ApplicationError):
    """The record does not exist or the user may not see it (the same answer, on purpose)."""

    status_code = 404


class PermissionDenied(ApplicationError):
    """The user may see the record but not change it."""

    status_code = 403


class StaleVersion(ApplicationError):
    """The record changed since the caller read it; nothing was written."""

    status_code = 412
