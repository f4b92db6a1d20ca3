"""Reads about accounts. Every read starts from `accounts_visible_to(user)`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum

from steward.accounts import choices
from steward.accounts.engine import money, stakeholders
from steward.accounts.engine.cadence import overdue_cutoff
from steward.accounts.models import (
    Account,
    AccountTeamMember,
    Contact,
    ExchangeRate,
    Interaction,
    Task,
    Tier,
)
from steward.core.errors import NotFound
from steward.core.models import AuditEvent
from steward.users.choices import Role
from steward.users.models import User
from steward.users.selectors import in_scope_q, user_ids_in_scope, user_ids_outside_scope


def sees_every_account(user: User) -> bool:
    """True when the user sees every account (admins, finance, a director at the top of the reporting
    line): `accounts_visible_to` applies no filter, and records hanging off accounts need no
    visibility join either."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin_role or user.role == Role.FINANCE:
        return True
    if user.role == Role.SPONSOR:
        return False
    # Every account has an owner; when all owners are in the user's scope, every account is visible.
    # The scope sets are cached on the user object, so asking again costs one indexed EXISTS.
    outside = user_ids_outside_scope(user)
    return len(outside) < len(user_ids_in_scope(user)) and not Account.objects.filter(
        owner_id__in=sorted(outside)
    ).exists()


def accounts_visible_to(user: User) -> QuerySet[Account]:
    """The one place record visibility is decided.

    Admins and finance see all. Executive sponsors see the accounts they sponsor. Everyone else sees the
    accounts they or anyone reporting to them (transitively) own, operate, sponsor or are on the
    account team of.
    """
    if not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if sees_every_account(user):
        return Account.objects.all()
    if user.role == Role.SPONSOR:
        return Account.objects.filter(executive_sponsor_id=user.pk)
    # One indexed lookup per way of being attached, united: the database reads only those rows.
    direct = Account.objects.filter(in_scope_q(user, "owner_id")).values("pk").union(
        Account.objects.filter(in_scope_q(user, "operations_manager_id")).values("pk"),
        Account.objects.filter(in_scope_q(user, "executive_sponsor_id")).values("pk"),
        AccountTeamMember.objects.filter(in_scope_q(user, "user_id")).values("account_id"),
        all=True,
    )
    return Account.objects.filter(pk__in=direct)


class AccountRows:
    """Per-account aggregate rows (dicts with ``account_id``) grouped, sorted and sliced in the database.

    The account's name and public id are read afterwards for the rows of the slice only, one query:
    joined into the grouping they are carried through every grouped row (and as a sub-select, evaluated
    once per source row). Counts like a queryset, with a count function that can be cheaper than
    counting the groups, so Django's Paginator takes it as it is."""

    def __init__(self, rows: QuerySet[Any], count: Callable[[], int]) -> None:
        self.rows = rows
        self._count = count
        self._n: int | None = None

    def count(self) -> int:
        if self._n is None:
            self._n = self._count()
        return self._n

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        if not isinstance(index, slice):
            raise TypeError("AccountRows is read in slices (pages).")
        rows = list(self.rows[index])
        names = {
            pk: (name, public_id)
            for pk, name, public_id in Account.objects.filter(
                pk__in=[r["account_id"] for r in rows]
            ).values_list("pk", "name", "public_id")
        }
        for r in rows:
            r["account_name"], r["account_public_id"] = names[r["account_id"]]
        return rows

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self[:])


def sees_everything(user: User) -> bool:
    """True for admins and finance: lets aggregates skip the visibility filter entirely."""
    return bool(user.is_authenticated and (user.is_admin_role or user.role == Role.FINANCE))


def can_edit_account(user: User, account: Account) -> bool:
    """Read-only roles never edit; others edit what they can see."""
    if user.is_read_only or not user.is_active:
        return False
    return accounts_visible_to(user).filter(pk=account.pk).exists()


