"""The SLA set-up over the API: business calendars, their closures, and a due-time calculator."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from steward.api.auth import current_user
from steward.api.conditional import IfMatch, created, expected_version, read
from steward.api.errors import ERROR_RESPONSES, ErrorOut
from steward.api.pagination import LimitOffset
from steward.api.schemas import Payload, Text, When, optional
from steward.core.errors import NotFound
from steward.sla import selectors, services
from steward.sla.models import BusinessCalendar, CalendarClosure

router = Router(tags=["SLA calendars"])
RESPONSES = {**ERROR_RESPONSES, 409: ErrorOut}


class ClosureOut(Schema):
    id: UUID = Field(alias="public_id")
    first_day: dt.date
    last_day: dt.date
    name: str


class CalendarOut(Schema):
    id: UUID = Field(alias="public_id")
    version: int
    name: str
    description: str
    time_zone: str
    always_open: bool
    week: list[list[str]] = Field(description="Seven lists of windows like 09:00-12:00, Monday first.")
    holiday_country: str
    holiday_subdivision: str
    is_active: bool
    closures: list[ClosureOut]


class CalendarIn(Payload):
    name: Text
    description: Text = ""
    time_zone: Text = Field("UTC", description="An IANA time zone, e.g. Europe/Berlin.")
    always_open: bool = False
    week: list[list[Text]] = Field(
        default_factory=lambda: [["09:00-17:00"]] * 5 + [[], []],
        description="Seven lists of windows like 09:00-12:00 (a window may end at 24:00), Monday first.",
    )
    holiday_country: Text = ""
    holiday_subdivision: Text = ""
    is_active: bool = True


class CalendarPatch(Payload):
    name: Text = optional()
    description: Text = optional()
    time_zone: Text = optional()
    always_open: bool = optional()
    week: list[list[Text]] = optional()
    holiday_country: Text = optional()
    holiday_subdivision: Text = optional()
    is_active: bool = optional()


class ClosureIn(Payload):
    first_day: dt.date
    last_day: dt.date | None = Field(None, description="Empty for a single day; both ends are closed.")
    name: Text


class DayOffOut(Schema):
    day: dt.date
    name: str
    custom: bool


class DueIn(Payload):
    start: When
    hours: float = Field(ge=0, le=10_000, description="Working hours on this calendar.")


class DueOut(Schema):
    start: dt.datetime
    hours: float
    due: dt.datetime
    due_local: str = Field(description="The due time on the calendar's wall clock, ISO 8601 with its offset.")
    time_zone: str


def _calendar(public_id: UUID) -> BusinessCalendar:
    return selectors.calendar_get(public_id=public_id)


def _closures(calendar: BusinessCalendar) -> BusinessCalendar:
    return selectors.calendar_get(public_id=calendar.public_id)


@router.get("/sla/calendars", response={200: list[CalendarOut], 401: ErrorOut, 422: ErrorOut})
@paginate(LimitOffset)
def calendar_list(request: HttpRequest) -> Any:
    """Every calendar, by name (readable by every signed-in user)."""
    current_user(request)
    return BusinessCalendar.objects.prefetch_related("closures").order_by("name", "id")


@router.post("/sla/calendars", response={201: CalendarOut, **RESPONSES})
def calendar_create(request: HttpRequest, payload: CalendarIn, response: HttpResponse) -> Status:
    """Add a calendar (admins, directors and operations managers)."""
    calendar = services.calendar_create(actor=current_user(request), data=payload.model_dump())
    return created(request, response, _closures(calendar))


@router.get("/sla/calendars/{public_id}", response={200: CalendarOut, **RESPONSES})
def calendar_get(request: HttpRequest, public_id: UUID, response: HttpResponse) -> BusinessCalendar:
    current_user(request)
    return read(response, _calendar(public_id))


@router.patch("/sla/calendars/{public_id}", response={200: CalendarOut, **RESPONSES})
def calendar_update(
    request: HttpRequest, public_id: UUID, payload: CalendarPatch, response: HttpResponse, if_match: str | None = IfMatch
) -> BusinessCalendar:
    """Change a calendar; send the ETag in If-Match to refuse lost updates (412)."""
    calendar = services.calendar_update(
        actor=current_user(request), calendar=_calendar(public_id), data=payload.model_dump(exclude_unset=True),
        expected_version=expected_version(if_match),
    )
    return read(response, _closures(calendar))


@router.delete("/sla/calendars/{public_id}", response={204: None, **RESPONSES})
def calendar_delete(request: HttpRequest, public_id: UUID) -> Status:
    services.calendar_delete(actor=current_user(request), calendar=_calendar(public_id))
    return Status(204, None)


@router.post("/sla/calendars/{public_id}/closures", response={201: ClosureOut, **RESPONSES})
def closure_add(request: HttpRequest, public_id: UUID, payload: ClosureIn) -> Status:
    """Close the calendar for a day or a span of days (both ends included)."""
    closure = services.closure_add(actor=current_user(request), calendar=_calendar(public_id), **payload.model_dump())
    return Status(201, closure)


@router.delete("/sla/calendars/{public_id}/closures/{closure_id}", response={204: None, **RESPONSES})
def closure_remove(request: HttpRequest, public_id: UUID, closure_id: UUID) -> Status:
    user = current_user(request)
    closure = CalendarClosure.objects.filter(calendar=_calendar(public_id), public_id=closure_id).select_related("calendar").first()
    if closure is None:
        raise NotFound("No such closure.")
    services.closure_remove(actor=user, closure=closure)
    return Status(204, None)


@router.get("/sla/calendars/{public_id}/days-off", response={200: list[DayOffOut], **RESPONSES})
def days_off(request: HttpRequest, public_id: UUID, year: int = Query(..., ge=1970, le=2200)) -> list[selectors.Closed]:
    """Public holidays and closures of one year, by date (none on a 24/7 calendar)."""
    current_user(request)
    calendar = _calendar(public_id)
    return [] if calendar.always_open else selectors.days_off(calendar, [year])


@router.post("/sla/calendars/{public_id}/due", response={200: DueOut, **RESPONSES})
def due(request: HttpRequest, public_id: UUID, payload: DueIn) -> dict[str, Any]:
    """When a target of `hours` working hours started at `start` falls due on this calendar."""
    current_user(request)
    preview = selectors.due_preview(_calendar(public_id), start=payload.start, hours=payload.hours)
    return {
        "start": preview.start, "hours": preview.hours, "due": preview.due,
        "due_local": preview.due_local.isoformat(), "time_zone": preview.zone,
    }
