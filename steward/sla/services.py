"""Writes to the SLA set-up: business calendars and their closures.

Pages and the API call these functions, so a rule lives once. Each call is one transaction with its
audit event; a refusal raises before anything is written. Hours are checked by the pure calendar
engine: what it refuses, no page or API can store.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import holidays as holiday_tables
from django.db import transaction

from steward.core import audit
from steward.core.errors import PermissionDenied, ValidationFailed
from steward.core.services import apply_fields, check_version, full_clean_or_fail
from steward.sla.engine import calendar as engine
from steward.sla.models import BusinessCalendar, CalendarClosure
from steward.users.choices import Role
from steward.users.models import User

CALENDAR_FIELDS = frozenset(
    {"name", "description", "time_zone", "always_open", "week", "holiday_country", "holiday_subdivision", "is_active"}
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_WINDOWS_A_DAY = 6
MAX_CLOSURE_DAYS = 366


def can_configure_sla(user: User) -> bool:
    """Admins, directors and account operations managers (who own SLA attainment) keep the SLA set-up."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_admin_role or user.role in (Role.DIRECTOR, Role.OPERATIONS))
    )


def _require_configurer(actor: User) -> None:
    if not can_configure_sla(actor):
        raise PermissionDenied("Only admins, account directors and operations managers change SLA calendars.")


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", field_errors={field: [message]})


@cache
def time_zones() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted."""
    return tuple(sorted(zoneinfo.available_timezones()))


@cache
def holiday_countries() -> dict[str, tuple[str, ...]]:
    """Country codes with public holidays known to the `holidays` package, and their subdivisions."""
    return {code: tuple(subdivisions) for code, subdivisions in sorted(holiday_tables.list_supported_countries().items())}


@cache
def country_names() -> dict[str, str]:
    """Readable names of the countries with holiday tables, by ISO code, from the package's module names
    ("united_states" -> "United States")."""
    from holidays import registry

    small = {"And": "and", "Of": "of", "The": "the"}
    return {
        code: " ".join(small.get(word, word) for word in module.replace("_", " ").title().split())
        for module, (_class_name, code, *_rest) in registry.COUNTRIES.items()
    }


def _format_window(window: engine.Window) -> str:
    start, end = window
    return f"{start // 3600:02d}:{start % 3600 // 60:02d}-{end // 3600:02d}:{end % 3600 // 60:02d}"


def parse_week(week: Any) -> list[list[str]]:
    """Seven lists of windows (Monday first; a day may also be one text like "09:00-12:00, 13:00-17:00"),
    checked, sorted, merged and written back the same way. Errors name the weekday."""
    if isinstance(week, Mapping):
        week = [week.get(str(day), week.get(day, [])) for day in range(7)]  # type: ignore[call-overload]
    if not isinstance(week, Sequence) or isinstance(week, str) or len(week) != 7:
        raise _invalid("week", "Give the hours of seven days, Monday first.")
    clean: list[list[str]] = []
    for name, day in zip(WEEKDAYS, week, strict=True):
        texts = [t.strip() for t in (day.split(",") if isinstance(day, str) else day or []) if str(t).strip()]
        if len(texts) > MAX_WINDOWS_A_DAY:
            raise _invalid("week", f"{name}: at most {MAX_WINDOWS_A_DAY} windows a day.")
        try:
            windows = [engine.parse_window(str(t)) for t in texts]
            for start, end in windows:
                if not start < end:
                    raise ValueError(f"{_format_window((start, end))} ends before it starts")
            # The engine sorts and merges a day's windows; a calendar of this one day asks it to.
            merged = engine.BusinessCalendar("UTC", (tuple(windows),) + ((),) * 6).week[0] if windows else ()
        except ValueError as exc:
            raise _invalid("week", f"{name}: {exc}. Write windows like 09:00-12:00, 13:00-17:00.") from None
        clean.append([_format_window(w) for w in merged])
    return clean


def _check(calendar: BusinessCalendar) -> None:
    if calendar.time_zone not in time_zones():
        raise _invalid("time_zone", f"“{calendar.time_zone}” is not a time zone; use an IANA name such as Europe/Berlin.")
    calendar.week = parse_week(calendar.week)
    if not calendar.always_open and not any(calendar.week):
        raise _invalid("week", "Give at least one working window, or make the calendar 24/7.")
    country = calendar.holiday_country = calendar.holiday_country.strip().upper()
    subdivision = calendar.holiday_subdivision = calendar.holiday_subdivision.strip().upper()
    if country and country not in holiday_countries():
        raise _invalid("holiday_country", f"No public holidays are known for “{country}”.")
    if subdivision and not country:
        raise _invalid("holiday_subdivision", "Choose the country first.")
    if subdivision and subdivision not in holiday_countries()[country]:
        raise _invalid("holiday_subdivision", f"“{subdivision}” is not a subdivision of {country}.")


def _snapshot(calendar: BusinessCalendar) -> dict[str, Any]:
    return audit.snapshot(calendar, exclude=("created_at", "updated_at", "version"))


@transaction.atomic
def calendar_create(*, actor: User, data: Mapping[str, Any]) -> BusinessCalendar:
    """Add a calendar (hours checked by the engine, holidays by the `holidays` package)."""
    _require_configurer(actor)
    calendar = BusinessCalendar()
    apply_fields(calendar, _strip(data), allowed=CALENDAR_FIELDS)
    _check(calendar)
    full_clean_or_fail(calendar, exclude=["public_id"])
    calendar.save()
    audit.record(actor=actor, action="create", instance=calendar, before=None, after=_snapshot(calendar))
    return calendar


@transaction.atomic
def calendar_update(
    *, actor: User, calendar: BusinessCalendar, data: Mapping[str, Any], expected_version: int | None = None
) -> BusinessCalendar:
    """Change a calendar's name, zone, hours or holiday country; a stale version is refused."""
    _require_configurer(actor)
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    check_version(calendar, expected_version)
    before = _snapshot(calendar)
    changed = apply_fields(calendar, _strip(data), allowed=CALENDAR_FIELDS)
    _check(calendar)
    if not changed and _snapshot(calendar) == before:
        return calendar
    full_clean_or_fail(calendar)
    calendar.version += 1
    calendar.save()
    audit.record(actor=actor, action="update", instance=calendar, before=before, after=_snapshot(calendar))
    return calendar


