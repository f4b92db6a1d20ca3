"""Writes to improvement plans and their actions.

Pages and the API call these functions, so a rule lives once. Each call is one transaction with its
audit event; a refusal raises `ValidationFailed` naming the field (or another `ApplicationError`)
before anything is written.

Who may write: anyone who sees the account (and is not read-only) opens a plan they own; the plan's
owner, operations managers, directors and admins edit it and move it through its workflow; an
action's owner may also update their own action (status, completion).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from steward.accounts.models import Account
from steward.accounts.selectors import accounts_visible_to
from steward.core import audit
from steward.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from steward.core.notify import notify
from steward.core.services import apply_fields, check_version, full_clean_or_fail
from steward.improvement import selectors
from steward.improvement.choices import (
    MAX_WHYS,
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
    PENDING_ACTION_STATUSES,
    PLAN_TRANSITIONS,
    ActionKind,
    ActionStatus,
    Metric,
    PlanSource,
    PlanStatus,
    RootCause,
)
from steward.improvement.engine import effectiveness as engine
from steward.improvement.models import ImprovementAction, ImprovementPlan
from steward.orders import selectors as order_selectors
from steward.orders.models import Order
from steward.sla import selectors as sla_selectors
from steward.sla.engine import clock
from steward.sla.models import Case
from steward.users.choices import Role
from steward.users.models import User

PLAN_FIELDS = frozenset({
    "title", "problem", "account", "owner", "root_cause_category", "root_cause", "whys", "metric", "change_date",
    "before_days", "after_days",
})
SOURCE_FIELDS = frozenset({"source", "source_case", "source_target", "source_escalation", "source_quarter"})
ACTION_FIELDS = frozenset({"kind", "description", "owner", "due_on", "status", "completed_on"})
MAX_WHY_LENGTH = 500


class PlanStateError(ApplicationError):
    """The action does not fit the plan's status (e.g. adding an action to a closed plan)."""

    status_code = 409


def can_manage_plans(user: Any) -> bool:
    """Operations managers, directors and admins work on every plan they see."""
    return bool(
        user.is_authenticated and user.is_active and not user.is_read_only
        and (user.is_admin_role or user.role in (Role.DIRECTOR, Role.OPERATIONS))
    )


def can_create_plan(user: Any) -> bool:
    """Everyone who is not read-only opens plans (on the accounts they see)."""
    return bool(user.is_authenticated and user.is_active and not user.is_read_only)


def can_edit_plan(user: Any, plan: ImprovementPlan) -> bool:
    """The plan's owner, operations managers, directors and admins (of a plan they see)."""
    return can_create_plan(user) and (plan.owner_id == user.pk or can_manage_plans(user))


def can_update_action(user: Any, action: ImprovementAction) -> bool:
    """Plan editors, and the action's own owner."""
    return can_edit_plan(user, action.plan) or (can_create_plan(user) and action.owner_id == user.pk)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", field_errors={field: [message]})


def _text(value: Any) -> str:
    return str(value or "").strip()


def clean_whys(value: Any) -> list[str]:
    """The five-whys chain as an ordered list of at most five answers (blank ones dropped); text is
    split on its lines."""
    if value is None:
        return []
    items = value.splitlines() if isinstance(value, str) else value
    if not isinstance(items, Sequence):
        raise _invalid("whys", "Give the answers as a list, first why first.")
    whys = [_text(w) for w in items if _text(w)]
    if len(whys) > MAX_WHYS:
        raise _invalid("whys", f"At most {MAX_WHYS} whys: the last one is the root cause.")
    if any(len(w) > MAX_WHY_LENGTH for w in whys):
        raise _invalid("whys", f"Keep each answer under {MAX_WHY_LENGTH} characters.")
    return whys


def _check_owner(field: str, owner: User | None, account: Account | None) -> None:
    if owner is None or not owner.is_active:
        raise _invalid(field, "Choose an active colleague.")
    if owner.is_read_only:
        raise _invalid(field, f"{owner} has a read-only role and cannot own improvement work.")
    if account is not None and not accounts_visible_to(owner).filter(pk=account.pk).exists():
        raise _invalid(field, f"{owner} does not see {account.name}; choose someone on the account.")


