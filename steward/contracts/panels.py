"""What the contracts app shows on shared pages: the account 360 tab count and the dashboard's renewals card."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from steward.contracts import selectors
from steward.users.choices import Role

# Who sees the renewals of their whole visible portfolio on the card; everyone else sees their own.
PORTFOLIO_ROLES = {Role.DIRECTOR, Role.ADMIN, Role.FINANCE}
CARD_ROWS = 8


def active_contract_count(account: Any, user: Any) -> int:
    """Contracts in force on the account (the tab is only shown to people who see the account)."""
    return selectors.active_count_for_account(account)


def renewals_panel(user: Any, now: dt.datetime) -> dict[str, Any] | None:
    """Contracts ending within 120 days in 30/60/90/120-day bands, notice deadlines first."""
    if not user.is_authenticated or user.role == Role.SPONSOR:
        return None
    today = timezone.localdate(now)
    portfolio = user.role in PORTFOLIO_ROLES or user.is_superuser
    owner = None if portfolio else user
    bands = selectors.renewal_bands(user=user, today=today, owner=owner)
    total = sum(b.count for b in bands if b.band != "notice")  # notice-passed contracts are in a day band too
    rows = list(selectors.renewals_due(user=user, today=today, owner=owner)[:CARD_ROWS]) if total else []
    return {"bands": bands, "rows": rows, "total": total, "portfolio": portfolio, "today": today, "owner_param": "" if portfolio else "me"}
