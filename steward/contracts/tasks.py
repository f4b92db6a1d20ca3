"""Background jobs of the contracts app: thin, idempotent, safe to run twice."""

from __future__ import annotations

import datetime as dt

from django.tasks import task
from django.utils import timezone

from steward.contracts.services import contracts_renewal_run
from steward.jobs.registry import periodic


@periodic(
    "contracts.renewals", every=dt.timedelta(hours=6),
    description="Open renewal opportunities for contracts ending within STEWARD_RENEWAL_LEAD_DAYS; expire or auto-renew ended contracts.",
)
@task()
def run_renewals() -> dict[str, int]:
    """One pass of the renewal job; returns what it did."""
    run = contracts_renewal_run(now=timezone.now())
    return {"opportunities": run.opportunities, "expired": run.expired, "auto_renewed": run.auto_renewed}
