"""Background jobs of the quotes app: thin, idempotent, safe to run twice."""

from __future__ import annotations

import datetime as dt

from django.tasks import task
from django.utils import timezone

from steward.jobs.registry import periodic
from steward.quotes.services import quotes_expire


@periodic("quotes.expire", every=dt.timedelta(hours=1), description="Mark quotes past their validity date as expired.")
@task()
def expire_quotes() -> int:
    """Expire every quote whose validity date has passed."""
    return quotes_expire(now=timezone.now())
