"""What billing shows on shared pages: the account 360 tab count and the dashboard's overdue receivables card."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from steward.billing import selectors
from steward.users.choices import Role

# Who the card is for: people who chase or own money owed (sponsors are read-only and never see it).
CARD_ROLES = frozenset({Role.FINANCE, Role.ADMIN, Role.OPERATIONS, Role.MANAGER, Role.EXECUTIVE, Role.DIRECTOR})


def open_invoice_count(account: Any, user: Any) -> int | None:
    """Invoices the account still owes money on (the tab is only shown to people who see the account)."""
    return selectors.open_invoice_count(account) or None


def overdue_panel(user: Any, now: dt.datetime) -> dict[str, Any] | None:
    """Overdue total of the user's visible accounts and the worst accounts; off the dashboard when nothing is overdue (except for finance)."""
    if not user.is_authenticated or user.is_read_only or (user.role not in CARD_ROLES and not user.is_superuser):
        return None
    panel = selectors.overdue_panel(user=user, as_of=timezone.localdate(now))
    if not panel.worst and user.role != Role.FINANCE:
        return None
    return {"overdue": panel}
