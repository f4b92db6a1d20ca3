"""Background jobs of the SLA app: thin, idempotent, safe to run twice."""

from __future__ import annotations

import datetime as dt

from django.tasks import task
from django.utils import timezone

from steward.jobs.registry import periodic
from steward.sla.services import cases_recompute_open


@periodic(
    "sla.recompute", every=dt.timedelta(minutes=5),
    description="Bring every open case's SLA targets up to now: due times, warnings reached, breaches.",
)
@task()
def recompute_open_cases() -> dict[str, int]:
    """One pass over the open cases; returns how many were brought up to date."""
    return {"cases": cases_recompute_open(now=timezone.now())}