@transaction.atomic
def calendar_delete(*, actor: User, calendar: BusinessCalendar) -> None:
    """Delete a calendar with its closures."""
    _require_configurer(actor)
    before = _snapshot(calendar)
    audit.record(actor=actor, action="delete", instance=calendar, before=before, after=None)
    calendar.delete()


def _strip(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}


@transaction.atomic
def closure_add(
    *, actor: User, calendar: BusinessCalendar, first_day: dt.date, last_day: dt.date | None, name: str
) -> CalendarClosure:
    """A custom closure (one day, or a span with both ends included) on top of the public holidays."""
    _require_configurer(actor)
    last_day = last_day or first_day
    if last_day < first_day:
        raise _invalid("last_day", "The last day cannot be before the first.")
    if (last_day - first_day).days >= MAX_CLOSURE_DAYS:
        raise _invalid("last_day", f"A closure lasts at most {MAX_CLOSURE_DAYS} days.")
    closure = CalendarClosure(calendar=calendar, first_day=first_day, last_day=last_day, name=(name or "").strip())
    full_clean_or_fail(closure, exclude=["public_id", "calendar"])
    closure.save()
    audit.record(
        actor=actor, action="create", instance=closure, before=None,
        after={"calendar": calendar.name, "first_day": str(first_day), "last_day": str(last_day), "name": closure.name},
    )
    return closure


@transaction.atomic
def closure_remove(*, actor: User, closure: CalendarClosure) -> None:
    _require_configurer(actor)
    audit.record(
        actor=actor, action="delete", instance=closure,
        before={"calendar": closure.calendar.name, "first_day": str(closure.first_day), "last_day": str(closure.last_day), "name": closure.name},
        after=None,
    )
    closure.delete()
