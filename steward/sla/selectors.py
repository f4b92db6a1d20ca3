"""Reads about the SLA set-up: calendars, their holidays, policies, and what the clock makes of them.

Calendars are shared configuration: every signed-in user may read them (a case's due time is
explained by its calendar); only configurers change them (`services.can_configure_sla`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any, overload
from zoneinfo import ZoneInfo

import holidays as holiday_tables
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case as Case_
from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value, When

from steward.accounts.models import Account, Tier
from steward.accounts.selectors import accounts_visible_to, sees_every_account
from steward.core.dbfunctions import QuarterStart
from steward.core.errors import NotFound
from steward.orders import selectors as order_selectors
from steward.orders.choices import OrderStatus
from steward.orders.engine import otif
from steward.sla import rollup
from steward.sla.choices import (
    OPEN_CASE_STATUSES,
    WEEKDAYS,
    CasePriority,
    EscalationLevel,
    TargetKind,
)
from steward.sla.engine import attainment, clock
from steward.sla.engine import calendar as engine
from steward.sla.models import (
    AttainmentCell,
    BusinessCalendar,
    Case,
    CaseEvent,
    CaseTarget,
    DeliveryGoal,
    EscalationOwner,
    SlaPolicy,
    SlaPolicyVersion,
)
from steward.users.models import Team, User

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
    return dict(_country_holidays(calendar.holiday_country, calendar.holiday_subdivision or None, tuple(sorted(set(years)))))


@lru_cache(maxsize=512)
def _country_holidays(country: str, subdivision: str | None, years: tuple[int, ...]) -> tuple[tuple[dt.date, str], ...]:
    """A country's public holidays in those years, computed once per process: the `holidays` tables are
    fixed for the installed package, and building them is a fifth of a reply's time."""
    try:
        table = holiday_tables.country_holidays(country, subdiv=subdivision, years=list(years), language="en_US")
    except (NotImplementedError, ValueError):
        table = holiday_tables.country_holidays(country, subdiv=subdivision, years=list(years))
    return tuple(table.items())


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


# Policies --------------------------------------------------------------------------------------


def policies() -> QuerySet[SlaPolicy]:
    """Every policy in matching order, with its calendar and targets."""
    return SlaPolicy.objects.select_related("calendar").prefetch_related("targets", "tiers").order_by("position", "id")


def policy_get(*, public_id: Any) -> SlaPolicy:
    try:
        return policies().prefetch_related("accounts", "contracts", "versions").get(public_id=public_id)
    except (SlaPolicy.DoesNotExist, ValueError) as exc:
        raise NotFound("No such policy.") from exc


def target_matrix(policy: SlaPolicy) -> list[dict[str, Any]]:
    """One row per priority with a cell per target kind: the target (or None), its length in words and
    whether it counts business hours."""
    by_key = {(t.priority, t.kind): t for t in policy.targets.all()}
    rows = []
    for p in CasePriority:
        cells = []
        for k in TargetKind:
            t = by_key.get((p.value, k.value))
            business = bool(t and t.mode == "business")
            cells.append({"kind": k, "target": t, "text": duration_text(t.minutes, business=business) if t else "", "business": business})
        rows.append({"priority": p, "cells": cells, "resolution": cells[2]})
    return rows


def duration_text(minutes: int, *, business: bool = False) -> str:
    """A target's length as people say it: "45 min", "4 h", "1 h 30 min"; days ("3 d 2 h", 24 h each)
    only for around-the-clock targets, since 24 business hours are about three working days."""
    days, rest = divmod(minutes, 24 * 60) if not business else (0, minutes)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{mins} min" if mins else ""]
    return " ".join(p for p in parts if p)


