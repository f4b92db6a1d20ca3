"""Every failure answers JSON `{"detail": message, "errors": {field: [messages]}}`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from steward.core.errors import ApplicationError
from steward.core.services import field_errors_from

logger = logging.getLogger(__name__)

# Body parameters of every endpoint are named this, so it is dropped from error locations.
BODY_PARAM = "payload"
UNAUTHENTICATED = "Send a valid API token as `Authorization: Bearer stw_...`, or log in."


class ErrorOut(Schema):
    """The body of every error response."""

    detail: str
    errors: dict[str, list[str]] = {}


ERROR_RESPONSES: dict[int, type[Schema]] = {
    401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 412: ErrorOut, 422: ErrorOut,
}


def error_response(
    api: NinjaAPI, request: HttpRequest, status: int, detail: str, errors: Mapping[str, list[str]] | None = None
) -> HttpResponse:
    """Render the JSON error body with `status`."""
    return api.create_response(request, {"detail": detail, "errors": dict(errors or {})}, status=status)


def field_name(loc: Iterable[Any]) -> str:
    """The client-facing field of a pydantic error location such as ("body", "payload", "email")."""
    source, *rest = [str(part) for part in loc] or ["body"]
    if source == "body" and rest[:1] == [BODY_PARAM]:
        rest = rest[1:]
    return rest[0] if rest else source


def validation_errors(errors: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Ninja's list of pydantic errors as {field: [messages]}."""
    result: dict[str, list[str]] = {}
    for error in errors:
        result.setdefault(field_name(error.get("loc", ())), []).append(str(error.get("msg", "Invalid value.")))
    return result


def _first(errors: Mapping[str, list[str]], fallback: str) -> str:
    for field, messages in errors.items():
        return f"{field}: {messages[0]}"
    return fallback


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn exceptions into the JSON error body."""

    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        return error_response(api, request, exc.status_code, exc.message, exc.field_errors)

    @api.exception_handler(NinjaValidationError)
    def ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = validation_errors(exc.errors)
        return error_response(api, request, 422, _first(errors, "The request is not valid."), errors)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # ninja raises 400 for a body that is not JSON; for clients it is one more invalid input.
            message = "The request body is not valid JSON."
            return error_response(api, request, 422, message, {"body": [message]})
        if isinstance(exc, AuthenticationError):
            response = error_response(api, request, 401, UNAUTHENTICATED)
            response["WWW-Authenticate"] = 'Bearer realm="steward"'
            return response
        return error_response(api, request, exc.status_code, str(exc))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, "Not found.")

    @api.exception_handler(DjangoValidationError)
    def django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        errors = field_errors_from(exc)
        return error_response(api, request, 422, _first(errors, "The request is not valid."), errors)

    @api.exception_handler(DataError)
    def data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
        # The database refused a value the validation let through (e.g. out of its range).
        logger.warning("API input refused by the database: %s", exc)
        return error_response(api, request, 422, "A value is out of the range the database accepts.")
