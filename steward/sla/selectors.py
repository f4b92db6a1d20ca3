"""Reads about the SLA set-up: calendars, their holidays, and what the clock makes of them.

Calendars are shared configuration: every signed-in user may read them (a case's due time is
explained by its calendar); only configurers change them (`services.can_configure_sla`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holiday_tables
from django.db.models import Count, QuerySet

from steward.core.errors import NotFound
from steward.sla.engine import calendar as engine
from steward.sla.models import BusinessCalendar
from steward.sla.services import WEEKDAYS

SHORT_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DASH = "\u2013"  # an en dash between days and times, as in print


def calendars() -> QuerySet[BusinessCalendar]:
    """Every calendar with its number of custom closures, by name."""
    return BusinessCalendar.objects.annotate(closure_count=Count("closures")).order_by("name")


def calendar_get(*, public_id: Any) -> BusinessCalendar:
    try:
        return BusinessCalendar.objects.prefetch_related("closures").get(public_id=public_id)
    except (BusinessCalendar.DoesNotExist, ValueError) as exc:
        raise NotFound("No such calendar.") from exc


def _public_holidays(calendar: BusinessCalendar, years: Iterable[int]) -> dict[dt.date, str]:
    if not calendar.holiday_country:
        return {}
    years = sorted(set(years))
    subdivision = calendar.holiday_subdivision or None
    try:
        table = holiday_tables.country_holidays(calendar.holiday_country, subdiv=subdivision, years=years, language="en_US")
    except (NotImplementedError, ValueError):
        table = holiday_tables.country_holidays(calendar.holiday_country, subdiv=subdivision, years=years)
    return dict(table.items())


@dataclass(frozen=True)
class Closed:
    """A day the calendar does not work, and why."""

    day: dt.date
    name: str
    custom: bool


def days_off(calendar: BusinessCalendar, years: Iterable[int]) -> list[Closed]:
    """Public holidays of the calendar's country and its custom closures in those years, by date."""
    years = set(years)
    found: dict[dt.date, Closed] = {
        day: Closed(day, name, custom=False) for day, name in _public_holidays(calendar, years).items()
    }
    for closure in calendar.closures.all():
        day = closure.first_day
        while day <= closure.last_day:
            if day.year in years:
                found[day] = Closed(day, closure.name, custom=True)
            day += dt.timedelta(days=1)
    return [found[d] for d in sorted(found)]


def engine_calendar(calendar: BusinessCalendar, years: Iterable[int]) -> engine.BusinessCalendar:
    """The calendar as the clock reads it, with the holidays of the given years (24/7 has none)."""
    if calendar.always_open:
        return engine.BusinessCalendar.always_open(calendar.time_zone)
    holidays = frozenset(c.day for c in days_off(calendar, years))
    week = tuple(tuple(engine.parse_window(w) for w in day) for day in calendar.week)
    return engine.BusinessCalendar(calendar.time_zone, week, holidays)


def week_summary(calendar: BusinessCalendar) -> str:
    """The hours in a line, consecutive days with the same hours grouped: "Mon-Fri 09:00-17:00" (en dashes)."""
    if calendar.always_open:
        return "24/7"
    parts: list[str] = []
    day = 0
    while day < 7:
        windows = calendar.week[day]
        last = day
        while last + 1 < 7 and calendar.week[last + 1] == windows:
            last += 1
        if windows:
            days = SHORT_DAYS[day] if day == last else f"{SHORT_DAYS[day]}{DASH}{SHORT_DAYS[last]}"
            parts.append(f"{days} {', '.join(w.replace('-', DASH) for w in windows)}")
        day = last + 1
    return "; ".join(parts)


def week_rows(calendar: BusinessCalendar) -> list[dict[str, Any]]:
    """One row per weekday for the detail page: its windows and its working hours."""
    rows = []
    for name, windows in zip(WEEKDAYS, calendar.week, strict=True):
        seconds = sum(end - start for start, end in (engine.parse_window(w) for w in windows))
        rows.append({"day": name, "windows": windows, "hours": seconds / 3600})
    return rows


@dataclass(frozen=True)
class DuePreview:
    """When a target of `hours` working hours started at `start` falls due on this calendar."""

    start: dt.datetime
    hours: float
    due: dt.datetime
    zone: str

    @property
    def start_local(self) -> dt.datetime:
        return self.start.astimezone(ZoneInfo(self.zone))

    @property
    def due_local(self) -> dt.datetime:
        return self.due.astimezone(ZoneInfo(self.zone))


def due_preview(calendar: BusinessCalendar, *, start: dt.datetime, hours: float) -> DuePreview:
    """Try the calendar: the due time of a target started at `start` (aware) of `hours` working hours."""
    cal = engine_calendar(calendar, range(start.year - 1, start.year + 3))
    due = engine.add_business_seconds(cal, start, hours * 3600)
    return DuePreview(start=start, hours=hours, due=due, zone=calendar.time_zone)
