"""Who is calling: a bearer token (`Authorization: Bearer stw_...`) or the logged-in session."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from steward.users.models import User
from steward.users.services import api_token_authenticate


class BearerToken(HttpBearer):
    """An API token created in the UI; only its hash is stored."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        """The token's active user, or None (revoked, expired, unknown)."""
        return api_token_authenticate(token.strip())


class SessionWithCsrf(APIKeyCookie):
    """The browser session (used by the docs page); unsafe methods need the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        # CSRF is checked in authenticate(), only once a session user is known, so a client
        # with a bad token gets 401 rather than a CSRF failure.
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        """The logged-in user, after the CSRF check for unsafe methods."""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header with the csrftoken cookie's value.")
        return cast(User, user)


def current_user(request: HttpRequest) -> User:
    """The authenticated caller of an API operation."""
    return cast(User, request.auth)  # type: ignore[attr-defined]


auth_methods = [BearerToken(), SessionWithCsrf()]
