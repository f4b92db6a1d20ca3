"""What improvement plans add to shared pages: the dashboard's "Overdue improvement actions" card."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from steward.improvement import selectors


def overdue_actions_panel(user: Any, now: dt.datetime) -> dict[str, Any] | None:
    """The signed-in user's own overdue actions, oldest due first; no card when there are none."""
    if not user.is_authenticated:
        return None
    today = timezone.localdate(now)
    actions, count = selectors.my_overdue_actions(user, today=today)
    if not count:
        return None
    return {"actions": actions, "count": count, "today": today}
