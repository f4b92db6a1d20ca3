"""What the SLA app adds to shared pages: the account 360 "Cases" tab count."""

from __future__ import annotations

from typing import Any

from steward.sla.choices import OPEN_CASE_STATUSES
from steward.sla.models import Case


def open_case_count(account: Any, user: Any) -> int:
    """Open cases of the account (the tab is only shown to people who see the account)."""
    return Case.objects.filter(account=account, status__in=OPEN_CASE_STATUSES).count()