def account_get(*, user: User, public_id: Any) -> Account:
    """One visible account with what its header shows, or NotFound (also for others' accounts)."""
    try:
        return (
            accounts_visible_to(user)
            .select_related("tier", "region", "owner", "operations_manager", "executive_sponsor", "parent")
            .get(public_id=public_id)
        )
    except (Account.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such account.") from exc


def parent_for(*, user: User, account: Account | None, public_id: Any) -> Account:
    """The parent an account form or API call names: a visible account, or NotFound.

    The account's current parent, sent back unchanged, is kept even when it lies outside the
    user's portfolio, so editing a subsidiary never forces a change of its parent.
    """
    current = account.parent if account is not None and account.parent_id else None
    if current is not None and current.public_id == public_id:
        return current
    return account_get(user=user, public_id=public_id)


@dataclass(frozen=True)
class AccountFilters:
    """What the account list can be narrowed by."""

    q: str = ""
    tier: str = ""
    stage: str = ""
    region: str = ""
    owner: str = ""
    overdue: bool = False
    single_threaded: bool = False


ACCOUNT_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "acv": ("annual_contract_value", "id"),
    "-acv": ("-annual_contract_value", "-id"),
    "last_touch": ("last_touchpoint_at", "id"),
    "-last_touch": ("-last_touchpoint_at", "-id"),
    "tier": ("tier__rank", "name", "id"),
    "-tier": ("-tier__rank", "name", "id"),
    "stage": ("lifecycle_stage", "name", "id"),
    "-stage": ("-lifecycle_stage", "name", "id"),
    "owner": ("owner__last_name", "owner__first_name", "name", "id"),
    "-owner": ("-owner__last_name", "-owner__first_name", "name", "id"),
}


def overdue_touchpoint_q(now: dt.datetime, tiers: list[Tier] | None = None) -> Q:
    """Accounts whose last touchpoint is older than their tier's cadence (or that have none)."""
    q = Q(last_touchpoint_at__isnull=True)
    for tier in tiers if tiers is not None else list(Tier.objects.all()):
        q |= Q(tier_id=tier.pk, last_touchpoint_at__lt=overdue_cutoff(cadence_days=tier.touchpoint_cadence_days, now=now))
    return q & ~Q(lifecycle_stage=choices.LifecycleStage.CHURNED)


def account_list(*, user: User, filters: AccountFilters, sort: str = "name", now: dt.datetime) -> QuerySet[Account]:
    """Visible accounts narrowed by `filters`, in the requested order, with what a row shows."""
    qs = accounts_visible_to(user)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(domain__icontains=term))
    if filters.tier:
        # An id only when it is a plain number in range ("²" is a digit too; 10**30 overflows).
        is_id = filters.tier.isascii() and filters.tier.isdigit() and len(filters.tier) < 10
        qs = qs.filter(tier_id=int(filters.tier)) if is_id else qs.filter(tier__name__iexact=filters.tier)
    if filters.stage:
        qs = qs.filter(lifecycle_stage=filters.stage)
    if filters.region:
        qs = qs.filter(region__code__iexact=filters.region)
    if filters.owner:
        qs = qs.filter(owner__username=filters.owner)
    if filters.overdue:
        qs = qs.filter(overdue_touchpoint_q(now))
    if filters.single_threaded:
        qs = qs.filter(is_single_threaded=True).exclude(lifecycle_stage=choices.LifecycleStage.CHURNED)
    order = ACCOUNT_SORTS.get(sort, ACCOUNT_SORTS["name"])
    return qs.select_related("tier", "owner", "region").order_by(*order)


def account_children(*, user: User, account: Account) -> QuerySet[Account]:
    """Visible child accounts of an account."""
    return accounts_visible_to(user).filter(parent_id=account.pk).select_related("tier").order_by("name")


def account_ancestors(*, user: User, account: Account, limit: int = 20) -> list[Account]:
    """The visible chain of parents, nearest first (stops at an invisible one or at `limit`)."""
    chain: list[Account] = []
    visible = accounts_visible_to(user)
    current = account.parent_id
    seen = {account.pk}
    while current and current not in seen and len(chain) < limit:
        seen.add(current)
        parent = visible.filter(pk=current).only("id", "name", "public_id", "parent_id").first()
        if parent is None:
            break
        chain.append(parent)
        current = parent.parent_id
    return chain


def contacts_visible_to(user: User) -> QuerySet[Contact]:
    """Contacts of visible accounts."""
    return Contact.objects.filter(account__in=accounts_visible_to(user).values("pk"))


