"""Reads about improvement plans: which a user sees, overdue actions, and the effectiveness check.

A plan on an account is visible to whoever sees the account (`accounts_visible_to`); a portfolio-wide
plan (no account) to its owner, its creator and everyone above them in the reporting line, and to
those who see every account. The effectiveness figures are counted in the database (SLA case targets
by the date they were decided, delivered orders by their delivery date), per day, over the records
the *viewer* sees, then folded into windows and weeks by the pure engine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet

from steward.accounts.models import Account
from steward.accounts.selectors import accounts_visible_to, sees_every_account
from steward.core.errors import NotFound, ValidationFailed
from steward.improvement.choices import (
    ACTIVE_PLAN_STATUSES,
    PENDING_ACTION_STATUSES,
    Metric,
    PlanSource,
)
from steward.improvement.engine import effectiveness as engine
from steward.improvement.models import ImprovementAction, ImprovementPlan
from steward.orders import selectors as order_selectors
from steward.orders.choices import OrderStatus
from steward.orders.engine import otif
from steward.orders.models import Order
from steward.sla import selectors as sla_selectors
from steward.sla.engine import clock
from steward.sla.models import Case, CaseEscalation, CaseTarget
from steward.users.choices import Role
from steward.users.models import User
from steward.users.selectors import in_scope_q


def plans_visible_to(user: Any) -> QuerySet[ImprovementPlan]:
    """Plans of the accounts the user sees, and portfolio-wide plans of people in the user's scope."""
    if not user.is_authenticated or not user.is_active:
        return ImprovementPlan.objects.none()
    if sees_every_account(user):
        return ImprovementPlan.objects.all()
    if user.role == Role.SPONSOR:
        return ImprovementPlan.objects.filter(account__in=accounts_visible_to(user))
    portfolio = Q(account__isnull=True) & (in_scope_q(user, "owner_id") | in_scope_q(user, "created_by_id"))
    return ImprovementPlan.objects.filter(Q(account__in=accounts_visible_to(user)) | portfolio)


def overdue_q(today: dt.date, prefix: str = "") -> Q:
    """Actions still open or in progress whose due date has passed."""
    return Q(**{f"{prefix}status__in": list(PENDING_ACTION_STATUSES), f"{prefix}due_on__lt": today})


def plan_list(user: Any, *, today: dt.date) -> QuerySet[ImprovementPlan]:
    """Visible plans with their action counts (open, overdue, done), for lists and the API."""
    return plans_visible_to(user).select_related("account", "owner").annotate(
        action_count=Count("actions", distinct=True),
        pending_actions=Count("actions", filter=Q(actions__status__in=list(PENDING_ACTION_STATUSES)), distinct=True),
        overdue_actions=Count("actions", filter=overdue_q(today, "actions__"), distinct=True),
    )


