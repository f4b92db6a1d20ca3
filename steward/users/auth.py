"""Authentication backend that refuses logins while a username or address is locked out."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from steward.users import lockout


class LockoutModelBackend(ModelBackend):
    """The model backend, plus failed-login lockout by username and by client address."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        ip = lockout.client_ip(request) if request is not None else None
        if username and lockout.is_locked(username=username, ip_address=ip):
            if request is not None:
                request.login_locked_out = True
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if username:
            lockout.record_attempt(username=username, ip_address=ip, succeeded=user is not None)
        return user
