"""Reads of the pipeline. Every list, board and report starts from the accounts the user may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum

from steward.accounts.engine import money
from steward.accounts.models import Account
from steward.accounts.selectors import (
    accounts_visible_to,
    exchange_rates,
    sees_every_account,
    sees_everything,
)
from steward.core.dbfunctions import MonthStart, QuarterStart
from steward.core.errors import NotFound
from steward.core.models import AuditEvent
from steward.pipeline.choices import StageOutcome
from steward.pipeline.engine import rollup
from steward.pipeline.engine.periods import period_end, period_label, period_start
from steward.pipeline.models import Opportunity, OpportunityStage, Quota
from steward.users.choices import Role
from steward.users.models import Team, User
from steward.users.selectors import in_scope_q, user_ids_in_scope

OPPORTUNITY_SORTS = {
    "close": ("close_date", "id"), "-close": ("-close_date", "-id"),
    "name": ("name", "id"), "-name": ("-name", "-id"),
    "amount": ("amount", "id"), "-amount": ("-amount", "-id"),
    "stage": ("stage__position", "close_date", "id"), "-stage": ("-stage__position", "close_date", "id"),
    "account": ("account__name", "id"), "-account": ("-account__name", "-id"),
    "owner": ("owner__last_name", "owner__first_name", "id"), "-owner": ("-owner__last_name", "-owner__first_name", "id"),
}
STATUSES = ("open", "won", "lost")


def stages(*, active_only: bool = False) -> list[OpportunityStage]:
    """Every stage in board order (the active ones only when asked)."""
    qs = OpportunityStage.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs.order_by("position", "name"))


def open_stages() -> list[OpportunityStage]:
    """The columns of the board: active open stages, left to right."""
    return list(OpportunityStage.objects.filter(is_active=True, outcome=StageOutcome.OPEN).order_by("position", "name"))


def stage_get(*, public_id: Any) -> OpportunityStage:
    """One stage by public id, or NotFound."""
    try:
        return OpportunityStage.objects.get(public_id=public_id)
    except (OpportunityStage.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise NotFound("No such stage.") from exc


def opportunities_visible_to(user: User) -> QuerySet[Opportunity]:
    """Opportunities of the accounts the user may see."""
    if sees_every_account(user):
        return Opportunity.objects.all()  # the user sees every account: no filter to apply
    return Opportunity.objects.filter(account_id__in=accounts_visible_to(user).values("pk"))


def opportunity_get(*, user: User, public_id: Any) -> Opportunity:
    """One visible opportunity with what its page shows, or NotFound (also for others')."""
    try:
        return (
            opportunities_visible_to(user)
            .select_related("account", "account__tier", "stage", "owner", "created_by")
            .get(public_id=public_id)
        )
    except (Opportunity.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise NotFound("No such opportunity.") from exc


@dataclass(frozen=True)
class OpportunityFilters:
    """What the opportunity list can be narrowed by."""

    q: str = ""
    owner: str = ""
    stage: str = ""
    type: str = ""
    status: str = ""
    close_from: dt.date | None = None
    close_to: dt.date | None = None
    account: Any = None


def status_q(status: str) -> Q:
    """Open, won or lost by the stage's outcome."""
    return Q(stage__outcome={"open": StageOutcome.OPEN, "won": StageOutcome.WON, "lost": StageOutcome.LOST}[status])


def opportunity_list(*, user: User, filters: OpportunityFilters, sort: str = "close") -> QuerySet[Opportunity]:
    """Visible opportunities narrowed by `filters`, sorted, with what a row shows."""
    qs = opportunities_visible_to(user)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(account__name__icontains=term))
    if filters.owner:
        qs = qs.filter(owner__username=filters.owner)
    if filters.stage:
        qs = qs.filter(stage__public_id=filters.stage) if _is_uuid(filters.stage) else qs.filter(stage__name__iexact=filters.stage)
    if filters.type:
        qs = qs.filter(type=filters.type)
    if filters.status in STATUSES:
        qs = qs.filter(status_q(filters.status))
    if filters.close_from:
        qs = qs.filter(close_date__gte=filters.close_from)
    if filters.close_to:
        qs = qs.filter(close_date__lte=filters.close_to)
    if filters.account is not None:
        qs = qs.filter(account=filters.account)
    return qs.select_related("account", "stage", "owner").order_by(*OPPORTUNITY_SORTS.get(sort, OPPORTUNITY_SORTS["close"]))


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def opportunity_history(opportunity: Opportunity, *, limit: int = 50) -> list[AuditEvent]:
    """The opportunity's audit events, newest first."""
    return list(
        AuditEvent.objects.filter(object_type="pipeline.opportunity", object_id=str(opportunity.public_id))
        .select_related("actor")
        .order_by("-id")[:limit]
    )


def account_opportunity_count(account: Account, user: User) -> int:
    """Open opportunities of an account, for its 360 tab."""
    return Opportunity.objects.filter(account_id=account.pk, stage__outcome=StageOutcome.OPEN).count()


# Owner scope: the board, report and panels narrow by whose opportunities -------------------------


@dataclass(frozen=True)
class OwnerScope:
    """Whose opportunities an aggregate counts: everyone, a person's reporting line, or a team."""

    key: str  # "all", "mine", "team", "user:<username>", "squad:<team public id>"
    label: str
    q: Q | None  # None: no owner filter


def owner_scopes(user: User) -> list[OwnerScope]:
    """The choices of the owner/team filter for this user; the first is the default."""
    scopes: list[OwnerScope] = []
    if sees_everything(user):
        scopes.append(OwnerScope("all", "Everyone", None))
    in_scope = user_ids_in_scope(user) if user.is_authenticated else frozenset()
    if len(in_scope) > 1:
        scopes.append(OwnerScope("team", "My team (everyone reporting to me)", in_scope_q(user, "owner_id")))
    scopes.append(OwnerScope("mine", "Mine", Q(owner_id=user.pk)))
    if user.role in (Role.DIRECTOR, Role.ADMIN) or user.is_superuser:
        team_qs = Team.objects.order_by("name")
        if not user.is_admin_role:
            team_qs = team_qs.filter(Q(lead_id__in=in_scope) | Q(members__id__in=in_scope)).distinct()
        teams = list(team_qs)
        by_team: dict[int, set[int]] = {}
        for team_id, uid in User.objects.filter(team__in=[t.pk for t in teams]).values_list("team_id", "id"):
            by_team.setdefault(team_id, set()).add(uid)
        for team in teams:
            members = by_team.get(team.pk, set()) | ({team.lead_id} if team.lead_id else set())
            if not user.is_admin_role:
                members &= in_scope
            scopes.append(OwnerScope(f"squad:{team.public_id}", f"Team {team.name}", Q(owner_id__in=sorted(members))))
    people = User.objects.filter(id__in=in_scope).exclude(pk=user.pk) if not user.is_admin_role else User.objects.filter(is_active=True)
    if len(in_scope) > 1 or user.is_admin_role:
        for username, first, last in people.filter(role__in=[Role.MANAGER, Role.EXECUTIVE, Role.DIRECTOR]).order_by("first_name", "last_name").values_list("username", "first_name", "last_name")[:500]:
            scopes.append(OwnerScope(f"user:{username}", f"{first} {last}".strip() or username, Q(owner__username=username)))
    return scopes


def owner_scope(user: User, key: str | None) -> OwnerScope:
    """The scope named by `key`, or the user's default."""
    scopes = owner_scopes(user)
    return next((s for s in scopes if s.key == key), scopes[0])


def _scoped(user: User, scope: OwnerScope) -> QuerySet[Opportunity]:
    qs = opportunities_visible_to(user)
    return qs.filter(scope.q) if scope.q is not None else qs


# The board -------------------------------------------------------------------------------------


@dataclass
class BoardColumn:
    stage: OpportunityStage
    count: int
    total: money.Converted
    weighted: money.Converted
    cards: list[Opportunity]


@dataclass
class Board:
    columns: list[BoardColumn]
    total: money.Converted
    weighted: money.Converted
    count: int
    stages: list[OpportunityStage] = field(default_factory=list)


def _weighted(per_currency: dict[str, Decimal], probability: int) -> dict[str, Decimal]:
    return {c: v * probability / 100 for c, v in per_currency.items()}


def pipeline_board(*, user: User, scope: OwnerScope, cards_per_column: int = 12) -> Board:
    """Open opportunities per open stage: count, total and weighted total, the soonest to close as cards."""
    columns_stages = open_stages()
    rates, target = exchange_rates(), settings.REPORTING_CURRENCY
    # Stage ids rather than a join on the stage's outcome: the (stage, close date) index serves it.
    qs = _scoped(user, scope).filter(stage_id__in=[s.pk for s in columns_stages])
    sums: dict[int, dict[str, Decimal]] = {}
    counts: dict[int, int] = {}
    for row in qs.values("stage_id", "currency").annotate(n=Count("id"), total=Sum("amount")).order_by():
        sums.setdefault(row["stage_id"], {})[row["currency"]] = row["total"] or Decimal(0)
        counts[row["stage_id"]] = counts.get(row["stage_id"], 0) + row["n"]
    columns = []
    all_total: dict[str, Decimal] = {}
    all_weighted: dict[str, Decimal] = {}
    for stage in columns_stages:
        per = sums.get(stage.pk, {})
        weighted = _weighted(per, stage.probability)
        for c, v in per.items():
            all_total[c] = all_total.get(c, Decimal(0)) + v
            all_weighted[c] = all_weighted.get(c, Decimal(0)) + weighted[c]
        cards = list(qs.filter(stage_id=stage.pk).select_related("account", "owner").order_by("close_date", "id")[:cards_per_column]) if counts.get(stage.pk) else []
        columns.append(BoardColumn(stage, counts.get(stage.pk, 0), money.convert_sum(per, rates=rates, target=target),
                                   money.convert_sum(weighted, rates=rates, target=target), cards))
    return Board(columns, money.convert_sum(all_total, rates=rates, target=target), money.convert_sum(all_weighted, rates=rates, target=target),
                 sum(counts.values()), stages(active_only=True))


# Weighted pipeline report ---------------------------------------------------------------------


@dataclass
class WeightedRow:
    key: Any
    label: str
    count: int
    amount: Decimal
    weighted: Decimal
    by_stage: dict[int, Decimal] = field(default_factory=dict)  # weighted, per stage id


@dataclass
class WeightedReport:
    currency: str
    periods: list[WeightedRow]
    owners: list[WeightedRow]
    stages: list[OpportunityStage]
    total: WeightedRow
    unconverted: dict[str, Decimal]


def weighted_pipeline(*, user: User, scope: OwnerScope, group: str = "quarter") -> WeightedReport:
    """Open pipeline times stage probability, in the reporting currency, by close month/quarter and by owner."""
    rates, target = exchange_rates(), settings.REPORTING_CURRENCY
    open_ = {s.pk: s for s in open_stages()}
    qs = _scoped(user, scope).filter(stage_id__in=list(open_))
    trunc = MonthStart("close_date") if group == "month" else QuarterStart("close_date")
    unconverted: dict[str, Decimal] = {}

    def convert(value: Decimal, currency: str) -> Decimal | None:
        if currency == target:
            return value
        if currency in rates:
            return value * rates[currency]
        unconverted[currency] = unconverted.get(currency, Decimal(0)) + value
        return None

    def rows(values: QuerySet, key_name: str) -> dict[Any, WeightedRow]:
        out: dict[Any, WeightedRow] = {}
        for r in values:
            stage = open_.get(r["stage_id"])
            amount = convert(r["total"] or Decimal(0), r["currency"])
            if stage is None or amount is None:
                continue
            row = out.setdefault(r[key_name], WeightedRow(r[key_name], "", 0, Decimal(0), Decimal(0)))
            weighted = amount * stage.probability / 100
            row.count += r["n"]
            row.amount += amount
            row.weighted += weighted
            row.by_stage[stage.pk] = row.by_stage.get(stage.pk, Decimal(0)) + weighted
        return out

    by_period = rows(qs.annotate(period=trunc).values("period", "stage_id", "currency").annotate(n=Count("id"), total=Sum("amount")).order_by(), "period")
    unconverted_periods = dict(unconverted)
    by_owner = rows(qs.values("owner_id", "stage_id", "currency").annotate(n=Count("id"), total=Sum("amount")).order_by(), "owner_id")
    unconverted = unconverted_periods  # the same rows again: count what had no rate once
    periods = []
    for key in sorted(by_period):
        row = by_period[key]
        day = key.date() if isinstance(key, dt.datetime) else key
        row.label = period_label("month" if group == "month" else "quarter", day)
        periods.append(row)
    names = {u.pk: u for u in User.objects.filter(pk__in=list(by_owner))}
    owners = sorted(by_owner.values(), key=lambda r: -r.weighted)
    for row in owners:
        row.label = str(names.get(row.key, "—"))
    total = WeightedRow("total", "Total", sum(r.count for r in periods), sum((r.amount for r in periods), Decimal(0)), sum((r.weighted for r in periods), Decimal(0)))
    return WeightedReport(target, periods, owners, list(open_.values()), total, unconverted)


# Quotas and attainment ------------------------------------------------------------------------


def quotas_visible_to(user: User) -> QuerySet[Quota]:
    """Quotas of the people in the user's scope (everyone's for admins and finance)."""
    if sees_everything(user):
        return Quota.objects.all()
    if not user.is_authenticated or not user.is_active or user.role == Role.SPONSOR:
        return Quota.objects.none()
    return Quota.objects.filter(user_id__in=sorted(user_ids_in_scope(user)))


def quota_get(*, user: User, public_id: Any) -> Quota:
    """One visible quota, or NotFound."""
    try:
        return quotas_visible_to(user).select_related("user").get(public_id=public_id)
    except (Quota.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise NotFound("No such quota.") from exc


@dataclass
class AttainmentRow:
    person: User
    figures: rollup.Attainment


@dataclass
class AttainmentReport:
    kind: str
    start: dt.date
    end: dt.date
    label: str
    currency: str
    rows: list[AttainmentRow]
    unconverted: dict[str, Decimal]


def bookings_by_owner(*, owner_ids: Any, start: dt.date, end: dt.date) -> dict[int, dict[str, Decimal]]:
    """Closed-won amounts per owner and currency with closed_at in [start, end): one GROUP BY query."""
    start_at = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    end_at = dt.datetime.combine(end, dt.time.min, tzinfo=dt.UTC)
    won = list(OpportunityStage.objects.filter(outcome=StageOutcome.WON).values_list("pk", flat=True))
    qs = Opportunity.objects.filter(stage_id__in=won, closed_at__gte=start_at, closed_at__lt=end_at)
    if owner_ids is not None:
        qs = qs.filter(owner_id__in=owner_ids)
    out: dict[int, dict[str, Decimal]] = {}
    for owner_id, currency, total in qs.values("owner_id", "currency").annotate(total=Sum("amount")).order_by().values_list("owner_id", "currency", "total"):
        out.setdefault(owner_id, {})[currency] = total or Decimal(0)
    return out


def quota_attainment(*, user: User, kind: str, start: dt.date) -> AttainmentReport:
    """Each person's and team's attainment in the user's scope for one period, as a tree from the user down."""
    start = period_start(kind, start)
    end = period_end(kind, start)
    rates, target = exchange_rates(), settings.REPORTING_CURRENCY
    everyone = sees_everything(user)
    scope = None if everyone else sorted(user_ids_in_scope(user))
    people_qs = User.objects.filter(is_active=True) if scope is None else User.objects.filter(id__in=scope)
    people = {u.pk: u for u in people_qs.only("id", "username", "first_name", "last_name", "role", "manager_id", "title")}
    unconverted: dict[str, Decimal] = {}

    def to_target(per_currency: dict[str, Decimal]) -> Decimal:
        converted = money.convert_sum(per_currency, rates=rates, target=target)
        for c, v in converted.unconverted.items():
            unconverted[c] = unconverted.get(c, Decimal(0)) + v
        return converted.total

    quotas: dict[int, dict[str, Decimal]] = {}
    quota_qs = Quota.objects.filter(kind=kind, period_start=start)
    if scope is not None:
        quota_qs = quota_qs.filter(user_id__in=scope)
    for uid, currency, amount in quota_qs.values_list("user_id", "currency", "amount"):
        quotas.setdefault(uid, {})[currency] = quotas.get(uid, {}).get(currency, Decimal(0)) + amount
    booked_raw = bookings_by_owner(owner_ids=scope, start=start, end=end)
    nodes = [rollup.Person(pid, None if (not everyone and pid == user.pk) else p.manager_id) for pid, p in people.items()]
    figures = rollup.rollup(
        nodes,
        quotas={uid: to_target(v) for uid, v in quotas.items() if uid in people},
        booked={uid: to_target(v) for uid, v in booked_raw.items() if uid in people},
    )
    rows = [AttainmentRow(people[f.person_id], f) for f in figures]
    if everyone:  # admins: people with nothing to show (no quota, no bookings, no reports with any) are noise
        rows = [r for r in rows if r.figures.team_quota or r.figures.team_booked]
    else:
        rows.sort(key=lambda r: r.person.pk != user.pk)  # the viewer's own tree first
    return AttainmentReport(kind, start, end, period_label(kind, start), target, rows, unconverted)


def attainment_for(report: AttainmentReport, user: User) -> rollup.Attainment | None:
    """The user's own row of an attainment report."""
    return next((r.figures for r in report.rows if r.person.pk == user.pk), None)
