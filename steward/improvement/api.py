"""Improvement plans over the API: plans (list with filters, create, read, change, move), their
actions, and the effectiveness check.

No `from __future__ import annotations` here: ninja resolves the paginated operations' query schemas
from their annotations at import time."""

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from steward.accounts.selectors import accounts_visible_to
from steward.api.auth import current_user
from steward.api.conditional import IfMatch, expected_version
from steward.api.errors import ERROR_RESPONSES, ErrorOut
from steward.api.pagination import LimitOffset, MappedPages
from steward.api.schemas import Payload, Text, optional
from steward.core.errors import ValidationFailed
from steward.improvement import selectors, services
from steward.improvement.choices import ACTIVE_PLAN_STATUSES, PlanStatus
from steward.improvement.models import ImprovementAction, ImprovementPlan
from steward.orders import selectors as order_selectors
from steward.sla import selectors as sla_selectors
from steward.sla.models import CaseEscalation, CaseTarget
from steward.users.models import User

router = Router(tags=["improvement plans"])
RESPONSES = {**ERROR_RESPONSES, 409: ErrorOut}


class ActionOut(Schema):
    id: UUID
    version: int
    kind: str
    description: str
    owner: str = Field(description="The owner's username.")
    due_on: dt.date
    status: str
    completed_on: dt.date | None
    overdue: bool


