"""Touchpoint cadence: when an account's next touchpoint is due and whether it is overdue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class TouchpointStatus:
    """Where an account stands against its tier's cadence at `now`."""

    due_at: dt.datetime | None
    overdue: bool
    days_overdue: int


def touchpoint_status(
    *, last_touch: dt.datetime | None, cadence_days: int, now: dt.datetime
) -> TouchpointStatus:
    """An account never touched is overdue; otherwise it is due `cadence_days` after the last touch.

    Days overdue count whole days past the due moment, so a touch exactly on the due moment
    is on time.
    """
    if cadence_days < 1:
        raise ValueError("cadence_days must be at least 1")
    if last_touch is None:
        return TouchpointStatus(due_at=None, overdue=True, days_overdue=0)
    due_at = last_touch + dt.timedelta(days=cadence_days)
    if now <= due_at:
        return TouchpointStatus(due_at=due_at, overdue=False, days_overdue=0)
    return TouchpointStatus(due_at=due_at, overdue=True, days_overdue=(now - due_at).days)


def overdue_cutoff(*, cadence_days: int, now: dt.datetime) -> dt.datetime:
    """Accounts whose last touch is before this moment are overdue (the query form of the rule)."""
    return now - dt.timedelta(days=cadence_days)