def engine_policy(version: SlaPolicyVersion, *, years: Iterable[int]) -> clock.Policy:
    """One stored version as the clock reads it, on its calendar with the holidays of `years`."""
    snap = version.snapshot
    calendar = BusinessCalendar.objects.prefetch_related("closures").get(pk=snap["calendar"])
    targets = {
        priority: clock.PriorityTargets(**{kind: clock.Target(int(seconds), mode) for kind, (seconds, mode) in kinds.items()})
        for priority, kinds in snap["targets"].items()
    }
    policy = version.policy
    return clock.Policy(
        id=policy.pk, name=policy.name, calendar=engine_calendar(calendar, years), targets=targets,
        pause_statuses=frozenset(snap["pause_statuses"]), warning_thresholds=tuple(snap["warning_thresholds"]),
        order=policy.position, active=policy.is_active, is_default=policy.is_default,
        effective_from=version.effective_from, notify_in_business_hours=snap["notify_in_business_hours"],
        version=version.number,
        scope=clock.Scope(
            account_tiers=frozenset(policy.tiers.values_list("name", flat=True)),
            account_ids=frozenset(policy.accounts.values_list("pk", flat=True)),
            contract_ids=frozenset(policy.contracts.values_list("pk", flat=True)),
            priorities=frozenset(policy.priorities), categories=frozenset(policy.categories),
        ),
    )


class VersionMatcher:
    """The active policies' current versions, read once, to match many cases against (re-evaluation)."""

    def __init__(self, *, at: dt.datetime) -> None:
        self.current = {
            v.policy_id: v
            for v in SlaPolicyVersion.objects.filter(policy__is_active=True, number=F("policy__current_version")).select_related("policy")
        }
        self.candidates = [engine_policy(v, years=(at.year,)) for v in self.current.values()]

    def match(self, facts: clock.CaseFacts) -> SlaPolicyVersion | None:
        chosen = clock.match_policy(self.candidates, facts)
        return None if chosen is None else self.current[chosen.id]


def matching_version(facts: clock.CaseFacts, *, at: dt.datetime) -> SlaPolicyVersion | None:
    """The current version of the policy that applies to a case with these facts (first match in
    order, else the default), or None: then the case has no SLA and no deadline is invented."""
    return VersionMatcher(at=at).match(facts)


def case_engine_policy(case: Case, *, years: Iterable[int]) -> clock.Policy | None:
    """The clock's policy for a case: its version, in force from when it came into force or, when the
    case says from when it is measured on it (`policy_since`), from then: for a case a re-evaluation
    moved, no breach under the version is dated before the move; an imported case is judged from its
    opening."""
    if case.policy_version is None:
        return None
    return in_force_from(engine_policy(case.policy_version, years=years), case.policy_since)


def in_force_from(policy: clock.Policy, since: dt.datetime | None) -> clock.Policy:
    """The policy in force from `since` instead of its version's start, when `since` is given: later for a
    re-evaluation's move, earlier for imported history (rule (c) of the clock then dates from `since`)."""
    if since is None:
        return policy
    return replace(policy, effective_from=since)


def stale_cases(policy: SlaPolicy) -> QuerySet[Case]:
    """Open cases measured on an earlier version of the policy than its current one."""
    return Case.objects.filter(
        status__in=OPEN_CASE_STATUSES, policy_version__policy=policy, policy_version__number__lt=policy.current_version
    )


# Cases -----------------------------------------------------------------------------------------