class PlanOut(Schema):
    id: UUID
    version: int
    number: str
    title: str
    problem: str
    account_id: UUID | None = Field(description="Null: the plan covers the whole portfolio.")
    owner: str = Field(description="The owner's username.")
    status: str
    source: str = Field(description="breach, escalation, low_attainment or manual.")
    source_case: str | None = Field(description="The number of the case the plan came from.")
    source_target: str | None = Field(description="The breached target kind, for a plan from a breach.")
    source_escalation_id: int | None
    source_quarter: dt.date | None
    root_cause_category: str
    root_cause: str
    whys: list[str]
    metric: str
    change_date: dt.date | None = Field(description="Null: the last completed action, else the plan's creation (see effective_change_date).")
    effective_change_date: dt.date
    before_days: int
    after_days: int
    closed_on: dt.date | None
    closing_note: str
    cases: list[str] = Field(description="Numbers of the linked cases you see.")
    orders: list[str] = Field(description="Numbers of the linked orders you see.")
    actions: list[ActionOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class PlanRow(Schema):
    id: UUID
    version: int
    number: str
    title: str
    account_id: UUID | None
    owner: str
    status: str
    source: str
    metric: str
    open_actions: int
    overdue_actions: int
    created_at: dt.datetime


class PlanQuery(Schema):
    status: str | None = Field(None, description="One status; `active` for every status not closed.")
    account_id: UUID | None = None
    owner: str | None = Field(None, description="A username, or `me`.")
    overdue: bool | None = Field(None, description="Only plans with (true) or without (false) overdue actions.")
    q: str | None = Field(None, description="Number, title or account name contains.")


class PlanIn(Payload):
    title: Text
    problem: Text
    account_id: UUID | None = Field(None, description="Empty: the whole portfolio.")
    owner: Text | None = Field(None, description="A username; empty: you.")
    source: Text = Field("manual", description="breach, escalation, low_attainment or manual.")
    case_id: UUID | None = Field(None, description="With source=breach: the case whose target was breached.")
    target: Text | None = Field(None, description="With source=breach: first_response, next_response or resolution.")
    escalation_id: int | None = Field(None, description="With source=escalation.")
    quarter: dt.date | None = Field(None, description="With source=low_attainment: any day of the quarter.")
    root_cause_category: Text = ""
    root_cause: Text = ""
    whys: list[Text] = Field(default_factory=list, description="At most five, in order.")
    metric: Text = Field("resolution", description="resolution, first_response, next_response or otif.")
    change_date: dt.date | None = None
    before_days: int = 90
    after_days: int = 90
    cases: list[Text] = Field(default_factory=list, description="Case numbers to link.")
    orders: list[Text] = Field(default_factory=list, description="Order numbers to link.")


class PlanPatch(Payload):
    title: Text = optional()
    problem: Text = optional()
    account_id: UUID | None = optional("Null: the whole portfolio.")
    owner: Text = optional()
    root_cause_category: Text = optional()
    root_cause: Text = optional()
    whys: list[Text] = optional()
    metric: Text = optional()
    change_date: dt.date | None = optional("Null: back to the default.")
    before_days: int = optional()
    after_days: int = optional()
    cases: list[Text] = optional("Case numbers: replaces the linked cases you see.")
    orders: list[Text] = optional("Order numbers: replaces the linked orders you see.")


class StatusIn(Payload):
    status: Text
    note: Text = ""


class ActionIn(Payload):
    kind: Text = "corrective"
    description: Text
    owner: Text | None = Field(None, description="A username; empty: you.")
    due_on: dt.date
    status: Text = "open"
    completed_on: dt.date | None = None


class ActionPatch(Payload):
    kind: Text = optional()
    description: Text = optional()
    owner: Text = optional()
    due_on: dt.date = optional()
    status: Text = optional()
    completed_on: dt.date | None = optional()


class CountsOut(Schema):
    met: int
    breached: int
    pct: Decimal | None


class WeekOut(Schema):
    start: dt.date
    end: dt.date = Field(description="Exclusive.")
    after: bool
    met: int
    breached: int
    pct: Decimal | None


class EffectivenessOut(Schema):
    metric: str
    change_date: dt.date
    before_start: dt.date
    after_end: dt.date = Field(description="Exclusive.")
    before: CountsOut
    after: CountsOut
    change_points: Decimal | None
    verdict: str = Field(description="improved, no_change, worse or not_measurable.")
    indicative: bool = Field(description="A window has fewer than 20 decided: the verdict is indicative only.")
    provisional: bool = Field(description="The after window has not ended yet.")
    significant: bool | None = Field(description="Two-proportion z-test at 95 %; null without data.")
    notes: list[str]
    weeks: list[WeekOut]


def _user_ref(field: str, username: str | None, default: User) -> User:
    if not username:
        return default
    found = User.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise ValidationFailed(f"{field}: no active colleague {username}.", field_errors={field: [f"No active colleague {username}."]})
    return found


def _records(user: User, cases: list[str], orders: list[str]) -> tuple[list[Any], list[Any]]:
    found_cases = list(sla_selectors.cases_visible_to(user).filter(number__in=cases))
    missing = sorted(set(cases) - {c.number for c in found_cases})
    if missing:
        raise ValidationFailed(f"cases: no case {missing[0]} among yours.", field_errors={"cases": [f"No case {n} among yours." for n in missing]})
    found_orders = list(order_selectors.orders_visible_to(user).filter(number__in=orders))
    missing = sorted(set(orders) - {o.number for o in found_orders})
    if missing:
        raise ValidationFailed(f"orders: no order {missing[0]} among yours.", field_errors={"orders": [f"No order {n} among yours." for n in missing]})
    return found_cases, found_orders


def _account(user: User, account_id: UUID | None) -> Any:
    if account_id is None:
        return None
    account = accounts_visible_to(user).filter(public_id=account_id).first()
    if account is None:
        raise ValidationFailed("account_id: choose an account in your portfolio.", field_errors={"account_id": ["Choose an account in your portfolio."]})
    return account


def _action_out(a: ImprovementAction, today: dt.date) -> dict[str, Any]:
    return {
        "id": a.public_id, "version": a.version, "kind": a.kind, "description": a.description, "owner": a.owner.username,
        "due_on": a.due_on, "status": a.status, "completed_on": a.completed_on, "overdue": a.is_pending and a.due_on < today,
    }


def _plan_out(plan: ImprovementPlan, user: User) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        **{f: getattr(plan, f) for f in (
            "version", "number", "title", "problem", "status", "source", "source_quarter", "root_cause_category", "root_cause", "whys",
            "metric", "change_date", "before_days", "after_days", "closed_on", "closing_note", "created_at", "updated_at",
        )},
        "id": plan.public_id, "account_id": plan.account.public_id if plan.account else None, "owner": plan.owner.username,
        "source_case": plan.source_case.number if plan.source_case else None,
        "source_target": plan.source_target.name if plan.source_target else None, "source_escalation_id": plan.source_escalation_id,
        "effective_change_date": selectors.change_date(plan),
        "cases": list(selectors.linked_cases(plan, user).values_list("number", flat=True)),
        "orders": list(selectors.linked_orders(plan, user).values_list("number", flat=True)),
        "actions": [_action_out(a, today) for a in selectors.plan_actions(plan)],
    }


def _row(plan: ImprovementPlan) -> dict[str, Any]:
    return {
        "id": plan.public_id, "version": plan.version, "number": plan.number, "title": plan.title,
        "account_id": plan.account.public_id if plan.account else None, "owner": plan.owner.username, "status": plan.status,
        "source": plan.source, "metric": plan.metric, "open_actions": plan.pending_actions,  # type: ignore[attr-defined]
        "overdue_actions": plan.overdue_actions, "created_at": plan.created_at,  # type: ignore[attr-defined]
    }


