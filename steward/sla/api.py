"""Service levels over the API: calendars (with closures and a due-time calculator), policies and cases.

No `from __future__ import annotations` here: ninja resolves the paginated operations' query schemas
from their annotations at import time."""

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from steward.accounts.models import Contact, Tier
from steward.accounts.selectors import accounts_visible_to
from steward.api.auth import current_user
from steward.api.conditional import IfMatch, created, expected_version, read
from steward.api.errors import ERROR_RESPONSES, ErrorOut
from steward.api.pagination import LimitOffset, MappedPages
from steward.api.schemas import Payload, Text, When, optional
from steward.contracts.models import Contract
from steward.core.errors import NotFound, ValidationFailed
from steward.orders.models import Order
from steward.sla import selectors, services
from steward.sla.choices import CasePriority
from steward.sla.import_api import router as import_router
from steward.sla.models import BusinessCalendar, CalendarClosure, Case, DeliveryGoal, SlaPolicy
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
    escalate_on_breach_to: str
    escalate_at_threshold: int | None
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
    escalate_on_breach_to: Text = Field("l2", description="l2, l3, management, or empty for no automatic escalation.")
    escalate_at_threshold: int | None = None
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
    escalate_on_breach_to: Text = optional()
    escalate_at_threshold: int | None = optional()
    targets: list[TargetIO] = optional()