def cases_visible_to(user: Any) -> QuerySet[Case]:
    """Cases of the accounts the user sees."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if sees_every_account(user):
        return Case.objects.all()
    return Case.objects.filter(account__in=accounts_visible_to(user))


CASE_SORTS = {
    "due": (F("sla_next_due").asc(nulls_last=True), "-opened_at", "-id"),
    "-opened": ("-opened_at", "-id"),
    "opened": ("opened_at", "id"),
    "priority": ("priority_rank", "-opened_at", "-id"),
}


@dataclass(frozen=True)
class CaseFilters:
    """What a case list asks for, the same on the page and over the API."""

    open_only: bool = True
    mine: bool = False
    breached: bool | None = None
    priority: str = ""
    term: str = ""
    account_public_id: Any = None
    sort: str = "due"


def cases_filtered(user: Any, filters: CaseFilters) -> QuerySet[Case]:
    """The cases `user` sees that match `filters`, in the order asked (soonest SLA due first by default);
    an unknown priority or sort is ignored rather than refused, as on the page."""
    qs = cases_visible_to(user)
    if filters.open_only:
        qs = qs.filter(status__in=OPEN_CASE_STATUSES)
    if filters.mine:
        qs = qs.filter(owner=user)
    if filters.breached is not None:
        qs = qs.filter(sla_breached=filters.breached)
    if filters.priority in CasePriority.values:
        qs = qs.filter(priority=filters.priority)
    if filters.account_public_id is not None:
        qs = qs.filter(account__public_id=filters.account_public_id)
    term = filters.term.strip()
    if term:
        qs = qs.filter(Q(number__icontains=term) | Q(subject__icontains=term) | Q(account__name__icontains=term))
    sort = filters.sort if filters.sort in CASE_SORTS else "due"
    if sort == "priority":
        ranks = [When(priority=p, then=Value(i)) for i, p in enumerate(CasePriority.values)]
        qs = qs.annotate(priority_rank=Case_(*ranks, default=Value(9), output_field=IntegerField()))
    return qs.order_by(*CASE_SORTS[sort])


def case_get(*, user: Any, public_id: Any) -> Case:
    """One visible case with what its page shows, or NotFound (also for someone else's)."""
    try:
        return (
            cases_visible_to(user)
            .select_related("account__tier", "contact", "owner", "order", "contract", "policy_version__policy__calendar")
            .prefetch_related("sla_targets")
            .get(public_id=public_id)
        )
    except (Case.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("No such case.") from exc


def case_timeline(case: Case) -> list[CaseEvent]:
    """The case's history, newest first, with who did what."""
    return list(case.events.select_related("actor").order_by("-at", "-id"))


# Attainment ------------------------------------------------------------------------------------

DELIVERY = "delivery"
ATTAINMENT_KINDS = [(k.value, k.label) for k in TargetKind] + [(DELIVERY, "Delivery (OTIF)")]
# group -> (label, the case target's column or expression, the delivered order's)
ATTAINMENT_GROUPS: dict[str, tuple[str, Any, Any]] = {
    "quarter": ("Quarter", QuarterStart("decided_on"), QuarterStart("delivered_on")),
    "account": ("Account", F("account_id"), F("account_id")),
    "owner": ("Owner", F("case__owner_id"), F("owner_id")),
    "team": ("Team", F("case__owner__team_id"), F("owner__team_id")),
    "tier": ("Tier", F("account__tier_id"), F("account__tier_id")),
}


@dataclass
class AttainmentRow:
    """One group's attainment per target kind (and delivery), and over its case targets."""

    key: Any
    label: str
    by_kind: dict[str, attainment.Attainment]

    @cached_property
    def cases(self) -> attainment.Attainment:
        """Every case target together (first response, next response, resolution), not delivery."""
        met = breached = 0
        for kind, figures in self.by_kind.items():
            if kind != DELIVERY:
                met += figures.met
                breached += figures.breached
        return attainment.Attainment(met, breached)

    def cells(self) -> list[attainment.Attainment]:
        return [self.by_kind.get(kind, attainment.Attainment()) for kind, _ in ATTAINMENT_KINDS]


def _labels(group: str, keys: set[Any]) -> dict[Any, str]:
    if group == "quarter":
        return {k: otif.quarter_of(k if isinstance(k, dt.date) else dt.date.fromisoformat(str(k)[:10])) for k in keys if k}
    model: Any = {"account": Account, "owner": User, "team": Team, "tier": Tier}[group]
    wanted = [k for k in keys if k is not None]
    if group == "account" and len(wanted) > 500:  # a whole portfolio: one read of the names, no id list
        chosen = set(wanted)
        return {pk: name for pk, name in Account.objects.values_list("pk", "name").iterator(chunk_size=10000) if pk in chosen}
    found = model.objects.filter(pk__in=wanted)
    return {obj.pk: (obj.get_full_name() or obj.username) if group == "owner" else str(obj) for obj in found}


def attainment_by(
    *, user: Any, group: str = "quarter", start: dt.date | None = None, end: dt.date | None = None, account: Account | None = None,
) -> list[AttainmentRow]:
    """Attainment of the visible portfolio (or one account) grouped by quarter, account, owner, team or
    tier, per target kind, with deliveries (on time and in full) as one more kind. Counted in the
    database: case targets by the date they were decided, orders by the date they were delivered."""
    group = group if group in ATTAINMENT_GROUPS else "quarter"
    if _ranked_in_database(group, start, end, account):
        return ranked_by_account(user=user, start=start, end=end)[0:None]
    found: dict[Any, dict[str, attainment.Attainment]] = {}
    if group in CELL_GROUPS and whole_quarters(start, end):
        for g, *figures in _cells(user, start=start, end=end, account=account).values_list(CELL_GROUPS[group]).annotate(**CELL_SUMS):
            kinds = _kinds(figures)
            if kinds:
                found[g] = kinds
    else:
        _count_live(found, user=user, group=group, start=start, end=end, account=account)
    if group == "account" or account is not None:
        goals = delivery_goals([account.pk] if account is not None else [k for k in found if k is not None], on=dt.date.today())
        for key, kinds in found.items():
            goal = goals.get(account.pk if account is not None else key)
            if DELIVERY in kinds and goal is not None:
                kinds[DELIVERY] = replace(kinds[DELIVERY], goal=goal.goal)
    names = _labels(group, set(found))
    rows = [AttainmentRow(key, names.get(key, "(none)"), kinds) for key, kinds in found.items() if key is not None or group != "quarter"]
    if group == "quarter":
        return sorted(rows, key=lambda r: str(r.key))
    def worst_first(row: AttainmentRow) -> tuple[float, str]:
        figures = row.cases
        return (figures.met / figures.decided if figures.decided else 2.0, row.label)

    return sorted(rows, key=worst_first)


def attainment_rows(
    *, user: Any, group: str = "quarter", start: dt.date | None = None, end: dt.date | None = None, account: Account | None = None,
) -> Sequence[AttainmentRow]:
    """`attainment_by`'s rows for a page (the attainment page and the API page alike): the whole
    portfolio by account over whole quarters ranked and cut in the database as it is read (a
    `RankedAttainment`), any other grouping the list."""
    if _ranked_in_database(group, start, end, account):
        return ranked_by_account(user=user, start=start, end=end)
    return attainment_by(user=user, group=group, start=start, end=end, account=account)


def _ranked_in_database(group: str, start: dt.date | None, end: dt.date | None, account: Account | None) -> bool:
    """The one rule for when accounts are ranked from the cells in SQL rather than grouped in Python."""
    return group == "account" and account is None and whole_quarters(start, end)


# The attainment cells (`rollup`) hold counts per account and quarter: the groups they can give.
CELL_GROUPS = {"quarter": "quarter", "account": "account_id", "tier": "account__tier_id"}
CELL_SUMS = {f"sum_{column}": Sum(column) for column in rollup.CELL_COLUMNS[2:]}


def whole_quarters(start: dt.date | None, end: dt.date | None) -> bool:
    """Whether the period is made of whole quarters (open ends included), as the cells count."""
    return all(day is None or day == otif.quarter_start(day) for day in (start, end))


def _cells(user: Any, *, start: dt.date | None, end: dt.date | None, account: Account | None = None) -> QuerySet[AttainmentCell]:
    cells = AttainmentCell.objects.order_by()
    if account is not None:
        cells = cells.filter(account=account)
    elif not sees_every_account(user):
        cells = cells.filter(account__in=accounts_visible_to(user))
    if start:
        cells = cells.filter(quarter__gte=start)
    if end:
        cells = cells.filter(quarter__lt=end)
    return cells


def _kinds(figures: Sequence[int | None]) -> dict[str, attainment.Attainment]:
    """Summed cell columns (`rollup.CELL_COLUMNS` order from the counts on) as attainment per target
    kind and deliveries, kinds with nothing decided left out."""
    found = {}
    for i, kind in enumerate(rollup.KIND_COLUMNS):
        met, breached = figures[2 * i] or 0, figures[2 * i + 1] or 0
        if met or breached:
            found[kind] = attainment.Attainment(met, breached)
    delivered, otif_n = figures[-2] or 0, figures[-1] or 0
    if delivered:
        found[DELIVERY] = attainment.Attainment(otif_n, delivered - otif_n)
    return found


class RankedAttainment(Sequence[AttainmentRow]):
    """Attainment of every visible account with a decided target or a delivery in the period, worst
    case attainment first (accounts with deliveries only last), then by name: summed, ranked and cut in
    the database from the attainment cells, so a page of 50 rows of a 50,000-account portfolio builds 50
    rows. Slices run the query with LIMIT and OFFSET; `Paginator` takes it as it is."""

    def __init__(self, *, user: Any, start: dt.date | None, end: dt.date | None) -> None:
        self._cells = _cells(user, start=start, end=end)
        sums = {
            **CELL_SUMS,
            "met": Sum(sum((F(met) for met, _ in rollup.KIND_COLUMNS.values()), Value(0))),
            "decided": Sum(sum((F(met) + F(breached) for met, breached in rollup.KIND_COLUMNS.values()), Value(0))),
        }
        cells_sql, self._params = self._cells.values("account_id").annotate(**sums).query.sql_with_params()
        self._from = f" FROM ({cells_sql}) c INNER JOIN {connection.ops.quote_name(Account._meta.db_table)} a ON a.id = c.account_id"
        self._total: int | None = None

    def count(self) -> int:  # type: ignore[override]  # Paginator asks count() for the number of rows
        if self._total is None:
            self._total = self._cells.values("account_id").distinct().count()
        return self._total

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[AttainmentRow]:
        return iter(self._fetch(0, None))

    def _fetch(self, offset: int, limit: int | None) -> list[AttainmentRow]:
        columns = ", ".join(f"c.{name}" for name in CELL_SUMS)
        sql = (
            f"SELECT a.id, a.name, {columns}{self._from}"
            " ORDER BY CASE WHEN c.decided > 0 THEN c.met * 1.0 / c.decided ELSE 2.0 END, a.name, a.id"
        )
        params = list(self._params)
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            params += [limit, offset]
        elif offset:
            sql += " LIMIT -1 OFFSET %s" if connection.vendor == "sqlite" else " OFFSET %s"
            params.append(offset)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
        rows = [AttainmentRow(pk, name, _kinds(figures)) for pk, name, *figures in found]
        goals = delivery_goals([row.key for row in rows if DELIVERY in row.by_kind], on=dt.date.today())
        for row in rows:
            if DELIVERY in row.by_kind and row.key in goals:
                row.by_kind[DELIVERY] = replace(row.by_kind[DELIVERY], goal=goals[row.key].goal)
        return rows

    @overload
    def __getitem__(self, index: int) -> AttainmentRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[AttainmentRow]: ...
    def __getitem__(self, index: int | slice) -> AttainmentRow | list[AttainmentRow]:
        if isinstance(index, slice):
            if index.step not in (None, 1) or (index.start or 0) < 0 or (index.stop is not None and index.stop < 0):
                raise ValueError("Only forward slices without a step.")
            offset = index.start or 0
            return self._fetch(offset, None if index.stop is None else max(0, index.stop - offset))
        found = self._fetch(index, 1) if index >= 0 else []
        if not found:
            raise IndexError(index)
        return found[0]


def ranked_by_account(*, user: Any, start: dt.date | None = None, end: dt.date | None = None) -> RankedAttainment:
    """Attainment by account of the visible portfolio over whole quarters, worst first, counted from
    the attainment cells (see `RankedAttainment`)."""
    return RankedAttainment(user=user, start=start, end=end)


def _count_live(
    found: dict[Any, dict[str, attainment.Attainment]], *, user: Any, group: str, start: dt.date | None, end: dt.date | None,
    account: Account | None,
) -> None:
    """Attainment counted from the target states and orders themselves: for groups the cells do not hold
    (a case's owner or team) and periods that do not start and end on a quarter."""
    _label, target_key, order_key = ATTAINMENT_GROUPS[group]
    targets = CaseTarget.objects.filter(decided_on__isnull=False, status__in=[clock.MET, clock.BREACHED])
    if account is not None:
        targets = targets.filter(account=account)
    elif not sees_every_account(user):
        targets = targets.filter(account__in=accounts_visible_to(user)) if user.is_authenticated and user.is_active else targets.none()
    if start:
        targets = targets.filter(decided_on__gte=start)
    if end:
        targets = targets.filter(decided_on__lt=end)
    Figures = attainment.Attainment
    for g, name, met, breached in (
        targets.annotate(g=target_key).values("g", "name")
        .annotate(met=Count("id", filter=Q(status=clock.MET)), breached=Count("id", filter=Q(status=clock.BREACHED)))
        .order_by().values_list("g", "name", "met", "breached")
    ):
        kinds = found.get(g)
        if kinds is None:
            kinds = found[g] = {}
        kinds[name] = Figures(met, breached)
    orders = order_selectors.orders_visible_to(user).filter(status=OrderStatus.DELIVERED, delivered_on__isnull=False)
    if account is not None:
        orders = orders.filter(account=account)
    if start:
        orders = orders.filter(delivered_on__gte=start)
    if end:
        orders = orders.filter(delivered_on__lt=end)
    for delivered in (
        orders.annotate(g=order_key).values("g")
        .annotate(n=Count("id"), otif=Count("id", filter=Q(is_on_time=True, is_in_full=True)))
        .order_by()
    ):
        found.setdefault(delivered["g"], {})[DELIVERY] = attainment.Attainment(delivered["otif"], delivered["n"] - delivered["otif"])


def recent_breaches(*, user: Any, start: dt.date | None = None, account: Account | None = None, limit: int = 50) -> list[CaseTarget]:
    """The latest breached targets, naming the target that failed, with their case and account."""
    qs = CaseTarget.objects.filter(status=clock.BREACHED, breached_at__isnull=False)
    if account is not None:
        qs = qs.filter(account=account)
    elif not sees_every_account(user):  # a case is visible with its account; target states carry it
        qs = qs.filter(account__in=accounts_visible_to(user))
    if start:
        qs = qs.filter(decided_on__gte=start)
    # The ids first, newest first along the partial index of breaches; then only those rows with their joins.
    ids = list(qs.order_by("-breached_at", "-id").values_list("pk", flat=True)[:limit])
    found = CaseTarget.objects.filter(pk__in=ids).select_related("case__account", "case__owner").in_bulk()
    return [found[pk] for pk in ids]


def default_goal() -> Decimal:
    """The attainment goal pages compare against: the default policy's, else 95 %."""
    goal = SlaPolicy.objects.filter(is_default=True, is_active=True).values_list("attainment_goal", flat=True).first()
    return Decimal(goal) if goal is not None else Decimal(95)


def escalation_owner_for(level: str, *, tier_id: int | None) -> User | None:
    """Who owns `level` for an account of this tier: the tier's owner, else the portfolio-wide one."""
    if level == EscalationLevel.L1:
        return None
    rows = {
        row.tier_id: row.user
        for row in EscalationOwner.objects.filter(level=level, user__is_active=True)
        .filter(Q(tier_id=tier_id) | Q(tier__isnull=True))
        .select_related("user")
    }
    return rows.get(tier_id) if tier_id in rows else rows.get(None)


def current_escalation_owner(case: Case) -> User | None:
    """Who owns the level the case was last raised to, when one was named; None at L1."""
    if case.escalation_level == EscalationLevel.L1:
        return None
    last = case.escalations.exclude(owner=None).select_related("owner").order_by("-at", "-id").first()
    return last.owner if last is not None else None


@dataclass
class EscalationLevelRow:
    """One escalation level as the settings page shows it: its portfolio-wide owner and per-tier owners."""

    level: str
    label: str
    everywhere: EscalationOwner | None
    by_tier: list[EscalationOwner]


def escalation_levels() -> list[EscalationLevelRow]:
    owners = list(EscalationOwner.objects.select_related("user", "tier").order_by("level", "tier__rank", "tier__name"))
    rows = []
    for level in EscalationLevel:
        if level == EscalationLevel.L1:
            continue
        mine = [o for o in owners if o.level == level]
        rows.append(
            EscalationLevelRow(
                level.value, level.label, next((o for o in mine if o.tier_id is None), None), [o for o in mine if o.tier_id is not None]
            )
        )
    return rows


# Delivery goals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalSource:
    """The on-time-and-in-full goal an account's deliveries are held to, and where it comes from."""

    goal: Decimal
    source: str  # "contract", "account" or "default"
    contract: Any = None  # the contract (number, public_id) when a contract sets it

    @property
    def label(self) -> str:
        if self.source == "contract":
            return f"contract {self.contract[0]}"
        return {"account": "set for the account", "default": "portfolio default"}[self.source]


def default_delivery_goal() -> Decimal:
    """The portfolio's delivery goal: the one set, else the default SLA policy's attainment goal."""
    goal = DeliveryGoal.objects.filter(is_default=True).values_list("goal", flat=True).first()
    return Decimal(goal) if goal is not None else default_goal()


def delivery_goals(account_ids: Iterable[int], *, on: dt.date) -> dict[int, GoalSource]:
    """Each account's delivery goal on a day, in two queries whatever the number of accounts: an active
    contract's on-time-delivery service level in percent (the strictest, when several), else the goal
    set for the account, else the portfolio default."""
    from steward.contracts.choices import ContractStatus, ServiceLevelKind, ServiceLevelUnit
    from steward.contracts.models import ContractServiceLevel

    ids = list(account_ids)
    default = GoalSource(default_delivery_goal(), "default")
    found: dict[int, GoalSource] = {}
    # For many accounts (a whole portfolio) every goal in force is read, which is few rows, rather
    # than naming tens of thousands of ids in the query.
    few = len(ids) <= 500
    levels = ContractServiceLevel.objects.filter(
        kind=ServiceLevelKind.ON_TIME_DELIVERY, unit=ServiceLevelUnit.PERCENT,
        contract__status=ContractStatus.ACTIVE, contract__start_on__lte=on, contract__end_on__gte=on,
    )
    for account_id, target, number, public_id in (
        (levels.filter(contract__account_id__in=ids) if few else levels)
        .order_by("contract__account_id", "target", "contract__number")
        .values_list("contract__account_id", "target", "contract__number", "contract__public_id")
    ):
        found[account_id] = GoalSource(min(Decimal(target), Decimal(100)), "contract", (number, public_id))  # ascending: the last is the strictest
    own = DeliveryGoal.objects.filter(is_default=False)
    for account_id, goal in (own.filter(account_id__in=ids) if few else own).values_list("account_id", "goal"):
        if account_id not in found:
            found[account_id] = GoalSource(Decimal(goal), "account")
    return {i: found.get(i, default) for i in ids}


def delivery_goal_for(account: Account, *, on: dt.date) -> GoalSource:
    return delivery_goals([account.pk], on=on)[account.pk]


def delivery_goal_rows(*, user: Any) -> QuerySet[DeliveryGoal]:
    """The goals set for accounts the user may see (the settings page's table)."""
    return (
        DeliveryGoal.objects.filter(is_default=False, account__in=accounts_visible_to(user))
        .select_related("account", "updated_by").order_by("account__name")
    )


def contract_delivery_goals(*, user: Any, on: dt.date) -> QuerySet[Any]:
    """Active contracts of accounts the user sees that set an on-time-delivery level in percent (each
    comes before the account's own goal), strictest first."""
    from steward.contracts.choices import ContractStatus, ServiceLevelKind, ServiceLevelUnit
    from steward.contracts.models import ContractServiceLevel

    return (
        ContractServiceLevel.objects.filter(
            kind=ServiceLevelKind.ON_TIME_DELIVERY, unit=ServiceLevelUnit.PERCENT, contract__status=ContractStatus.ACTIVE,
            contract__start_on__lte=on, contract__end_on__gte=on, contract__account__in=accounts_visible_to(user),
        )
        .select_related("contract__account")
        .order_by("-target", "contract__account__name", "contract__number")
    )