def _plan(request: HttpRequest, public_id: UUID) -> tuple[User, ImprovementPlan]:
    user = current_user(request)
    return user, selectors.plan_get(user=user, public_id=public_id)


def _fresh(user: User, plan: ImprovementPlan, response: HttpResponse) -> dict[str, Any]:
    plan = selectors.plan_get(user=user, public_id=plan.public_id)
    response["ETag"] = f'"{plan.version}"'
    return _plan_out(plan, user)


@router.get("/improvement-plans", response={200: list[PlanRow], 401: ErrorOut, 422: ErrorOut})
@paginate(LimitOffset)
def plan_list(request: HttpRequest, filters: Query[PlanQuery]) -> Any:
    """Improvement plans you see, newest first."""
    user = current_user(request)
    qs = selectors.plan_list(user, today=timezone.localdate())
    if filters.status == "active":
        qs = qs.filter(status__in=list(ACTIVE_PLAN_STATUSES))
    elif filters.status:
        if filters.status not in PlanStatus.values:
            raise ValidationFailed("status: choose active or one of " + ", ".join(PlanStatus.values) + ".",
                                   field_errors={"status": ["Choose active or a plan status."]})
        qs = qs.filter(status=filters.status)
    if filters.account_id is not None:
        qs = qs.filter(account__public_id=filters.account_id)
    if filters.owner:
        qs = qs.filter(owner=user) if filters.owner == "me" else qs.filter(owner__username=filters.owner)
    if filters.overdue is not None:
        qs = qs.filter(overdue_actions__gt=0) if filters.overdue else qs.filter(overdue_actions=0)
    if filters.q:
        qs = qs.filter(Q(number__icontains=filters.q) | Q(title__icontains=filters.q) | Q(account__name__icontains=filters.q))
    return MappedPages(qs.order_by("-created_at", "-id"), _row)


@router.post("/improvement-plans", response={201: PlanOut, **RESPONSES})
def plan_create(request: HttpRequest, payload: PlanIn, response: HttpResponse) -> Status:
    """Open a plan, by hand or from a breach, an escalation or a quarter of low attainment."""
    user = current_user(request)
    data = payload.model_dump()
    cases, orders = _records(user, data.pop("cases"), data.pop("orders"))
    case_id, target, escalation_id, quarter = data.pop("case_id"), data.pop("target"), data.pop("escalation_id"), data.pop("quarter")
    data["account"] = _account(user, data.pop("account_id"))
    data["owner"] = _user_ref("owner", data.pop("owner"), user)
    visible = sla_selectors.cases_visible_to(user)
    if data["source"] == "breach":
        data["source_target"] = CaseTarget.objects.filter(case__public_id=case_id, case__in=visible, name=target).first() if case_id else None
    elif data["source"] == "escalation":
        data["source_escalation"] = CaseEscalation.objects.filter(pk=escalation_id, case__in=visible).first() if escalation_id else None
    elif data["source"] == "low_attainment":
        data["source_quarter"] = quarter
    plan = services.plan_create(actor=user, data=data, cases=cases, orders=orders)
    response["Location"] = f"{request.path.rstrip('/')}/{plan.public_id}"
    return Status(201, _fresh(user, plan, response))


@router.get("/improvement-plans/{public_id}", response={200: PlanOut, **RESPONSES})
def plan_get(request: HttpRequest, public_id: UUID, response: HttpResponse) -> dict[str, Any]:
    user, plan = _plan(request, public_id)
    response["ETag"] = f'"{plan.version}"'
    return _plan_out(plan, user)


@router.patch("/improvement-plans/{public_id}", response={200: PlanOut, **RESPONSES})
def plan_update(
    request: HttpRequest, public_id: UUID, payload: PlanPatch, response: HttpResponse, if_match: str | None = IfMatch
) -> dict[str, Any]:
    """Change a plan; send the ETag in If-Match to refuse lost updates (412)."""
    user, plan = _plan(request, public_id)
    data = payload.model_dump(exclude_unset=True)
    for name in ("title", "problem", "owner", "root_cause_category", "root_cause", "whys", "metric", "before_days", "after_days"):
        if name in data and data[name] is None:
            raise ValidationFailed(f"{name}: leave it out instead of null.", field_errors={name: ["Leave it out instead of null."]})
    cases = orders = None
    if "cases" in data or "orders" in data:
        found_cases, found_orders = _records(user, data.pop("cases", None) or [], data.pop("orders", None) or [])
        hidden_cases, hidden_orders = selectors.links_hidden_from(plan, user)  # links the caller cannot see stay
        cases = found_cases + hidden_cases if "cases" in payload.model_fields_set else None
        orders = found_orders + hidden_orders if "orders" in payload.model_fields_set else None
    if "account_id" in data:
        data["account"] = _account(user, data.pop("account_id"))
    if "owner" in data:
        data["owner"] = _user_ref("owner", data["owner"], user)
    services.plan_update(actor=user, plan=plan, data=data, cases=cases, orders=orders, expected_version=expected_version(if_match))
    return _fresh(user, plan, response)