def _check_plan(actor: User, plan: ImprovementPlan, changed: Iterable[str]) -> None:
    changed = set(changed)
    plan.title, plan.problem, plan.root_cause = _text(plan.title), _text(plan.problem), _text(plan.root_cause)
    if not plan.title:
        raise _invalid("title", "Give the plan a title.")
    if not plan.problem:
        raise _invalid("problem", "Describe the problem: what went wrong, where and how often.")
    if plan.metric not in Metric.values:
        raise _invalid("metric", f"Choose one of {', '.join(Metric.values)}.")
    if plan.root_cause_category and plan.root_cause_category not in RootCause.values:
        raise _invalid("root_cause_category", f"Choose one of {', '.join(RootCause.values)}.")
    plan.whys = clean_whys(plan.whys)
    for name in ("before_days", "after_days"):
        days = getattr(plan, name)
        if not isinstance(days, int) or isinstance(days, bool) or not MIN_WINDOW_DAYS <= days <= MAX_WINDOW_DAYS:
            raise _invalid(name, f"Give a number of days from {MIN_WINDOW_DAYS} to {MAX_WINDOW_DAYS}.")
    if "account" in changed and plan.account_id is not None and not accounts_visible_to(actor).filter(pk=plan.account_id).exists():
        raise _invalid("account", "Choose an account in your portfolio.")
    if changed & {"owner", "account"}:
        _check_owner("owner", plan.owner if plan.owner_id else None, plan.account if plan.account_id else None)
    if "owner" in changed and plan.owner_id != actor.pk and not can_manage_plans(actor) and plan.pk is None:
        raise _invalid("owner", "Only operations managers, directors and admins open plans for someone else.")


def _check_source(actor: User, plan: ImprovementPlan) -> None:
    """The source reference fits the source kind, is visible to the actor and matches the account."""
    visible = sla_selectors.cases_visible_to(actor)
    if plan.source not in PlanSource.values:
        raise _invalid("source", f"Choose one of {', '.join(PlanSource.values)}.")
    if plan.source == PlanSource.BREACH:
        target = plan.source_target
        if target is None or not visible.filter(pk=target.case_id).exists():
            raise _invalid("source_target", "Choose the breached target of a case you see.")
        if target.status != clock.BREACHED:
            raise _invalid("source_target", "That target was not breached.")
        plan.source_case_id = target.case_id
    elif plan.source == PlanSource.ESCALATION:
        escalation = plan.source_escalation
        if escalation is None or not visible.filter(pk=escalation.case_id).exists():
            raise _invalid("source_escalation", "Choose an escalation of a case you see.")
        plan.source_case_id = escalation.case_id
    elif plan.source == PlanSource.LOW_ATTAINMENT:
        if plan.source_quarter is None:
            raise _invalid("source_quarter", "Give the quarter of low attainment.")
        plan.source_quarter = selectors.quarter_start(plan.source_quarter)
    if plan.source != PlanSource.BREACH:
        plan.source_target = None
    if plan.source != PlanSource.ESCALATION:
        plan.source_escalation = None
    if plan.source != PlanSource.LOW_ATTAINMENT:
        plan.source_quarter = None
    if plan.source in (PlanSource.LOW_ATTAINMENT, PlanSource.MANUAL):
        plan.source_case = None
    if plan.source_case_id is not None and plan.account_id is not None:
        case_account = Case.objects.filter(pk=plan.source_case_id).values_list("account_id", flat=True).first()
        if case_account != plan.account_id:
            raise _invalid("account", "The source case belongs to another account: choose that account, or none.")


def _check_links(actor: User, account_id: int | None, cases: Sequence[Case], orders: Sequence[Order]) -> None:
    case_ids = {c.pk for c in cases}
    if case_ids and sla_selectors.cases_visible_to(actor).filter(pk__in=case_ids).count() != len(case_ids):
        raise _invalid("cases", "Link only cases you see.")
    order_ids = {o.pk for o in orders}
    if order_ids and order_selectors.orders_visible_to(actor).filter(pk__in=order_ids).count() != len(order_ids):
        raise _invalid("orders", "Link only orders you see.")
    if account_id is not None:
        if any(c.account_id != account_id for c in cases):
            raise _invalid("cases", "Link cases of the plan's account.")
        if any(o.account_id != account_id for o in orders):
            raise _invalid("orders", "Link orders of the plan's account.")


def _snapshot(plan: ImprovementPlan) -> dict[str, Any]:
    data = audit.snapshot(plan, exclude=("version",))
    if plan.pk is not None:
        data["linked_cases"] = sorted(plan.linked_cases.values_list("number", flat=True))
        data["linked_orders"] = sorted(plan.linked_orders.values_list("number", flat=True))
    return data


