"""The SLA set-up over the API: business calendars, their closures, a due-time calculator, and policies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from steward.accounts.models import Tier
from steward.accounts.selectors import accounts_visible_to
from steward.api.auth import current_user
from steward.api.conditional import IfMatch, created, expected_version, read
from steward.api.errors import ERROR_RESPONSES, ErrorOut
from steward.api.pagination import LimitOffset, MappedPages
from steward.api.schemas import Payload, Text, When, optional
from steward.contracts.models import Contract
from steward.core.errors import NotFound, ValidationFailed
from steward.sla import selectors, services
from steward.sla.models import BusinessCalendar, CalendarClosure, SlaPolicy
from steward.users.models import User

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


# Policies --------------------------------------------------------------------------------------


class TargetIO(Schema):
    priority: str = Field(description="critical, high, moderate or low.")
    kind: str = Field(description="first_response, next_response or resolution.")
    minutes: int
    mode: str = Field("business", description="business (the calendar's working time) or calendar (around the clock).")


class VersionOut(Schema):
    number: int
    effective_from: dt.datetime
    snapshot: dict[str, Any]


class PolicyOut(Schema):
    id: UUID = Field(alias="public_id")
    version: int
    current_version: int
    name: str
    description: str
    calendar_id: UUID
    position: int
    is_active: bool
    is_default: bool
    priorities: list[str]
    categories: list[str]
    tier_names: list[str]
    account_ids: list[UUID]
    contract_numbers: list[str]
    pause_statuses: list[str]
    warning_thresholds: list[int]
    attainment_goal: float
    notify_in_business_hours: bool
    targets: list[TargetIO]


class PolicyIn(Payload):
    name: Text
    description: Text = ""
    calendar_id: UUID
    is_active: bool = True
    is_default: bool = False
    priorities: list[Text] = []
    categories: list[Text] = []
    tier_names: list[Text] = []
    account_ids: list[UUID] = []
    contract_numbers: list[Text] = []
    pause_statuses: list[Text] = ["waiting_on_customer"]
    warning_thresholds: list[int] = [50, 75, 90]
    attainment_goal: float = Field(95, ge=0, le=100)
    notify_in_business_hours: bool = True
    targets: list[TargetIO]


class PolicyPatch(Payload):
    name: Text = optional()
    description: Text = optional()
    calendar_id: UUID = optional()
    is_active: bool = optional()
    is_default: bool = optional()
    priorities: list[Text] = optional()
    categories: list[Text] = optional()
    tier_names: list[Text] = optional()
    account_ids: list[UUID] = optional()
    contract_numbers: list[Text] = optional()
    pause_statuses: list[Text] = optional()
    warning_thresholds: list[int] = optional()
    attainment_goal: float = optional()
    notify_in_business_hours: bool = optional()
    targets: list[TargetIO] = optional()


def _policy_out(policy: SlaPolicy) -> dict[str, Any]:
    return {
        **{f: getattr(policy, f) for f in (
            "public_id", "version", "current_version", "name", "description", "position", "is_active", "is_default", "priorities",
            "categories", "pause_statuses", "warning_thresholds", "notify_in_business_hours",
        )},
        "calendar_id": policy.calendar.public_id,
        "attainment_goal": float(policy.attainment_goal),
        "tier_names": sorted(policy.tiers.values_list("name", flat=True)),
        "account_ids": list(policy.accounts.order_by("name").values_list("public_id", flat=True)),
        "contract_numbers": sorted(policy.contracts.values_list("number", flat=True)),
        "targets": [{"priority": t.priority, "kind": t.kind, "minutes": t.minutes, "mode": t.mode} for t in policy.targets.all()],
    }


def _policy_input(user: User, data: dict[str, Any]) -> tuple[dict[str, Any], list[services.TargetInput] | None, services.Scope]:
    """The payload as the service takes it: references resolved among what the user sees, or 422 naming the field."""
    targets = data.pop("targets", None)
    if "calendar_id" in data:
        calendar = BusinessCalendar.objects.filter(public_id=data.pop("calendar_id")).first()
        if calendar is None:
            raise ValidationFailed("calendar_id: no such calendar.", field_errors={"calendar_id": ["No such calendar."]})
        data["calendar"] = calendar
    tiers = accounts = contracts = None
    if "tier_names" in data:
        names = data.pop("tier_names")
        tiers = list(Tier.objects.filter(name__in=names))
        if len(tiers) != len(set(names)):
            raise ValidationFailed("tier_names: unknown tier.", field_errors={"tier_names": [f"Tiers are among {', '.join(Tier.objects.values_list('name', flat=True))}."]})
    if "account_ids" in data:
        ids = data.pop("account_ids")
        accounts = list(accounts_visible_to(user).filter(public_id__in=ids))
        if len(accounts) != len(set(ids)):
            raise ValidationFailed("account_ids: choose accounts of your portfolio.", field_errors={"account_ids": ["Choose accounts of your portfolio."]})
    if "contract_numbers" in data:
        numbers = data.pop("contract_numbers")
        contracts = list(Contract.objects.filter(number__in=numbers, account__in=accounts_visible_to(user)))
        if len(contracts) != len(set(numbers)):
            raise ValidationFailed("contract_numbers: choose contracts of your portfolio.", field_errors={"contract_numbers": ["Choose contracts of your portfolio."]})
    if "attainment_goal" in data:
        data["attainment_goal"] = Decimal(str(data["attainment_goal"])).quantize(Decimal("0.01"))
    given = None if targets is None else [services.TargetInput(**t) for t in targets]
    return data, given, services.Scope(tiers=tiers, accounts=accounts, contracts=contracts)


@router.get("/sla/policies", response={200: list[PolicyOut], 401: ErrorOut, 422: ErrorOut}, tags=["SLA policies"])
@paginate(LimitOffset)
def policy_list(request: HttpRequest) -> Any:
    """Policies in matching order (the first whose scope matches a case applies, then the default)."""
    current_user(request)
    return MappedPages(_PolicyPages(), _policy_out)


class _PolicyPages:
    def count(self) -> int:
        return SlaPolicy.objects.count()

    def __getitem__(self, index: slice) -> list[SlaPolicy]:
        return list(selectors.policies().prefetch_related("accounts", "contracts")[index])


@router.post("/sla/policies", response={201: PolicyOut, **RESPONSES}, tags=["SLA policies"])
def policy_create(request: HttpRequest, payload: PolicyIn, response: HttpResponse) -> Status:
    """Add a policy after the others; version 1 is in force from now."""
    user = current_user(request)
    data, targets, scope = _policy_input(user, payload.model_dump())
    policy = services.policy_create(actor=user, data=data, targets=targets or [], scope=scope)
    response["ETag"] = f'"{policy.version}"'
    response["Location"] = f"{request.path.rstrip('/')}/{policy.public_id}"
    return Status(201, _policy_out(selectors.policy_get(public_id=policy.public_id)))


@router.get("/sla/policies/{public_id}", response={200: PolicyOut, **RESPONSES}, tags=["SLA policies"])
def policy_get(request: HttpRequest, public_id: UUID, response: HttpResponse) -> dict[str, Any]:
    current_user(request)
    policy = selectors.policy_get(public_id=public_id)
    response["ETag"] = f'"{policy.version}"'
    return _policy_out(policy)


@router.patch("/sla/policies/{public_id}", response={200: PolicyOut, **RESPONSES}, tags=["SLA policies"])
def policy_update(
    request: HttpRequest, public_id: UUID, payload: PolicyPatch, response: HttpResponse, if_match: str | None = IfMatch
) -> dict[str, Any]:
    """Change a policy; a change the clock reads starts a new version (If-Match refuses lost updates)."""
    user = current_user(request)
    data, targets, scope = _policy_input(user, payload.model_dump(exclude_unset=True))
    policy = services.policy_update(
        actor=user, policy=selectors.policy_get(public_id=public_id), data=data, targets=targets, scope=scope,
        expected_version=expected_version(if_match),
    )
    response["ETag"] = f'"{policy.version}"'
    return _policy_out(selectors.policy_get(public_id=policy.public_id))


@router.delete("/sla/policies/{public_id}", response={204: None, **RESPONSES}, tags=["SLA policies"])
def policy_delete(request: HttpRequest, public_id: UUID) -> Status:
    services.policy_delete(actor=current_user(request), policy=selectors.policy_get(public_id=public_id))
    return Status(204, None)


@router.get("/sla/policies/{public_id}/versions", response={200: list[VersionOut], **RESPONSES}, tags=["SLA policies"])
def policy_versions(request: HttpRequest, public_id: UUID) -> Any:
    """Every version, newest first, with what the clock reads from it."""
    current_user(request)
    return selectors.policy_get(public_id=public_id).versions.order_by("-number")