@router.post("/improvement-plans/{public_id}/status", response={200: PlanOut, **RESPONSES})
def plan_status(request: HttpRequest, public_id: UUID, payload: StatusIn, response: HttpResponse, if_match: str | None = IfMatch) -> dict[str, Any]:
    """Move the plan: open, in_progress, verifying, closed_effective, closed_not_effective (reopen: back to in_progress, with a note)."""
    user, plan = _plan(request, public_id)
    services.plan_change_status(actor=user, plan=plan, status=payload.status, note=payload.note, expected_version=expected_version(if_match))
    return _fresh(user, plan, response)


@router.get("/improvement-plans/{public_id}/actions", response={200: list[ActionOut], **RESPONSES})
def action_list(request: HttpRequest, public_id: UUID) -> list[dict[str, Any]]:
    """The plan's actions, corrective first, soonest due first."""
    _user, plan = _plan(request, public_id)
    today = timezone.localdate()
    return [_action_out(a, today) for a in selectors.plan_actions(plan)]


@router.post("/improvement-plans/{public_id}/actions", response={201: ActionOut, **RESPONSES})
def action_create(request: HttpRequest, public_id: UUID, payload: ActionIn, response: HttpResponse) -> Status:
    """Add a corrective or preventive action; its owner is told."""
    user, plan = _plan(request, public_id)
    data = payload.model_dump()
    data["owner"] = _user_ref("owner", data["owner"], user)
    action = services.action_create(actor=user, plan=plan, data=data)
    response["ETag"] = f'"{action.version}"'
    response["Location"] = f"{request.path.rstrip('/')}/{action.public_id}"
    return Status(201, _action_out(action, timezone.localdate()))


@router.patch("/improvement-plans/{public_id}/actions/{action_id}", response={200: ActionOut, **RESPONSES})
def action_update(
    request: HttpRequest, public_id: UUID, action_id: UUID, payload: ActionPatch, response: HttpResponse, if_match: str | None = IfMatch
) -> dict[str, Any]:
    """Change an action (its owner may update its status); done records today unless completed_on is given."""
    user, plan = _plan(request, public_id)
    action = selectors.action_get(user=user, plan=plan, public_id=action_id)
    data = payload.model_dump(exclude_unset=True)
    for name in ("kind", "description", "owner", "due_on", "status"):
        if name in data and data[name] is None:
            raise ValidationFailed(f"{name}: leave it out instead of null.", field_errors={name: ["Leave it out instead of null."]})
    if "owner" in data:
        data["owner"] = _user_ref("owner", data["owner"], user)
    action = services.action_update(actor=user, action=action, data=data, expected_version=expected_version(if_match))
    response["ETag"] = f'"{action.version}"'
    return _action_out(action, timezone.localdate())


def _counts(c: Any) -> dict[str, Any]:
    return {"met": c.met, "breached": c.breached, "pct": c.pct}


@router.get("/improvement-plans/{public_id}/effectiveness", response={200: EffectivenessOut, **RESPONSES})
def effectiveness(request: HttpRequest, public_id: UUID) -> dict[str, Any]:
    """The plan's metric before and after its change date, the change in points, the verdict and weekly figures
    (counted over the records you see)."""
    user, plan = _plan(request, public_id)
    result = selectors.effectiveness(plan, user=user, today=timezone.localdate())
    a, w = result.assessment, result.windows
    return {
        "metric": result.metric, "change_date": w.change, "before_start": w.before_start, "after_end": w.after_end,
        "before": _counts(a.before), "after": _counts(a.after), "change_points": a.change_points, "verdict": a.verdict,
        "indicative": a.indicative, "provisional": a.provisional, "significant": a.significant, "notes": list(a.notes),
        "weeks": [{"start": b.start, "end": b.end, "after": b.after, **_counts(b.counts)} for b in result.weeks],
    }