def _next_number(year: int) -> str:
    prefix = f"IP-{year}-"
    last = ImprovementPlan.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True).first()
    return f"{prefix}{(int(last.removeprefix(prefix)) + 1) if last else 1:04d}"


def _url(plan: ImprovementPlan) -> str:
    return reverse("improvement:detail", args=[plan.public_id])


def _require_editor(actor: User, plan: ImprovementPlan) -> None:
    if not can_edit_plan(actor, plan):
        raise PermissionDenied("Only the plan's owner, operations managers, directors and admins change this plan.")


@transaction.atomic
def plan_create(
    *, actor: User, data: Mapping[str, Any], cases: Sequence[Case] = (), orders: Sequence[Order] = (), now: dt.datetime | None = None,
) -> ImprovementPlan:
    """Open a plan (on a visible account or portfolio-wide), from a source or by hand, with its links."""
    if not can_create_plan(actor):
        raise PermissionDenied("Your role is read-only: you cannot open improvement plans.")
    now = now or timezone.now()
    plan = ImprovementPlan(owner=actor, created_by=actor)
    values = {k: v for k, v in data.items() if k not in SOURCE_FIELDS}
    changed = apply_fields(plan, values, allowed=PLAN_FIELDS)
    apply_fields(plan, {k: v for k, v in data.items() if k in SOURCE_FIELDS}, allowed=SOURCE_FIELDS)
    _check_plan(actor, plan, {*changed, "owner", "account"})
    _check_source(actor, plan)
    _check_links(actor, plan.account_id, cases, orders)
    for attempt in range(5):
        plan.number = _next_number(now.year)
        full_clean_or_fail(plan, exclude=["public_id"])
        try:
            with transaction.atomic():
                plan.save()
            break
        except IntegrityError:
            plan.pk = None
            if attempt == 4:
                raise
    plan.linked_cases.set(cases)
    plan.linked_orders.set(orders)
    audit.record(actor=actor, action="create", instance=plan, before=None, after=_snapshot(plan), account_id=plan.account_id, now=now)
    if plan.owner_id != actor.pk:
        notify(users=[plan.owner], subject=f"{plan.number}: you own a new improvement plan", url=_url(plan), now=now,
               body=f"{actor} opened “{plan.title}” and made you its owner.")
    return plan


def _locked(plan: ImprovementPlan) -> ImprovementPlan:
    return ImprovementPlan.objects.select_for_update(of=("self",)).select_related("account", "owner").get(pk=plan.pk)


@transaction.atomic
def plan_update(
    *, actor: User, plan: ImprovementPlan, data: Mapping[str, Any], cases: Sequence[Case] | None = None,
    orders: Sequence[Order] | None = None, expected_version: int | None = None, now: dt.datetime | None = None,
) -> ImprovementPlan:
    """Change a plan's problem, root cause, five whys, metric, windows, owner or links; a stale version is refused."""
    _require_editor(actor, plan)
    plan = _locked(plan)
    check_version(plan, expected_version)
    now = now or timezone.now()
    before = _snapshot(plan)
    previous_owner = plan.owner_id
    changed = apply_fields(plan, data, allowed=PLAN_FIELDS)
    if "owner" in changed and not can_manage_plans(actor) and plan.owner_id != actor.pk:
        raise _invalid("owner", "Only operations managers, directors and admins hand a plan to someone else.")
    _check_plan(actor, plan, changed)
    if "account" in changed:
        _check_source(actor, plan)
    new_cases = list(plan.linked_cases.all()) if cases is None else list(cases)
    new_orders = list(plan.linked_orders.all()) if orders is None else list(orders)
    # Only what changes is checked: links made by someone who sees more stay when another edits the text.
    old_case_ids = set(plan.linked_cases.values_list("pk", flat=True))
    old_order_ids = set(plan.linked_orders.values_list("pk", flat=True))
    _check_links(actor, None, [c for c in new_cases if c.pk not in old_case_ids], [o for o in new_orders if o.pk not in old_order_ids])
    _check_links_account(plan, new_cases, new_orders)
    full_clean_or_fail(plan)
    if cases is not None:
        plan.linked_cases.set(new_cases)
    if orders is not None:
        plan.linked_orders.set(new_orders)
    after = _snapshot(plan)
    if after == before:
        return plan
    plan.version += 1
    plan.save()
    audit.record(actor=actor, action="update", instance=plan, before=before, after=_snapshot(plan), account_id=plan.account_id, now=now)
    if plan.owner_id != previous_owner and plan.owner_id != actor.pk:
        notify(users=[plan.owner], subject=f"{plan.number}: you now own this improvement plan", url=_url(plan), now=now,
               body=f"{actor} handed “{plan.title}” to you.")
    return plan


