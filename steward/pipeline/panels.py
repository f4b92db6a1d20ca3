"""The dashboard cards of the pipeline: open pipeline by stage, and this quarter's quota attainment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from steward.pipeline import selectors
from steward.pipeline.engine.periods import period_start
from steward.users.choices import Role
from steward.users.models import User

NO_PIPELINE = {Role.SPONSOR}
NO_QUOTA = {Role.SPONSOR, Role.FINANCE}


def pipeline_panel(user: User, now: dt.datetime) -> dict[str, Any] | None:
    """Open pipeline by stage for the user's default scope (theirs, their team's, or everyone's)."""
    if user.role in NO_PIPELINE and not user.is_superuser:
        return None
    scope = selectors.owner_scope(user, None)
    board = selectors.pipeline_board(user=user, scope=scope, cards_per_column=0)
    return {"board": board, "scope": scope}


def quota_panel(user: User, now: dt.datetime) -> dict[str, Any] | None:
    """This quarter's attainment: the user's own and, for someone with reports, their team's."""
    if user.role in NO_QUOTA and not user.is_superuser:
        return None
    start = period_start("quarter", now.date())
    report = selectors.quota_attainment(user=user, kind="quarter", start=start)
    mine = selectors.attainment_for(report, user)
    nothing = mine is None or (not mine.team_quota and not mine.team_booked)
    if nothing and user.role not in (Role.MANAGER, Role.EXECUTIVE, Role.DIRECTOR):
        return None
    has_team = mine is not None and bool(mine.reports)
    return {"report": report, "mine": mine, "has_team": has_team}
