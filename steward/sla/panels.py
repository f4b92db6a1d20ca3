"""What the SLA app adds to shared pages: the account 360 "Cases" tab count and the dashboard's SLA card."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from steward.sla import selectors
from steward.sla.choices import OPEN_CASE_STATUSES
from steward.sla.models import Case


def open_case_count(account: Any, user: Any) -> int:
    """Open cases of the account (the tab is only shown to people who see the account)."""
    return Case.objects.filter(account=account, status__in=OPEN_CASE_STATUSES).count()


def attainment_panel(user: Any, now: dt.datetime) -> dict[str, Any] | None:
    """This quarter's SLA attainment of the user's cases and deliveries, open breaches, cases due soon."""
    if not user.is_authenticated:
        return None
    today = timezone.localdate(now)
    start = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    rows = selectors.attainment_by(user=user, group="quarter", start=start)
    quarter = rows[0] if rows else selectors.AttainmentRow(start, "", {})
    open_cases = selectors.cases_visible_to(user).filter(status__in=OPEN_CASE_STATUSES)
    counts = open_cases.aggregate(open=Count("id"), breached=Count("id", filter=Q(sla_breached=True)), due_today=Count("id", filter=Q(sla_next_due__lte=now + dt.timedelta(hours=24))))
    if not counts["open"] and not rows:
        return None
    return {
        "quarter": quarter, "cells": list(zip(selectors.ATTAINMENT_KINDS, quarter.cells(), strict=True)), "goal": selectors.default_goal(),
        "counts": counts, "label": f"{today.year}-Q{(today.month - 1) // 3 + 1}",
    }
