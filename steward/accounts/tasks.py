"""Background jobs of the accounts app: thin, idempotent, safe to run twice."""

from __future__ import annotations

import datetime as dt

from django.tasks import task
from django.utils import timezone

from steward.accounts.services import account_refresh_coverage
from steward.jobs.registry import periodic


@periodic("accounts.refresh_coverage", every=dt.timedelta(hours=1), description="Re-check single-threaded accounts as touches age out.")
@task()
def refresh_coverage() -> int:
    """Recompute every account's single-threaded flag at the current time."""
    return account_refresh_coverage(account_ids=None, now=timezone.now())