def _check_links_account(plan: ImprovementPlan, cases: Sequence[Case], orders: Sequence[Order]) -> None:
    if plan.account_id is None:
        return
    if any(c.account_id != plan.account_id for c in cases):
        raise _invalid("cases", "Link cases of the plan's account.")
    if any(o.account_id != plan.account_id for o in orders):
        raise _invalid("orders", "Link orders of the plan's account.")


@transaction.atomic
def plan_link(
    *, actor: User, plan: ImprovementPlan, case: Case | None = None, order: Order | None = None, unlink: bool = False,
    now: dt.datetime | None = None,
) -> ImprovementPlan:
    """Link (or unlink) one case or order the actor sees."""
    _require_editor(actor, plan)
    cases, orders = list(plan.linked_cases.all()), list(plan.linked_orders.all())
    if case is not None:
        cases = [c for c in cases if c.pk != case.pk] + ([] if unlink else [case])
    if order is not None:
        orders = [o for o in orders if o.pk != order.pk] + ([] if unlink else [order])
    return plan_update(actor=actor, plan=plan, data={}, cases=cases, orders=orders, now=now)


@transaction.atomic
def plan_change_status(
    *, actor: User, plan: ImprovementPlan, status: str, note: str = "", expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ImprovementPlan:
    """Move a plan through its workflow: open, actions in progress, verifying, closed effective or not; reopen.

    Verifying needs every action finished (done or cancelled) and one done. Closing against what the
    effectiveness check says (effective when it did not improve, not effective when it did) needs a
    note; reopening needs a reason.
    """
    _require_editor(actor, plan)
    plan = _locked(plan)
    check_version(plan, expected_version)
    now = now or timezone.now()
    note = _text(note)
    if status not in PlanStatus.values:
        raise _invalid("status", f"Choose one of {', '.join(PlanStatus.values)}.")
    if status == plan.status:
        return plan
    if status not in PLAN_TRANSITIONS[plan.status]:
        allowed = ", ".join(PlanStatus(s).label.lower() for s in PLAN_TRANSITIONS[plan.status])
        raise _invalid("status", f"From “{plan.get_status_display().lower()}” a plan moves to: {allowed}.")
    counts = {s: 0 for s in ActionStatus.values}
    for s in plan.actions.values_list("status", flat=True):
        counts[s] += 1
    pending = sum(counts[s] for s in PENDING_ACTION_STATUSES)
    if status == PlanStatus.VERIFYING:
        if pending:
            raise _invalid("status", f"Finish or cancel the {pending} open action{'s' if pending != 1 else ''} before verifying.")
        if not counts[ActionStatus.DONE]:
            raise _invalid("status", "Complete at least one action before verifying its effect.")
    closing = status in (PlanStatus.CLOSED_EFFECTIVE, PlanStatus.CLOSED_NOT_EFFECTIVE)
    if closing:
        verdict = selectors.effectiveness(plan, user=actor, today=timezone.localdate(now)).assessment.verdict
        disagrees = (status == PlanStatus.CLOSED_EFFECTIVE and verdict != engine.IMPROVED) or (
            status == PlanStatus.CLOSED_NOT_EFFECTIVE and verdict == engine.IMPROVED
        )
        if disagrees and not note:
            label = engine.VERDICT_LABELS[verdict].lower()
            raise _invalid("note", f"The effectiveness check says “{label}”: say why you close the plan this way.")
    if plan.is_closed and not note:
        raise _invalid("note", "Say why the plan is reopened.")
    before = {"status": plan.status}
    if closing:
        plan.closed_on, plan.closing_note = timezone.localdate(now), note
    elif plan.is_closed:
        plan.closed_on, plan.closing_note = None, ""
    plan.status = status
    plan.version += 1
    plan.save()
    audit.record(actor=actor, action="status", instance=plan, before=before, after={"status": status, "note": note},
                 account_id=plan.account_id, now=now)
    if plan.owner_id != actor.pk:
        notify(users=[plan.owner], subject=f"{plan.number}: {plan.get_status_display().lower()}", url=_url(plan), now=now,
               body=f"{actor} moved “{plan.title}” to {plan.get_status_display().lower()}.{f' {note}' if note else ''}")
    return plan


# Actions ---------------------------------------------------------------------------------------


def _check_action(action: ImprovementAction, plan: ImprovementPlan, changed: set[str], today: dt.date) -> None:
    action.description = _text(action.description)
    if not action.description:
        raise _invalid("description", "Say what will be done.")
    if action.kind not in ActionKind.values:
        raise _invalid("kind", f"Choose one of {', '.join(ActionKind.values)}.")
    if action.status not in ActionStatus.values:
        raise _invalid("status", f"Choose one of {', '.join(ActionStatus.values)}.")
    if not isinstance(action.due_on, dt.date):
        raise _invalid("due_on", "Give the due date.")
    if "owner" in changed:
        _check_owner("owner", action.owner if action.owner_id else None, plan.account)
    if action.status == ActionStatus.DONE:
        if action.completed_on is None:
            action.completed_on = today
        if action.completed_on > today:
            raise _invalid("completed_on", "An action cannot be completed in the future.")
    elif "completed_on" in changed and action.completed_on is not None:
        raise _invalid("completed_on", "Only a done action has a completion date.")
    else:
        action.completed_on = None


def _open_for_actions(plan: ImprovementPlan) -> None:
    if plan.is_closed:
        raise PlanStateError("The plan is closed: reopen it to change its actions.")


@transaction.atomic
def action_create(*, actor: User, plan: ImprovementPlan, data: Mapping[str, Any], now: dt.datetime | None = None) -> ImprovementAction:
    """Add a corrective or preventive action with an owner and a due date; an open plan moves to
    "actions in progress"."""
    _require_editor(actor, plan)
    plan = _locked(plan)
    _open_for_actions(plan)
    now = now or timezone.now()
    action = ImprovementAction(plan=plan, owner=actor)
    changed = set(apply_fields(action, data, allowed=ACTION_FIELDS)) | {"owner"}
    _check_action(action, plan, changed, timezone.localdate(now))
    full_clean_or_fail(action, exclude=["public_id"])
    action.save()
    audit.record(actor=actor, action="create", instance=action, before=None, after=audit.snapshot(action, exclude=("version",)),
                 account_id=plan.account_id, now=now)
    if plan.status == PlanStatus.OPEN:
        plan.status = PlanStatus.IN_PROGRESS
        plan.version += 1
        plan.save(update_fields=["status", "version", "updated_at"])
        audit.record(actor=actor, action="status", instance=plan, before={"status": PlanStatus.OPEN},
                     after={"status": PlanStatus.IN_PROGRESS, "note": "First action added."}, account_id=plan.account_id, now=now)
    if action.owner_id != actor.pk:
        notify(users=[action.owner], subject=f"{plan.number}: an action for you, due {action.due_on:%d %b %Y}", url=_url(plan), now=now,
               body=f"{actor} gave you a {action.get_kind_display().lower()} action on “{plan.title}”: {action.description}")
    return action


@transaction.atomic
def action_update(
    *, actor: User, action: ImprovementAction, data: Mapping[str, Any], expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ImprovementAction:
    """Change an action (its owner may update their own); done records the completion date (today unless given)."""
    plan = action.plan
    if not can_update_action(actor, action):
        raise PermissionDenied("Only the plan's editors and the action's owner change this action.")
    action = ImprovementAction.objects.select_for_update(of=("self",)).select_related("plan__account", "owner").get(pk=action.pk)
    check_version(action, expected_version)
    _open_for_actions(plan)
    if not can_edit_plan(actor, plan) and set(data) - {"status", "completed_on"}:
        raise PermissionDenied("As the action's owner you update its status; the plan's editors change the rest.")
    now = now or timezone.now()
    before = audit.snapshot(action, exclude=("version",))
    previous_owner = action.owner_id
    changed = set(apply_fields(action, data, allowed=ACTION_FIELDS))
    if "status" in changed and action.status != ActionStatus.DONE and "completed_on" not in changed:
        action.completed_on = None
    _check_action(action, plan, changed, timezone.localdate(now))
    after = audit.snapshot(action, exclude=("version",))
    if after == before:
        return action
    full_clean_or_fail(action)
    action.version += 1
    action.save()
    audit.record(actor=actor, action="update", instance=action, before=before, after=after, account_id=plan.account_id, now=now)
    if action.owner_id != previous_owner and action.owner_id != actor.pk:
        notify(users=[action.owner], subject=f"{plan.number}: an action for you, due {action.due_on:%d %b %Y}", url=_url(plan), now=now,
               body=f"{actor} handed you a {action.get_kind_display().lower()} action on “{plan.title}”: {action.description}")
    return action
