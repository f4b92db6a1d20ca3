"""Failed-login lockout by username and address.

Failures of one username from one address lock that pair (a guesser cannot lock a colleague
out from elsewhere); many failures from one address across usernames lock the address.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from steward.users.models import LoginAttempt


def client_ip(request) -> str | None:
    """The client address as the server sees it (behind a proxy, set it to pass REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR") or None


def _window_start(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=settings.LOGIN_LOCKOUT_WINDOW_SECONDS)


def _failures_since_last_success(q: Q, since: dt.datetime) -> int:
    last_ok = (
        LoginAttempt.objects.filter(q, succeeded=True, attempted_at__gte=since)
        .order_by("-attempted_at")
        .values_list("attempted_at", flat=True)
        .first()
    )
    start = max(since, last_ok) if last_ok else since
    return LoginAttempt.objects.filter(q, succeeded=False, attempted_at__gte=start).count()


def is_locked(*, username: str, ip_address: str | None, now: dt.datetime | None = None) -> bool:
    """True when this username failed too often from this address, or the address sprays many."""
    now = now or timezone.now()
    since = _window_start(now)
    limit = settings.LOGIN_LOCKOUT_THRESHOLD
    if _failures_since_last_success(Q(username__iexact=username, ip_address=ip_address), since) >= limit:
        return True
    # An address is locked on its failures across all usernames (password spraying).
    return bool(ip_address) and (
        LoginAttempt.objects.filter(ip_address=ip_address, succeeded=False, attempted_at__gte=since).count()
        >= limit * 3
    )


def record_attempt(*, username: str, ip_address: str | None, succeeded: bool) -> None:
    """Remember one attempt; prune attempts older than a day so the table stays small."""
    now = timezone.now()
    LoginAttempt.objects.create(username=username[:150], ip_address=ip_address, succeeded=succeeded, attempted_at=now)
    LoginAttempt.objects.filter(attempted_at__lt=now - dt.timedelta(days=1)).delete()