def contact_get(*, user: User, public_id: Any) -> Contact:
    """One visible contact, or NotFound."""
    try:
        return contacts_visible_to(user).select_related("account", "account__tier", "reports_to").get(public_id=public_id)
    except (Contact.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such contact.") from exc


def interactions_visible_to(user: User) -> QuerySet[Interaction]:
    """Interactions on visible accounts."""
    return Interaction.objects.filter(account__in=accounts_visible_to(user).values("pk"))


def interaction_get(*, user: User, public_id: Any) -> Interaction:
    """One visible interaction, or NotFound."""
    try:
        return interactions_visible_to(user).select_related("account", "created_by").get(public_id=public_id)
    except (Interaction.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such interaction.") from exc


def tasks_visible_to(user: User) -> QuerySet[Task]:
    """Tasks on visible accounts."""
    return Task.objects.filter(account__in=accounts_visible_to(user).values("pk"))


def task_get(*, user: User, public_id: Any) -> Task:
    """One visible task, or NotFound."""
    try:
        return tasks_visible_to(user).select_related("account", "assignee").get(public_id=public_id)
    except (Task.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such task.") from exc


def overdue_task_q(today: dt.date) -> Q:
    """A task is overdue when it is open and its due date has passed."""
    return Q(done=False, due_date__lt=today)


def my_tasks(*, user: User, today: dt.date, include_done: bool = False) -> QuerySet[Task]:
    """Tasks assigned to the user on accounts they can see: overdue first, then by due date."""
    qs = tasks_visible_to(user).filter(assignee=user).select_related("account")
    if not include_done:
        qs = qs.filter(done=False)
    from django.db.models import Case, IntegerField, Value, When

    return qs.annotate(
        overdue_rank=Case(
            When(overdue_task_q(today), then=Value(0)),
            When(due_date__isnull=True, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("overdue_rank", "due_date", "id")


def contact_facts(contacts: list[Contact]) -> list[stakeholders.ContactFacts]:
    """Engine inputs for the stakeholder rules."""
    return [
        stakeholders.ContactFacts(
            id=c.pk,
            buying_role=c.buying_role,
            active=c.status == choices.ContactStatus.ACTIVE,
            last_touched_at=c.last_touched_at,
            reports_to_id=c.reports_to_id,
        )
        for c in contacts
    ]


@dataclass
class StakeholderMap:
    """An account's contacts as an org chart, with the coverage verdict."""

    contacts: dict[int, Contact]
    roots: list[stakeholders.OrgNode]
    coverage: stakeholders.Coverage
    cadence_days: int


def stakeholder_map(*, account: Account, now: dt.datetime) -> StakeholderMap:
    """The account's org chart and whether it is single-threaded right now."""
    contacts = list(account.contacts.order_by("-influence", "last_name", "first_name"))
    facts = contact_facts(contacts)
    cadence = account.tier.touchpoint_cadence_days
    return StakeholderMap(
        contacts={c.pk: c for c in contacts},
        roots=stakeholders.org_chart(facts),
        coverage=stakeholders.coverage(facts, cadence_days=cadence, now=now),
        cadence_days=cadence,
    )


@dataclass(frozen=True)
class TimelineEntry:
    """One row of an account's timeline: an interaction, a task or an audit event."""

    at: dt.datetime
    kind: str
    obj: Any


def account_timeline(*, account: Account, limit: int = 50, before: dt.datetime | None = None) -> list[TimelineEntry]:
    """Interactions, tasks and audit events of one account, newest first, merged by time."""
    interactions = account.interactions.select_related("created_by").prefetch_related("contacts", "users")
    tasks = account.tasks.select_related("assignee")
    # An interaction's or task's own entry already shows its creation.
    events = (
        AuditEvent.objects.filter(account_id=account.pk)
        .exclude(action=AuditEvent.Action.CREATE, object_type__in=["accounts.interaction", "accounts.task"])
        .select_related("actor")
    )
    if before is not None:
        interactions = interactions.filter(occurred_at__lt=before)
        tasks = tasks.filter(created_at__lt=before)
        events = events.filter(occurred_at__lt=before)
    entries = [TimelineEntry(i.occurred_at, "interaction", i) for i in interactions.order_by("-occurred_at", "-id")[:limit]]
    entries += [TimelineEntry(t.created_at, "task", t) for t in tasks.order_by("-created_at", "-id")[:limit]]
    entries += [TimelineEntry(e.occurred_at, "audit", e) for e in events.order_by("-id")[:limit]]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


@dataclass
class DashboardSummary:
    """What the portfolio dashboard shows, computed with a handful of aggregate queries."""

    total_accounts: int
    total_acv: money.Converted
    by_tier: list[dict[str, Any]]
    by_stage: list[dict[str, Any]]
    tier_stage: dict[tuple[int, str], int]
    overdue_count: int
    overdue_accounts: list[Account]
    single_threaded_count: int
    single_threaded_accounts: list[Account]
    my_overdue_tasks: list[Task]
    my_open_task_count: int


SMALL_SET = 2000


def _first_by_tier(qs: QuerySet[Account], count: int, tiers: list[Tier], order: tuple[str, ...], limit: int) -> list[Account]:
    """The first `limit` accounts, most important tier first, then in `order` within a tier.

    One short indexed query per tier, stopping when the list is full, rather than sorting the
    whole portfolio by a joined column.
    """
    found: list[Account] = []
    if count <= SMALL_SET:  # a small set sorts faster in one query
        return list(qs.select_related("tier", "owner").order_by("tier__rank", "tier__name", *order)[:limit])
    for tier in sorted(tiers, key=lambda t: (t.rank, t.name)):
        if len(found) >= limit:
            break
        found += qs.filter(tier_id=tier.pk).select_related("tier", "owner").order_by(*order)[: limit - len(found)]
    return found


def exchange_rates() -> dict[str, Decimal]:
    """Currency -> units of the reporting currency per unit, as kept in the admin."""
    return dict(ExchangeRate.objects.values_list("currency", "rate"))


def dashboard_summary(*, user: User, now: dt.datetime, list_size: int = 8) -> DashboardSummary:
    """The portfolio dashboard for `user`: counts by tier and stage, and what needs attention."""
    visible = accounts_visible_to(user)
    tiers = list(Tier.objects.all())
    rates = exchange_rates()
    target = settings.REPORTING_CURRENCY
    # One grouped query; amounts are summed per currency and converted, never mixed.
    cells = visible.values("tier_id", "lifecycle_stage", "currency").annotate(n=Count("*"), acv=Sum("annual_contract_value"))
    tier_stage: dict[tuple[int, str], int] = {}
    tier_acv: dict[int, dict[str, Any]] = {t.pk: {} for t in tiers}
    all_acv: dict[str, Any] = {}
    stage_totals: dict[str, int] = {}
    tier_n: dict[int, int] = {}
    for cell in cells:
        key = (cell["tier_id"], cell["lifecycle_stage"])
        tier_stage[key] = tier_stage.get(key, 0) + cell["n"]
        tier_n[cell["tier_id"]] = tier_n.get(cell["tier_id"], 0) + cell["n"]
        per_tier = tier_acv.setdefault(cell["tier_id"], {})
        per_tier[cell["currency"]] = per_tier.get(cell["currency"], 0) + (cell["acv"] or 0)
        all_acv[cell["currency"]] = all_acv.get(cell["currency"], 0) + (cell["acv"] or 0)
        stage_totals[cell["lifecycle_stage"]] = stage_totals.get(cell["lifecycle_stage"], 0) + cell["n"]
    by_tier = [
        {"tier": t, "n": tier_n.get(t.pk, 0), "acv": money.convert_sum(tier_acv[t.pk], rates=rates, target=target)} for t in tiers
    ]
    by_stage = [
        {"stage": value, "label": label, "n": stage_totals.get(value, 0)} for value, label in choices.LifecycleStage.choices
    ]
    overdue = visible.filter(overdue_touchpoint_q(now, tiers))
    single = visible.filter(is_single_threaded=True).exclude(lifecycle_stage=choices.LifecycleStage.CHURNED)
    overdue_count, single_count = overdue.count(), single.count()
    today = now.date()
    open_tasks = my_tasks(user=user, today=today)
    return DashboardSummary(
        total_accounts=sum(tier_n.values()),
        total_acv=money.convert_sum(all_acv, rates=rates, target=target),
        by_tier=by_tier,
        by_stage=by_stage,
        tier_stage=tier_stage,
        overdue_count=overdue_count,
        overdue_accounts=_first_by_tier(overdue, overdue_count, tiers, ("last_touchpoint_at", "id"), list_size),
        single_threaded_count=single_count,
        single_threaded_accounts=_first_by_tier(single, single_count, tiers, ("-annual_contract_value", "id"), list_size),
        my_overdue_tasks=list(open_tasks.filter(overdue_task_q(today))[:list_size]),
        my_open_task_count=open_tasks.count(),
    )


def accounts_autocomplete(*, user: User, term: str, limit: int = 10) -> QuerySet[Account]:
    """Visible accounts whose name starts with, then contains, `term`."""
    term = term.strip()
    if not term:
        return Account.objects.none()
    return accounts_visible_to(user).filter(name__icontains=term).only("public_id", "name").order_by("name")[:limit]
