"""Demo SLA set-up: a European support desk with split shifts, a New York desk and a 24/7 calendar,
and three policies on them (critical incidents around the clock, strategic accounts, the default).

Written through the services, so they carry their audit events like any calendar set up by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from steward.accounts.models import Tier
from steward.sla import services
from steward.sla.models import BusinessCalendar
from steward.sla.services import Scope, TargetInput
from steward.users.choices import Role
from steward.users.models import User

CALENDARS: list[dict[str, Any]] = [
    {
        "name": "Europe support desk", "description": "Second-line support, Berlin, lunch 12:00-13:00",
        "time_zone": "Europe/Berlin", "week": ["08:00-12:00, 13:00-18:00"] * 5 + ["", ""],
        "holiday_country": "DE", "holiday_subdivision": "BE",
    },
    {
        "name": "Americas support desk", "description": "New York, with a Saturday morning shift",
        "time_zone": "America/New_York", "week": ["08:00-20:00"] * 5 + ["09:00-13:00", ""],
        "holiday_country": "US", "holiday_subdivision": "NY",
    },
    {"name": "24/7 operations", "description": "Critical incidents, around the clock", "time_zone": "UTC", "always_open": True},
]


def has_data() -> bool:
    return BusinessCalendar.objects.exists()


def seed_demo(ctx: Any) -> None:
    """The three calendars, and the winter closure of the European desk for the current year."""
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        return
    made = [services.calendar_create(actor=admin, data=data) for data in CALENDARS]
    year = ctx.now.year
    services.closure_add(
        actor=admin, calendar=made[0], first_day=dt.date(year, 12, 28), last_day=dt.date(year, 12, 30), name="Winter closure"
    )
    ctx.report.add("sla_businesscalendar", len(made))
    europe, _americas, always = made
    services.policy_create(
        actor=admin, now=ctx.now,
        data={"name": "Critical incidents", "description": "Outages and data loss, around the clock", "calendar": always, "priorities": ["critical"]},
        targets=[TargetInput("critical", "first_response", 15, "calendar"), TargetInput("critical", "next_response", 60, "calendar"), TargetInput("critical", "resolution", 240, "calendar")],
    )
    strategic = list(Tier.objects.filter(name="Strategic"))
    services.policy_create(
        actor=admin, now=ctx.now, scope=Scope(tiers=strategic),
        data={"name": "Strategic accounts", "calendar": europe, "attainment_goal": 97, "pause_statuses": ["waiting_on_customer", "waiting_on_third_party"]},
        targets=[*_targets("first_response", high=60, moderate=240, low=480), *_targets("resolution", high=480, moderate=1440, low=2880)],
    )
    services.policy_create(
        actor=admin, now=ctx.now, data={"name": "Standard", "calendar": europe, "is_default": True},
        targets=[
            *_targets("first_response", critical=60, high=120, moderate=480, low=960),
            *_targets("next_response", high=240, moderate=960),
            *_targets("resolution", critical=480, high=960, moderate=2880, low=4800),
        ],
    )
    ctx.report.add("sla_slapolicy", 3)
    ctx.progress(f"  SLA calendars: {len(made)}, policies: 3")


def _targets(kind: str, **minutes: int) -> list[TargetInput]:
    return [TargetInput(priority, kind, m) for priority, m in minutes.items()]