def _policy_out(policy: SlaPolicy) -> dict[str, Any]:
    return {
        **{f: getattr(policy, f) for f in (
            "public_id", "version", "current_version", "name", "description", "position", "is_active", "is_default", "priorities",
            "categories", "pause_statuses", "warning_thresholds", "notify_in_business_hours", "escalate_on_breach_to",
            "escalate_at_threshold",
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
    return MappedPages(selectors.policies().prefetch_related("accounts", "contracts"), _policy_out)


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


# Cases -----------------------------------------------------------------------------------------


class CaseTargetOut(Schema):
    name: str
    status: str
    target_seconds: int
    mode: str
    due_at: dt.datetime | None
    met_at: dt.datetime | None
    breached_at: dt.datetime | None
    elapsed_seconds: float
    paused_seconds: float
    percent_used: float
    warning_level: int


class CaseOut(Schema):
    id: UUID = Field(alias="public_id")
    version: int
    number: str
    account_id: UUID
    subject: str
    description: str
    case_type: str
    category: str
    priority: str
    channel: str
    status: str
    owner: str
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    policy: str | None = Field(description="The policy and version the case is measured under; null: no SLA.")
    sla_breached: bool
    sla_next_due: dt.datetime | None
    escalation_level: str
    escalation_owner: str | None = Field(None, description="Who owns the level the case was last raised to, when one is named.")
    policy_since: dt.datetime | None = Field(
        None, description="Measured on its policy version from this moment (a re-evaluation or an import), not from the version's start."
    )
    targets: list[CaseTargetOut]


class CaseEventOut(Schema):
    at: dt.datetime
    kind: str
    status: str
    priority: str
    body: str
    actor: str | None


class CaseQuery(Schema):
    open_only: bool = Field(True, description="Only cases not yet resolved or closed.")
    mine: bool = Field(False, description="Only cases you own.")
    breached: bool | None = Field(None, description="Only cases with (true) or without (false) a breached target.")
    priority: str = Field("", description="critical, high, moderate or low.")
    q: str = Field("", description="Words of the number, subject or account name.")
    account_id: UUID | None = None
    sort: str = Field("due", description="due (soonest SLA due first), -opened, opened or priority.")


class CaseIn(Payload):
    account_id: UUID
    subject: Text
    description: Text = ""
    case_type: Text = "issue"
    category: Text = ""
    priority: Text = "moderate"
    channel: Text = "email"
    contact_id: UUID | None = None
    order_number: Text | None = None
    contract_number: Text | None = None


class ReplyIn(Payload):
    body: Text
    public: bool = Field(True, description="false: an internal note, which the SLA clock ignores.")


class CustomerReplyIn(Payload):
    body: Text


class StatusIn(Payload):
    status: Text
    note: Text = ""


class EscalateIn(Payload):
    level: Text = Field(description="l2, l3 or management: higher than the case's level.")
    reason: Text


class PriorityIn(Payload):
    priority: Text
    reason: Text


def _case_out(case: Case) -> dict[str, Any]:
    return {
        **{f: getattr(case, f) for f in (
            "public_id", "version", "number", "subject", "description", "case_type", "category", "priority", "channel", "status",
            "opened_at", "resolved_at", "closed_at", "sla_breached", "sla_next_due", "escalation_level",
        )},
        "account_id": case.account.public_id, "owner": str(case.owner),
        "policy": str(case.policy_version) if case.policy_version_id else None, "policy_since": case.policy_since,
        "escalation_owner": owner.username if (owner := selectors.current_escalation_owner(case)) else None,
        "targets": list(case.sla_targets.all()),
    }


def _case(request: HttpRequest, public_id: UUID) -> tuple[User, Case]:
    user = current_user(request)
    return user, selectors.case_get(user=user, public_id=public_id)


@router.get("/cases", response={200: list[CaseOut], 401: ErrorOut, 422: ErrorOut}, tags=["cases"])
@paginate(LimitOffset)
def case_list(request: HttpRequest, filters: Query[CaseQuery]) -> Any:
    """Cases of the accounts you see, soonest SLA due first."""
    if filters.priority and filters.priority not in CasePriority.values:
        raise ValidationFailed("priority: choose critical, high, moderate or low.", field_errors={"priority": ["Choose critical, high, moderate or low."]})
    if filters.sort not in selectors.CASE_SORTS:
        raise ValidationFailed(f"sort: choose {', '.join(selectors.CASE_SORTS)}.", field_errors={"sort": [f"Choose {', '.join(selectors.CASE_SORTS)}."]})
    chosen = selectors.CaseFilters(
        open_only=filters.open_only, mine=filters.mine, breached=filters.breached, priority=filters.priority, term=filters.q,
        account_public_id=filters.account_id, sort=filters.sort,
    )
    qs = selectors.cases_filtered(current_user(request), chosen)
    return MappedPages(qs.select_related("account", "owner", "policy_version__policy").prefetch_related("sla_targets"), _case_out)


@router.post("/cases", response={201: CaseOut, **RESPONSES}, tags=["cases"])
def case_open(request: HttpRequest, payload: CaseIn, response: HttpResponse) -> Status:
    """Open a case on an account you see; the first matching SLA policy's current version applies from now."""
    user = current_user(request)
    data = payload.model_dump()
    account = accounts_visible_to(user).filter(public_id=data.pop("account_id")).first()
    if account is None:
        raise NotFound("No such account.")
    contact_id, order_number, contract_number = data.pop("contact_id"), data.pop("order_number"), data.pop("contract_number")
    if contact_id:
        data["contact"] = Contact.objects.filter(public_id=contact_id, account=account).first() or _missing("contact_id", "a contact of this account")
    if order_number:
        data["order"] = Order.objects.filter(number=order_number, account=account).first() or _missing("order_number", "an order of this account")
    if contract_number:
        data["contract"] = Contract.objects.filter(number=contract_number, account=account).first() or _missing("contract_number", "a contract of this account")
    case = services.case_open(actor=user, account=account, data=data)
    response["ETag"] = f'"{case.version}"'
    response["Location"] = f"{request.path.rstrip('/')}/{case.public_id}"
    return Status(201, _case_out(selectors.case_get(user=user, public_id=case.public_id)))


def _missing(field: str, what: str) -> Any:
    raise ValidationFailed(f"{field}: choose {what}.", field_errors={field: [f"Choose {what}."]})


@router.get("/cases/{public_id}", response={200: CaseOut, **RESPONSES}, tags=["cases"])
def case_get(request: HttpRequest, public_id: UUID, response: HttpResponse) -> dict[str, Any]:
    _user, case = _case(request, public_id)
    response["ETag"] = f'"{case.version}"'
    return _case_out(case)


@router.get("/cases/{public_id}/events", response={200: list[CaseEventOut], **RESPONSES}, tags=["cases"])
def case_events(request: HttpRequest, public_id: UUID) -> list[dict[str, Any]]:
    """The case's history, oldest first, internal notes included."""
    _user, case = _case(request, public_id)
    return [
        {"at": e.at, "kind": e.kind, "status": e.status, "priority": e.priority, "body": e.body, "actor": str(e.actor) if e.actor else None}
        for e in case.events.select_related("actor").order_by("at", "id")
    ]


def _fresh(user: User, case: Case, response: HttpResponse) -> dict[str, Any]:
    case = selectors.case_get(user=user, public_id=case.public_id)
    response["ETag"] = f'"{case.version}"'
    return _case_out(case)


@router.post("/cases/{public_id}/replies", response={200: CaseOut, **RESPONSES}, tags=["cases"])
def case_reply(request: HttpRequest, public_id: UUID, payload: ReplyIn, response: HttpResponse) -> dict[str, Any]:
    """A reply to the customer (meets a response target) or an internal note."""
    user, case = _case(request, public_id)
    services.case_reply(actor=user, case=case, body=payload.body, public=payload.public)
    return _fresh(user, case, response)


@router.post("/cases/{public_id}/customer-replies", response={200: CaseOut, **RESPONSES}, tags=["cases"])
def case_customer_reply(request: HttpRequest, public_id: UUID, payload: CustomerReplyIn, response: HttpResponse) -> dict[str, Any]:
    """Log what the customer wrote: it may start a next-response target."""
    user, case = _case(request, public_id)
    services.case_customer_reply(actor=user, case=case, body=payload.body)
    return _fresh(user, case, response)


@router.post("/cases/{public_id}/status", response={200: CaseOut, **RESPONSES}, tags=["cases"])
def case_status(request: HttpRequest, public_id: UUID, payload: StatusIn, response: HttpResponse, if_match: str | None = IfMatch) -> dict[str, Any]:
    """Move the case (a waiting status may pause the clock; resolved stops it; open again reopens)."""
    user, case = _case(request, public_id)
    services.case_change_status(actor=user, case=case, status=payload.status, note=payload.note, expected_version=expected_version(if_match))
    return _fresh(user, case, response)


@router.post("/cases/{public_id}/priority", response={200: CaseOut, **RESPONSES}, tags=["cases"])
def case_priority(request: HttpRequest, public_id: UUID, payload: PriorityIn, response: HttpResponse) -> dict[str, Any]:
    """Change the priority, with a reason; time already used carries over."""
    user, case = _case(request, public_id)
    services.case_change_priority(actor=user, case=case, priority=payload.priority, reason=payload.reason)
    return _fresh(user, case, response)


@router.post("/cases/{public_id}/escalate", response={200: CaseOut, **RESPONSES}, tags=["cases"])
def case_escalate(request: HttpRequest, public_id: UUID, payload: EscalateIn, response: HttpResponse) -> dict[str, Any]:
    """Escalate the case to a higher level, with a reason; the owner and the operations manager are told."""
    user, case = _case(request, public_id)
    services.case_escalate(actor=user, case=case, level=payload.level, reason=payload.reason)
    return _fresh(user, case, response)


class EscalationOut(Schema):
    at: dt.datetime
    from_level: str
    to_level: str
    reason: str
    automatic: bool
    actor: str | None = Field(description="Who escalated by hand (username); null when the policy did.")
    owner: str | None = Field(description="The owner of the level raised to (username), when one is named.")


@router.get("/cases/{public_id}/escalations", response={200: list[EscalationOut], **RESPONSES}, tags=["cases"])
def case_escalations(request: HttpRequest, public_id: UUID) -> list[dict[str, Any]]:
    """The case's escalations, oldest first: by hand with a reason, or automatic on a breach or threshold."""
    _user, case = _case(request, public_id)
    return [
        {
            "at": e.at, "from_level": e.from_level, "to_level": e.to_level, "reason": e.reason, "automatic": e.automatic,
            "actor": e.actor.username if e.actor else None, "owner": e.owner.username if e.owner else None,
        }
        for e in case.escalations.select_related("actor", "owner").order_by("at", "id")
    ]


# Attainment ------------------------------------------------------------------------------------


class AttainmentFigures(Schema):
    met: int
    breached: int
    pct: Decimal | None = Field(description="Met as a percentage of met + breached; null when nothing was decided.")
    goal: Decimal | None = Field(None, description="The group's own goal, when it has one (deliveries of an account: its delivery goal).")


class AttainmentOut(Schema):
    group: str
    label: str
    kinds: dict[str, AttainmentFigures] = Field(description="first_response, next_response, resolution and delivery (on time and in full).")
    cases: AttainmentFigures = Field(description="Every case target of the group together.")


class AttainmentQuery(Schema):
    group: str = Field("quarter", description="quarter, account, owner, team or tier.")
    start: dt.date | None = Field(None, description="Targets decided (orders delivered) on or after this date.")
    end: dt.date | None = Field(None, description="Before this date.")
    account_id: UUID | None = None


def _figures(a: Any) -> dict[str, Any]:
    return {"met": a.met, "breached": a.breached, "pct": a.pct, "goal": a.goal}


@router.get("/sla/attainment", response={200: list[AttainmentOut], **RESPONSES}, tags=["cases"])
@paginate(LimitOffset)
def attainment(request: HttpRequest, filters: Query[AttainmentQuery]) -> Any:
    """SLA attainment (met / (met + breached)) of the cases and deliveries you see, grouped; by quarter
    oldest first, by any other group worst case attainment first. Paged: `count`, `next`, `results`."""
    user = current_user(request)
    if filters.group not in selectors.ATTAINMENT_GROUPS:
        raise ValidationFailed("group: choose quarter, account, owner, team or tier.", field_errors={"group": ["Choose quarter, account, owner, team or tier."]})
    account = None
    if filters.account_id is not None:
        account = accounts_visible_to(user).filter(public_id=filters.account_id).first()
        if account is None:
            raise NotFound("No such account.")
    return MappedPages(
        selectors.attainment_rows(user=user, group=filters.group, start=filters.start, end=filters.end, account=account),
        lambda r: {"group": filters.group, "label": r.label, "kinds": {k: _figures(a) for k, a in r.by_kind.items()}, "cases": _figures(r.cases)},
    )


# Re-evaluation -------------------------------------------------------------------------------------


class MovedOut(Schema):
    moved: int = Field(description="How many open cases moved to the version that applies now.")


@router.post("/cases/{public_id}/reevaluate", response={200: CaseOut, **RESPONSES}, tags=["cases"])
def case_reevaluate(request: HttpRequest, public_id: UUID, response: HttpResponse) -> dict[str, Any]:
    """Measure the case on the policy version that applies to it now (met stays met, a breach stays, no new
    breach is dated before now); unchanged when it is on that version already."""
    user, case = _case(request, public_id)
    services.case_reevaluate(actor=user, case=case)
    return _fresh(user, case, response)


@router.post("/sla/policies/{public_id}/reevaluate", response={200: MovedOut, **RESPONSES}, tags=["SLA policies"])
def policy_reevaluate(request: HttpRequest, public_id: UUID) -> dict[str, int]:
    """Re-evaluate every open case still measured on an earlier version of this policy."""
    moved = services.policy_reevaluate_open_cases(actor=current_user(request), policy=selectors.policy_get(public_id=public_id))
    return {"moved": moved}


# Escalation levels ---------------------------------------------------------------------------------


class TierOwnerOut(Schema):
    tier: str
    user: str


class EscalationLevelOut(Schema):
    level: str
    label: str
    user: str | None = Field(description="The owner for every account (username); null: no one named.")
    by_tier: list[TierOwnerOut] = Field(description="Owners for one tier's accounts, who come first for them.")


class EscalationOwnerIn(Payload):
    user: Text | None = Field(None, description="Username of the owner; null removes the owner.")
    tier: Text | None = Field(None, description="A tier's name: the owner for that tier's accounts only.")


def _levels() -> list[dict[str, Any]]:
    return [
        {
            "level": row.level, "label": row.label, "user": row.everywhere.user.username if row.everywhere else None,
            "by_tier": [{"tier": o.tier.name, "user": o.user.username} for o in row.by_tier],
        }
        for row in selectors.escalation_levels()
    ]


@router.get("/sla/escalation-levels", response={200: list[EscalationLevelOut], **RESPONSES}, tags=["SLA policies"])
def escalation_levels(request: HttpRequest) -> list[dict[str, Any]]:
    """Who owns L2, L3 and management (L1 is the case's own owner)."""
    current_user(request)
    return _levels()


@router.put("/sla/escalation-levels/{level}", response={200: list[EscalationLevelOut], **RESPONSES}, tags=["SLA policies"])
def escalation_owner_set(request: HttpRequest, level: str, payload: EscalationOwnerIn) -> list[dict[str, Any]]:
    """Name (or with a null user, remove) the owner of a level, for every account or one tier's."""
    actor = current_user(request)
    user = tier = None
    if payload.user:
        user = User.objects.filter(username=payload.user).first()
        if user is None:
            raise ValidationFailed(f"user: no user is called {payload.user}.", field_errors={"user": [f"No user is called {payload.user}."]})
    if payload.tier:
        tier = Tier.objects.filter(name=payload.tier).first()
        if tier is None:
            raise ValidationFailed(f"tier: no tier is called {payload.tier}.", field_errors={"tier": [f"No tier is called {payload.tier}."]})
    services.escalation_owner_set(actor=actor, level=level, user=user, tier=tier)
    return _levels()


# Delivery goals ------------------------------------------------------------------------------------


class AccountRef(Schema):
    id: UUID
    name: str


class AccountGoalOut(Schema):
    account: AccountRef
    goal: float
    note: str
    updated_at: dt.datetime


class DeliveryGoalsOut(Schema):
    default: float = Field(description="The portfolio's goal (the default SLA policy's attainment goal when none is set).")
    default_set: bool
    accounts: list[AccountGoalOut] = Field(description="Accounts you see with a goal of their own (at most `limit`, from `offset`).")
    count: int


class GoalIn(Payload):
    goal: float = Field(description="Percent of deliveries on time and in full, 0-100.")
    note: Text = ""


class GoalSourceOut(Schema):
    goal: float
    source: str = Field(description="contract (an active contract's on-time-delivery level), account or default.")
    contract: str | None = Field(None, description="The contract's number when a contract sets the goal.")


@router.get("/sla/delivery-goals", response={200: DeliveryGoalsOut, **RESPONSES}, tags=["SLA policies"])
def delivery_goals(request: HttpRequest, limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    """The portfolio's delivery goal and the accounts with one of their own."""
    user = current_user(request)
    rows = selectors.delivery_goal_rows(user=user)
    return {
        "default": float(selectors.default_delivery_goal()),
        "default_set": DeliveryGoal.objects.filter(is_default=True).exists(),
        "count": rows.count(),
        "accounts": [
            {"account": {"id": g.account.public_id, "name": g.account.name}, "goal": float(g.goal), "note": g.note, "updated_at": g.updated_at}
            for g in rows[offset:offset + limit]
        ],
    }


def _visible_account(user: User, public_id: UUID) -> Any:
    account = accounts_visible_to(user).filter(public_id=public_id).first()
    if account is None:
        raise NotFound("No such account.")
    return account


@router.put("/sla/delivery-goals/default", response={200: GoalSourceOut, **RESPONSES}, tags=["SLA policies"])
def delivery_goal_default(request: HttpRequest, payload: GoalIn) -> dict[str, Any]:
    """Set the portfolio's delivery goal."""
    row = services.delivery_goal_set(actor=current_user(request), account=None, goal=payload.goal, note=payload.note)
    return {"goal": float(row.goal), "source": "default"}


@router.put("/sla/delivery-goals/{account_id}", response={200: GoalSourceOut, **RESPONSES}, tags=["SLA policies"])
def delivery_goal_set(request: HttpRequest, account_id: UUID, payload: GoalIn) -> dict[str, Any]:
    """Set an account's own delivery goal (an active contract's on-time-delivery level still comes first)."""
    user = current_user(request)
    account = _visible_account(user, account_id)
    services.delivery_goal_set(actor=user, account=account, goal=payload.goal, note=payload.note)
    return _goal_out(selectors.delivery_goal_for(account, on=dt.date.today()))


@router.delete("/sla/delivery-goals/{account_id}", response={204: None, **RESPONSES}, tags=["SLA policies"])
def delivery_goal_remove(request: HttpRequest, account_id: UUID) -> Status:
    """Remove an account's own goal: it goes back to its contract's or the portfolio's."""
    user = current_user(request)
    row = selectors.delivery_goal_rows(user=user).filter(account__public_id=account_id).first()
    if row is None:
        raise NotFound("This account has no goal of its own.")
    services.delivery_goal_remove(actor=user, row=row)
    return Status(204, None)


def _goal_out(goal: selectors.GoalSource) -> dict[str, Any]:
    return {"goal": float(goal.goal), "source": goal.source, "contract": goal.contract[0] if goal.contract else None}


@router.get("/accounts/{account_id}/delivery-goal", response={200: GoalSourceOut, **RESPONSES}, tags=["SLA policies"])
def account_delivery_goal(request: HttpRequest, account_id: UUID) -> dict[str, Any]:
    """The delivery goal an account is held to today and where it comes from."""
    return _goal_out(selectors.delivery_goal_for(_visible_account(current_user(request), account_id), on=dt.date.today()))


# Importing a ServiceNow log: its own module, served under this router.
router.add_router("", import_router)
