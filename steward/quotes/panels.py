"""What the quotes app shows on shared pages: the account 360 tab count and the dashboard's approvals card."""

from __future__ import annotations

import datetime as dt
from typing import Any

from steward.quotes import selectors
from steward.quotes.choices import QuoteStatus
from steward.quotes.models import Quote

OPEN = [QuoteStatus.DRAFT, QuoteStatus.PENDING, QuoteStatus.APPROVED, QuoteStatus.SENT]


def open_quote_count(account: Any, user: Any) -> int:
    """Quotes still in play on the account (the tab is only shown to people who see the account)."""
    return Quote.objects.filter(account=account, status__in=OPEN).count()


def approvals_panel(user: Any, now: dt.datetime) -> dict[str, Any] | None:
    """Quotes awaiting the user's decision, and the user's own quotes pending approval."""
    if not user.is_authenticated or user.is_read_only:
        return None
    waiting = selectors.awaiting_decision(user, now=now)
    mine = Quote.objects.filter(owner=user, status=QuoteStatus.PENDING).select_related("account").order_by("submitted_at")
    waiting_list = list(waiting[:6])
    mine_list = list(mine[:4])
    if not waiting_list and not mine_list and user.role not in ("director", "manager", "finance"):
        return None
    return {"waiting": waiting_list, "waiting_count": waiting.count() if len(waiting_list) == 6 else len(waiting_list), "mine": mine_list}
