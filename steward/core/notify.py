"""Telling colleagues something: an in-app notification each, and an email once the transaction commits."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.core.mail import send_mail
from django.db import transaction

from steward.core.models import Notification

logger = logging.getLogger(__name__)


def notify(*, users: Iterable[Any], subject: str, body: str, url: str, now: dt.datetime) -> list[Notification]:
    """One notification per distinct active user, and one email to those with an address.

    The email goes after the surrounding transaction commits, so a rolled-back action sends nothing;
    a mail server that refuses is logged, never undoes the action.
    """
    people = list({u.pk: u for u in users if u is not None and u.is_active}.values())
    rows = Notification.objects.bulk_create(
        [Notification(user=u, subject=subject[:200], body=body, url=url[:300], created_at=now) for u in people]
    )
    emails = sorted({u.email for u in people if u.email})
    if emails:
        def send() -> None:
            try:
                send_mail(subject[:200], f"{body}\n\n{url}".strip(), None, emails)
            except Exception:
                logger.exception("could not email %s", ", ".join(emails))

        transaction.on_commit(send)
    return rows


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
