"""Demo SLA calendars: a European support desk with split shifts, a New York desk and a 24/7 one.

Written through the services, so they carry their audit events like any calendar set up by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from steward.sla import services
from steward.sla.models import BusinessCalendar
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
    ctx.progress(f"  SLA calendars: {len(made)}")
