"""What the orders app shows on shared pages: the account 360 tab count and the dashboard's late-orders card."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from steward.orders import selectors
from steward.orders.models import Order


def open_order_count(account: Any, user: Any) -> int:
    """Open orders of the account (the tab is only shown to people who see the account)."""
    return Order.objects.filter(account=account, status__in=selectors.OPEN).count()


def late_orders_panel(user: Any, now: dt.datetime) -> dict[str, Any] | None:
    """Late orders the user sees, longest late first; left out for people without orders."""
    if not user.is_authenticated:
        return None
    panel = selectors.late_orders_panel(user=user, today=timezone.localdate(now))
    if not panel["orders"] and user.role not in ("operations", "manager", "director", "admin"):
        return None
    return panel