def plan_get(*, user: Any, public_id: Any) -> ImprovementPlan:
    """One visible plan with what its page shows, or NotFound (also for someone else's)."""
    try:
        return (
            plans_visible_to(user)
            .select_related("account", "owner", "created_by", "source_case", "source_target", "source_escalation__case")
            .get(public_id=public_id)
        )
    except (ImprovementPlan.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("No such improvement plan.") from exc


def plan_actions(plan: ImprovementPlan) -> list[ImprovementAction]:
    """The plan's actions, corrective first, soonest due first."""
    return list(plan.actions.select_related("owner").order_by("kind", "due_on", "id"))


def action_get(*, user: Any, plan: ImprovementPlan, public_id: Any) -> ImprovementAction:
    """One action of a visible plan, or NotFound."""
    try:
        return plan.actions.select_related("owner", "plan").get(public_id=public_id)
    except (ImprovementAction.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("No such action.") from exc


def linked_cases(plan: ImprovementPlan, user: Any) -> QuerySet[Case]:
    """The plan's linked cases the viewer sees (a portfolio plan may link cases outside the viewer's accounts)."""
    return sla_selectors.cases_visible_to(user).filter(improvement_plans=plan).select_related("account").order_by("-opened_at")


def linked_orders(plan: ImprovementPlan, user: Any) -> QuerySet[Order]:
    """The plan's linked orders the viewer sees."""
    return order_selectors.orders_visible_to(user).filter(improvement_plans=plan).select_related("account").order_by("-ordered_on")


def links_hidden_from(plan: ImprovementPlan, user: Any) -> tuple[list[Case], list[Order]]:
    """The plan's linked cases and orders the user does not see: an edit by them keeps these as they are."""
    cases = plan.linked_cases.exclude(pk__in=sla_selectors.cases_visible_to(user).values("pk"))
    orders = plan.linked_orders.exclude(pk__in=order_selectors.orders_visible_to(user).values("pk"))
    return list(cases), list(orders)


def my_overdue_actions(user: Any, *, today: dt.date, limit: int = 8) -> tuple[list[ImprovementAction], int]:
    """The user's own overdue actions (oldest due first, up to `limit`) and how many there are."""
    qs = ImprovementAction.objects.filter(overdue_q(today), owner=user)
    return list(qs.select_related("plan__account").order_by("due_on", "id")[:limit]), qs.count()


def account_open_plans(account: Account, user: Any, *, today: dt.date) -> QuerySet[ImprovementPlan]:
    """Plans of one account that are not closed, with their overdue action counts."""
    return plan_list(user, today=today).filter(account=account, status__in=list(ACTIVE_PLAN_STATUSES)).order_by("-created_at")


# Effectiveness ---------------------------------------------------------------------------------


def change_date(plan: ImprovementPlan) -> dt.date:
    """The plan's change date, or its default: the last completed action, else the day it was created."""
    if plan.change_date is not None:
        return plan.change_date
    done = plan.actions.filter(completed_on__isnull=False).values_list("completed_on", flat=True)
    return engine.default_change_date(plan.created_at.date(), done)


def daily_counts(*, user: Any, metric: str, start: dt.date, end: dt.date, account: Account | None) -> dict[dt.date, engine.Counts]:
    """Met and breached per day in [start, end), counted in the database over what the user sees:
    case targets of the metric's kind by `decided_on`, or delivered orders by `delivered_on` (OTIF)."""
    found: dict[dt.date, engine.Counts] = {}
    if metric == Metric.OTIF:
        orders = order_selectors.orders_visible_to(user).filter(
            status=OrderStatus.DELIVERED, delivered_on__gte=start, delivered_on__lt=end
        )
        if account is not None:
            orders = orders.filter(account=account)
        for row in (
            orders.values("delivered_on")
            .annotate(n=Count("*"), good=Count("status", filter=Q(is_on_time=True, is_in_full=True)))  # counted columns in the index: read from it alone
            .order_by()
        ):
            found[_day(row["delivered_on"])] = engine.Counts(row["good"], row["n"] - row["good"])
        return found
    targets = CaseTarget.objects.filter(name=metric, decided_on__gte=start, decided_on__lt=end, status__in=[clock.MET, clock.BREACHED])
    if account is not None:  # the plan is visible, so its account is
        targets = targets.filter(account=account)
    elif not sees_every_account(user):  # a case is visible with its account; target states carry it
        targets = targets.filter(account__in=accounts_visible_to(user))
    for decided in (
        targets.values("decided_on")
        .annotate(met=Count("status", filter=Q(status=clock.MET)), breached=Count("status", filter=Q(status=clock.BREACHED)))
        .order_by()
    ):
        found[_day(decided["decided_on"])] = engine.Counts(decided["met"], decided["breached"])
    return found


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Effectiveness:
    """The plan's effectiveness check as pages and the API show it."""

    metric: str
    metric_label: str
    scope: str
    windows: engine.Windows
    change_date_is_default: bool
    assessment: engine.Assessment
    weeks: list[engine.Bucket]


def effectiveness(plan: ImprovementPlan, *, user: Any, today: dt.date) -> Effectiveness:
    """Before and after the change date: attainment of the plan's metric, the verdict, and weekly points."""
    windows = engine.Windows.around(change_date(plan), before_days=plan.before_days, after_days=plan.after_days)
    days = daily_counts(user=user, metric=plan.metric, start=windows.before_start, end=windows.after_end, account=plan.account)
    before = [c for d, c in days.items() if d < windows.change]
    after = [c for d, c in days.items() if d >= windows.change]
    return Effectiveness(
        metric=plan.metric, metric_label=Metric(plan.metric).label,
        scope=plan.account.name if plan.account_id and plan.account else "the portfolio you see",
        windows=windows, change_date_is_default=plan.change_date is None,
        assessment=engine.assess(before=before, after=after, windows=windows, today=today),
        weeks=engine.weekly(days, windows),
    )


BEFORE_COLOR, AFTER_COLOR = "#64748b", "#0f8a5f"


def effectiveness_chart(result: Effectiveness) -> dict[str, Any]:
    """A line for the weeks before the change and one for the weeks after (the change date is where
    they meet, and its week is labelled), with each window's overall attainment as a dashed level."""
    labels, before, after = [], [], []
    for b in result.weeks:
        mark = " ▲ change" if b.start == result.windows.change else ""
        labels.append(f"{b.start:%d %b}{mark}")
        pct = float(b.counts.pct) if b.counts.pct is not None else None
        before.append(None if b.after else pct)
        after.append(pct if b.after else None)
    a = result.assessment
    level_before = [float(a.before.pct) if a.before.pct is not None and not b.after else None for b in result.weeks]
    level_after = [float(a.after.pct) if a.after.pct is not None and b.after else None for b in result.weeks]
    return {
        "type": "line",
        "labels": labels,
        "datasets": [
            {"label": "Before the change %", "data": before, "borderColor": BEFORE_COLOR, "backgroundColor": BEFORE_COLOR, "spanGaps": True},
            {"label": "After the change %", "data": after, "borderColor": AFTER_COLOR, "backgroundColor": AFTER_COLOR, "spanGaps": True},
            {"label": "Before, whole window %", "data": level_before, "borderColor": BEFORE_COLOR, "borderDash": [6, 4], "pointRadius": 0, "borderWidth": 1},
            {"label": "After, whole window %", "data": level_after, "borderColor": AFTER_COLOR, "borderDash": [6, 4], "pointRadius": 0, "borderWidth": 1},
        ],
    }


# Prefill from a source -------------------------------------------------------------------------

TARGET_METRICS = {"first_response": Metric.FIRST_RESPONSE, "next_response": Metric.NEXT_RESPONSE, "resolution": Metric.RESOLUTION}


@dataclass
class Prefill:
    """What a new plan starts with when it is opened from a breach, an escalation or a quarter."""

    initial: dict[str, Any]
    cases: list[Case]
    source_label: str = ""


def prefill(
    *, user: Any, case: Any = None, target: str | None = None, escalation: Any = None,
    account: Any = None, quarter: Any = None, metric: str | None = None,
) -> Prefill:
    """The new-plan form's starting values from a case's breached target, an escalation, or an account
    (or the portfolio) and a quarter of low attainment; what the user cannot see is NotFound."""
    if escalation:
        found = _escalation(user, escalation)
        c = found.case
        return Prefill(
            {"title": f"Escalation of {c.number} to {found.get_to_level_display()}", "account": c.account,
             "problem": f"{c.number} ({c.subject}) was escalated from {found.get_from_level_display()} to "
                        f"{found.get_to_level_display()} on {found.at:%d %b %Y}: {found.reason}",
             "source": PlanSource.ESCALATION, "source_escalation": found, "source_case": c, "metric": Metric.RESOLUTION},
            [c], f"Escalation of {c.number}",
        )
    if case:
        c = sla_selectors.case_get(user=user, public_id=case)
        targets = {t.name: t for t in c.sla_targets.all()}
        chosen = targets.get(target or "") if target else next((t for t in targets.values() if t.status == clock.BREACHED), None)
        if chosen is None or chosen.status != clock.BREACHED:
            raise NotFound("That target of the case was not breached.")
        label = chosen.get_name_display()
        return Prefill(
            {"title": f"{label} breached on {c.number}", "account": c.account,
             "problem": f"{label} target of {c.number} ({c.subject}, {c.get_priority_display().lower()} priority) "
                        f"was breached{f' on {chosen.breached_at:%d %b %Y %H:%M} UTC' if chosen.breached_at else ''}.",
             "source": PlanSource.BREACH, "source_target": chosen, "source_case": c, "metric": TARGET_METRICS[chosen.name]},
            [c], f"{label} breach of {c.number}",
        )
    if quarter:
        try:
            start = quarter_start(quarter)
        except ValueError:
            raise ValidationFailed("quarter: give the quarter's first day, e.g. 2026-07-01.", field_errors={"quarter": ["Give a date like 2026-07-01."]}) from None
        found_account = _account(user, account) if account else None
        chosen_metric = metric if metric in Metric.values else (Metric.OTIF if metric == "delivery" else Metric.RESOLUTION)
        where = found_account.name if found_account else "the portfolio"
        label = Metric(chosen_metric).label
        return Prefill(
            {"title": f"Low {label.lower()} at {where}, {_quarter_label(start)}", "account": found_account,
             "problem": f"{label} at {where} fell below goal in {_quarter_label(start)}.",
             "source": PlanSource.LOW_ATTAINMENT, "source_quarter": start, "metric": chosen_metric},
            [], f"{label}, {_quarter_label(start)}",
        )
    initial: dict[str, Any] = {"source": PlanSource.MANUAL}
    if account:
        initial["account"] = _account(user, account)
    if metric in Metric.values:
        initial["metric"] = metric
    return Prefill(initial, [])


def _escalation(user: Any, escalation: Any) -> CaseEscalation:
    try:
        return CaseEscalation.objects.select_related("case__account").get(
            pk=int(escalation), case__in=sla_selectors.cases_visible_to(user)
        )
    except (CaseEscalation.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such escalation.") from exc


def _account(user: Any, ref: Any) -> Account:
    """A visible account by public id or by id (the attainment report's rows carry ids)."""
    qs = accounts_visible_to(user)
    try:
        found = qs.filter(pk=int(ref)).first() if str(ref).isdigit() else qs.filter(public_id=ref).first()
    except (ValueError, ValidationError):
        found = None
    if found is None:
        raise NotFound("No such account.")
    return found


def quarter_start(value: Any) -> dt.date:
    """The first day of the quarter of a date (or ISO text); ValueError when it is no date."""
    return otif.quarter_start(value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10]))


def _quarter_label(start: dt.date) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def people_for(user: Any) -> QuerySet[User]:
    """Who may own a plan or an action: active users."""
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
