"""Test data for contracts: a contract built through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from steward.contracts import services


def contract(personas, *, ends_in: int = 100, months: int = 12, annual: str = "120000.00", activate: bool = True, actor=None, **data):
    """A contract of the personas' account ending `ends_in` days from today, active unless told otherwise."""
    today = timezone.localdate()
    end = today + dt.timedelta(days=ends_in)
    start = data.pop("start_on", end - dt.timedelta(days=30 * months))
    actor = actor or personas.owner
    c = services.contract_create(
        actor=actor, account=personas.account,
        data={"name": "Pallet pooling", "start_on": start, "end_on": end, "annual_value": Decimal(annual), "notice_period_days": 60, **data},
    )
    if activate:
        c = services.contract_activate(actor=actor, contract=c)
    return c
