"""Demo SLA set-up and cases: a European support desk with split shifts, a New York desk and a 24/7
calendar, three policies on them (critical incidents around the clock, strategic accounts, the
default), and eighteen months of cases for the portfolio.

Calendars and policies are written through the services, so they carry their audit events like any
set-up made by hand. Policies come into force before the first demo case opens: a version never
dates a breach before its `effective_from` (clock rule c), so later versions would make every
historical case look met.

Cases are generated per chunk of accounts (one transaction each) and bulk-inserted with their event
logs (`bulk.insert`: COPY on PostgreSQL), in the shapes the case services write (a reply on a new case
also opens it, a customer reply on a waiting case resumes it, a priority change carries its reason).
Their SLA states are then computed by `services.cases_recompute`, the bulk path the periodic job runs
too (no alerts are sent for the demo's history).
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Max

from steward.accounts.models import Account, Contact, Tier
from steward.core import audit
from steward.sla import bulk, rollup, selectors, services
from steward.sla.choices import CaseEventKind, CasePriority, CaseStatus
from steward.sla.engine import clock
from steward.sla.models import BusinessCalendar, Case, CaseEvent, SlaPolicyVersion
from steward.sla.services import Scope, TargetInput
from steward.users.choices import Role
from steward.users.models import User

CALENDARS: list[dict[str, Any]] = [
    {
        "name": "Europe support desk", "description": "Second-line support, Berlin, lunch 12:00-13:00",
        "time_zone": "Europe/Berlin", "week": ["08:00-12:00, 13:00-18:00"] * 5 + ["", ""],
        "holiday_country": "DE", "holiday_subdivision": "BE",
    },
    {
        "name": "Americas support desk", "description": "New York, with a Saturday morning shift",
        "time_zone": "America/New_York", "week": ["08:00-20:00"] * 5 + ["09:00-13:00", ""],
        "holiday_country": "US", "holiday_subdivision": "NY",
    },
    {"name": "24/7 operations", "description": "Critical incidents, around the clock", "time_zone": "UTC", "always_open": True},
]

HISTORY_DAYS = 548  # eighteen months of cases before `now`
CASES_PER_ACCOUNT = 10.0
# Larger accounts open more cases; the weights average 1 over the generator's tier shares.
TIER_WEIGHT = {"Strategic": 2.0, "Key": 1.4, "Growth": 1.0, "Maintain": 0.75}
PRIORITY_SHARE = [(CasePriority.CRITICAL, 0.03), (CasePriority.HIGH, 0.22), (CasePriority.MODERATE, 0.45), (CasePriority.LOW, 0.30)]
STILL_OPEN_SHARE = 0.06  # cases planned to be unresolved at `now`; a few more are open because they are recent
# Median minutes, by priority: to the first reply, to the next reply after a customer's, from the last reply to resolution.
FIRST_REPLY = {"critical": 6, "high": 30, "moderate": 120, "low": 300}
NEXT_REPLY = {"critical": 20, "high": 90, "moderate": 240, "low": 480}
TO_RESOLUTION = {"critical": 90, "high": 300, "moderate": 900, "low": 1800}
# Urgent cases move faster on the customer's and suppliers' side too: a factor on their delays.
PACE = {"critical": 0.1, "high": 0.4, "moderate": 1.0, "low": 1.5}

SUBJECTS: dict[str, tuple[str, list[str]]] = {
    "Delivery": ("complaint", ["Shipment arrived late", "Pallets damaged on arrival", "Wrong quantity delivered", "Missing delivery note", "Delivered to the wrong dock"]),
    "Billing": ("issue", ["Invoice amount does not match the order", "Credit note missing", "Duplicate invoice", "Payment not allocated", "VAT number wrong on the invoice"]),
    "Quality": ("complaint", ["Batch failed incoming inspection", "Stretch wrap tears on the line", "Boxes collapse when stacked", "Labels peel off in the cold store"]),
    "Platform": ("issue", ["Cannot log in to the portal", "Tracking page shows no data", "Temperature alerts not arriving", "Report export times out", "API returns errors"]),
    "Sensors": ("issue", ["Logger shows no readings", "GPS tracker offline", "Tracker battery drains within days"]),
    "Account": ("request", ["Change of delivery address", "Add users to the portal", "Copy of the contract", "Question about the renewal terms", "Training for new staff"]),
}
CRITICAL_SUBJECTS = [
    ("Platform", "Portal down for all users"), ("Sensors", "Cold-chain alerts not delivered: product at risk"),
    ("Platform", "Tracking data missing since last night"), ("Delivery", "Production line stopped: packaging out of stock"),
]
CHANNELS = ["email", "email", "email", "portal", "portal", "phone", "chat", "meeting"]
REPLIES = [
    "Thanks for reporting this; we are looking into it.", "We have reproduced the problem and are working on a fix.",
    "Could you send photos and the delivery note number?", "A replacement is on its way; tracking number to follow.",
    "The carrier confirmed the delay; new delivery date below.", "We have corrected the invoice; the new copy is attached.",
]
CUSTOMER_REPLIES = ["Photos attached.", "Here is the delivery note.", "Still not working on our side.", "Thanks, that helps.", "Any update?"]
NOTES = ["Checked with the warehouse: stock is available.", "Escalated to second line.", "Carrier claim opened.", "Customer prefers phone calls."]
PRIORITY_REASONS = [
    "The customer's production line is affected", "A workaround is in place", "Only one site is affected",
    "The customer escalated to their account director", "Impact smaller than first reported",
]
RESOLUTIONS = ["Replacement delivered.", "Credit note issued.", "Fixed in the platform release.", "Answered; nothing more needed.", "Carrier claim settled."]
THIRD_PARTIES = ["Waiting for the carrier's report.", "Waiting on the supplier.", "Waiting for customs clearance."]

CASE_COLUMNS = [
    "public_id", "created_at", "updated_at", "version", "number", "account", "contact", "subject", "description", "case_type",
    "category", "priority", "channel", "status", "owner", "opened_at", "resolved_at", "closed_at", "policy_version",
    "sla_breached", "sla_computed_at",
]
EVENT_COLUMNS = ["case", "at", "kind", "status", "priority", "category", "body", "actor"]


def has_data() -> bool:
    """Whether the SLA set-up is loaded (calendars exist); cases come with it."""
    return BusinessCalendar.objects.exists()


def seed_demo(ctx: Any) -> None:
    """The three calendars with the European desk's winter closure, three policies, then the portfolio's cases."""
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        return
    _seed_setup(ctx, admin)
    if Account.objects.exists():
        _seed_cases(ctx)
    rollup.rebuild()  # the demo's orders were delivered in bulk, without telling anyone


def _seed_setup(ctx: Any, admin: User) -> None:
    made = [services.calendar_create(actor=admin, data=data) for data in CALENDARS]
    year = ctx.now.year
    services.closure_add(
        actor=admin, calendar=made[0], first_day=dt.date(year, 12, 28), last_day=dt.date(year, 12, 30), name="Winter closure"
    )
    ctx.report.add("sla_businesscalendar", len(made))
    europe, _americas, always = made
    since = history_start(ctx.now) - dt.timedelta(days=1)
    services.policy_create(
        actor=admin, now=since,
        data={"name": "Critical incidents", "description": "Outages and data loss, around the clock", "calendar": always, "priorities": ["critical"]},
        targets=[TargetInput("critical", "first_response", 15, "calendar"), TargetInput("critical", "next_response", 60, "calendar"), TargetInput("critical", "resolution", 240, "calendar")],
    )
    strategic = list(Tier.objects.filter(name="Strategic"))
    services.policy_create(
        actor=admin, now=since, scope=Scope(tiers=strategic),
        data={"name": "Strategic accounts", "calendar": europe, "attainment_goal": 97, "pause_statuses": ["waiting_on_customer", "waiting_on_third_party"]},
        targets=[*_targets("first_response", high=60, moderate=240, low=480), *_targets("resolution", high=480, moderate=1440, low=2880)],
    )
    services.policy_create(
        actor=admin, now=since, data={"name": "Standard", "calendar": europe, "is_default": True},
        targets=[
            *_targets("first_response", critical=60, high=120, moderate=480, low=960),
            *_targets("next_response", high=240, moderate=960),
            *_targets("resolution", critical=480, high=960, moderate=2880, low=4800),
        ],
    )
    ctx.report.add("sla_slapolicy", 3)
    _seed_escalations_and_goals(admin, strategic)
    ctx.progress(f"  SLA calendars: {len(made)}, policies: 3")


def _seed_escalations_and_goals(admin: User, strategic: list[Tier]) -> None:
    """Owners of the escalation levels (the Strategic desk's own L2) and delivery goals: the portfolio's,
    and a stricter one for a few Strategic accounts promised more."""
    people = {u.username: u for u in User.objects.filter(username__in=["ops", "manager", "director"], is_active=True)}
    owners: list[tuple[str, str, Tier | None]] = [("l2", "ops", None), ("l3", "manager", None), ("management", "director", None)]
    owners += [("l2", "manager", tier) for tier in strategic[:1]]
    for level, username, tier in owners:
        if username in people:
            services.escalation_owner_set(actor=admin, level=level, user=people[username], tier=tier)
    services.delivery_goal_set(actor=admin, account=None, goal="95")
    for account in Account.objects.filter(tier__in=strategic).order_by("pk")[:3]:
        services.delivery_goal_set(actor=admin, account=account, goal="98", note="Promised at the last business review")


def _targets(kind: str, **minutes: int) -> list[TargetInput]:
    return [TargetInput(priority, kind, m) for priority, m in minutes.items()]


def history_start(now: dt.datetime) -> dt.datetime:
    """When the demo's oldest case may open."""
    return now - dt.timedelta(days=HISTORY_DAYS)


# Cases -----------------------------------------------------------------------------------------


class PolicyMatcher:
    """The version a new case gets (first matching active policy's current one, else the default),
    matched once per distinct set of facts instead of once per case: the demo matches by tier and
    priority; account or category enter the key only when some policy is scoped by them."""

    def __init__(self) -> None:
        current = {
            v.policy_id: v
            for v in SlaPolicyVersion.objects.filter(policy__is_active=True, number=F("policy__current_version")).select_related("policy")
        }
        self._versions = {policy_id: v.pk for policy_id, v in current.items()}
        # Only the scopes matter here; one year of holidays keeps the calendars cheap to build.
        self._policies = [selectors.engine_policy(v, years=(v.effective_from.year,)) for v in current.values()]
        self._by_account = any(p.scope.account_ids or p.scope.contract_ids for p in self._policies)
        self._by_category = any(p.scope.categories for p in self._policies)
        self._cache: dict[tuple[Any, ...], int | None] = {}

    def version_id(self, *, account_id: int, tier: str | None, priority: str, category: str) -> int | None:
        """The policy version id for a case with these facts (no contract), or None: no SLA."""
        key = (account_id if self._by_account else None, tier, priority, category if self._by_category else None)
        if key not in self._cache:
            facts = clock.CaseFacts(account_id=account_id, account_tier=tier, priority=priority, category=category or None)
            chosen = clock.match_policy(self._policies, facts)
            self._cache[key] = None if chosen is None else self._versions[chosen.id]
        return self._cache[key]


@dataclass
class PlannedCase:
    """One generated case before insertion: its row values and its log (at, kind, status, priority, body)."""

    account_id: int
    owner_id: int
    contact_id: int | None
    subject: str
    category: str
    case_type: str
    channel: str
    priority: str
    events: list[tuple[dt.datetime, str, str, str, str]]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _pick(rng: random.Random, shares: Sequence[tuple[str, float]]) -> str:
    x = rng.random()
    for value, share in shares:
        x -= share
        if x < 0:
            return value
    return shares[-1][0]


def _minutes(rng: random.Random, median: float, sigma: float = 1.0) -> dt.timedelta:
    """A skewed delay around `median` minutes: most short, a few very long (capped at 30 days)."""
    return dt.timedelta(minutes=min(30 * 24 * 60, max(1.0, median * rng.lognormvariate(0, sigma))))


def _office(rng: random.Random, t: dt.datetime) -> dt.datetime:
    """Agents mostly act in office hours (07:00-17:00 UTC on weekdays): later work moves to the next working morning."""
    if (t.weekday() < 5 and 7 <= t.hour < 17) or rng.random() < 0.1:
        return t
    day = t.date() if (t.hour < 7 and t.weekday() < 5) else t.date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(7), tzinfo=dt.UTC) + dt.timedelta(minutes=rng.randint(0, 150))


def _opened_at(rng: random.Random, now: dt.datetime, oldest_days: float, newest_days: float = 0.0) -> dt.datetime:
    """An opening time between `oldest_days` and `newest_days` before now, mostly in European working hours."""
    for _ in range(8):
        t = now - dt.timedelta(days=rng.uniform(newest_days, oldest_days))
        if t.weekday() >= 5 and rng.random() < 0.7:
            continue  # fewer cases at weekends
        if rng.random() < 0.8 and not 6 <= t.hour < 18:
            t = t.replace(hour=rng.randint(6, 17))
        if t < now:
            return t
    return now - dt.timedelta(days=rng.uniform(newest_days, oldest_days))


def _plan_log(rng: random.Random, opened: dt.datetime, priority: str, description: str) -> tuple[list[tuple[dt.datetime, str, str, str, str]], list[int]]:
    """A case's whole life from `opened`: first reply, rounds of questions, waits and priority changes,
    resolution, perhaps a reopening, closing. Returns the log and the lengths of its prefixes after
    which the case is still open (cut points for a case that is unresolved at `now`)."""
    log: list[tuple[dt.datetime, str, str, str, str]] = [(opened, CaseEventKind.CREATED, CaseStatus.NEW, priority, description)]
    open_cuts = [1]
    critical = priority == CasePriority.CRITICAL
    spread = 0.6 if critical else 1.0  # an outage gets everyone's attention: fewer slow answers
    p = priority

    def agent(t: dt.datetime) -> dt.datetime:
        return t if critical else _office(rng, t)

    t = agent(opened + _minutes(rng, FIRST_REPLY[p], spread))
    log += [(t, CaseEventKind.PUBLIC_REPLY, "", "", rng.choice(REPLIES)), (t, CaseEventKind.STATUS_CHANGED, CaseStatus.OPEN, "", "")]
    open_cuts.append(len(log))
    for _ in range(rng.choices([0, 1, 2, 3, 4], weights=[30, 32, 22, 11, 5])[0]):
        r = rng.random()
        if r < 0.38:  # ask the customer and wait: the clock pauses where the policy says so
            t = agent(t + _minutes(rng, 30))
            log.append((t, CaseEventKind.STATUS_CHANGED, CaseStatus.WAITING_ON_CUSTOMER, "", "Asked the customer for details"))
            open_cuts.append(len(log))
            t += _minutes(rng, 1440 * PACE[p], 1.1)
            log += [(t, CaseEventKind.CUSTOMER_REPLY, "", "", rng.choice(CUSTOMER_REPLIES)), (t, CaseEventKind.STATUS_CHANGED, CaseStatus.OPEN, "", "")]
            open_cuts.append(len(log))
            t = agent(t + _minutes(rng, NEXT_REPLY[p], spread))
            log.append((t, CaseEventKind.PUBLIC_REPLY, "", "", rng.choice(REPLIES)))
        elif r < 0.46:  # a carrier or supplier holds it up
            t = agent(t + _minutes(rng, 60))
            log.append((t, CaseEventKind.STATUS_CHANGED, CaseStatus.WAITING_ON_THIRD_PARTY, "", rng.choice(THIRD_PARTIES)))
            open_cuts.append(len(log))
            t = agent(t + dt.timedelta(days=rng.uniform(0.5, 4) * PACE[p]))
            log += [(t, CaseEventKind.STATUS_CHANGED, CaseStatus.OPEN, "", ""), (t, CaseEventKind.PUBLIC_REPLY, "", "", rng.choice(REPLIES))]
        elif r < 0.56 and not critical:  # re-rated, with a reason; critical stays critical
            ladder = [CasePriority.HIGH, CasePriority.MODERATE, CasePriority.LOW]
            i = ladder.index(CasePriority(p))
            new = ladder[max(0, i - 1)] if (rng.random() < 0.55 and i > 0) or i == 2 else ladder[i + 1]
            t = agent(t + _minutes(rng, 120))
            log.append((t, CaseEventKind.PRIORITY_CHANGED, "", new, rng.choice(PRIORITY_REASONS)))
            p = new
        elif r < 0.7:
            t = agent(t + _minutes(rng, 60))
            log.append((t, CaseEventKind.INTERNAL_NOTE, "", "", rng.choice(NOTES)))
        else:  # the customer follows up and gets an answer
            t += _minutes(rng, 240 * PACE[p], 1.1)
            log.append((t, CaseEventKind.CUSTOMER_REPLY, "", "", rng.choice(CUSTOMER_REPLIES)))
            open_cuts.append(len(log))
            t = agent(t + _minutes(rng, NEXT_REPLY[p], spread))
            log.append((t, CaseEventKind.PUBLIC_REPLY, "", "", rng.choice(REPLIES)))
        open_cuts.append(len(log))
    t = agent(t + _minutes(rng, TO_RESOLUTION[p], 0.8 * spread))
    log.append((t, CaseEventKind.RESOLVED, CaseStatus.RESOLVED, "", rng.choice(RESOLUTIONS)))
    if rng.random() < 0.05:
        t += dt.timedelta(days=rng.uniform(0.5, 10))
        log += [(t, CaseEventKind.REOPENED, CaseStatus.OPEN, "", "The problem is back"), (t, CaseEventKind.CUSTOMER_REPLY, "", "", "It happened again this morning.")]
        open_cuts.append(len(log))
        t = agent(t + _minutes(rng, NEXT_REPLY[p], spread))
        log.append((t, CaseEventKind.PUBLIC_REPLY, "", "", rng.choice(REPLIES)))
        open_cuts.append(len(log))
        t = agent(t + _minutes(rng, TO_RESOLUTION[p], 0.8 * spread))
        log.append((t, CaseEventKind.RESOLVED, CaseStatus.RESOLVED, "", rng.choice(RESOLUTIONS)))
    if rng.random() < 0.95:  # closed after the customer's week to object
        log.append((t + dt.timedelta(days=rng.uniform(3, 7)), CaseEventKind.CLOSED, CaseStatus.CLOSED, "", ""))
    return log, open_cuts


def _plan_case(rng: random.Random, now: dt.datetime, account_id: int, owner_id: int, contact_id: int | None) -> PlannedCase:
    priority = _pick(rng, PRIORITY_SHARE)
    if priority == CasePriority.CRITICAL:
        category, subject = rng.choice(CRITICAL_SUBJECTS)
        case_type = "issue"
    else:
        category = rng.choice(list(SUBJECTS))
        case_type, subjects = SUBJECTS[category]
        subject = rng.choice(subjects)
        if rng.random() < 0.15:
            case_type = "question"
    description = f"{subject}. Reported by the customer; details in the thread."
    still_open = rng.random() < STILL_OPEN_SHARE
    if still_open:  # mostly recent, a tail of old ones waiting on someone
        oldest = rng.choices([14.0, 60.0, 180.0], weights=[80, 16, 4])[0]
        opened = _opened_at(rng, now, oldest)
    else:
        opened = _opened_at(rng, now, HISTORY_DAYS)
    log, cuts = _plan_log(rng, opened, priority, description)
    if still_open:
        usable = [c for c in cuts if c > 1] if now - opened > dt.timedelta(days=2) else cuts
        log = log[: rng.choice(usable or cuts)]
    log = [e for e in log if e[0] <= now]
    return PlannedCase(account_id, owner_id, contact_id, subject, category, case_type, rng.choice(CHANNELS), priority, log)


def _contacts(account_ids: list[int]) -> dict[int, list[int]]:
    """Up to three active contacts per account, the most influential first: who reports cases."""
    found: dict[int, list[int]] = {}
    rows = (
        Contact.objects.filter(account_id__in=account_ids, status="active").exclude(email="")
        .order_by("account_id", "-influence", "pk").values_list("account_id", "pk")
    )
    for account_id, contact_id in rows:
        mine = found.setdefault(account_id, [])
        if len(mine) < 3:
            mine.append(contact_id)
    return found


def _seed_cases(ctx: Any) -> None:
    """Cases for every account, a chunk of accounts per transaction: rows, logs, audit events, SLA states."""
    rng, now = ctx.rng, ctx.now
    matcher = PolicyMatcher()
    serial: dict[int, int] = {}
    for year in range(history_start(now).year, now.year + 1):
        highest = Case.objects.filter(number__startswith=f"CS-{year}-").aggregate(m=Max("number"))["m"]
        if highest:
            serial[year] = int(highest.rsplit("-", 1)[-1])
    accounts = Account.objects.order_by("pk").values_list("pk", "owner_id", "operations_manager_id", "tier__name", "lifecycle_stage")
    last, total, started = 0, 0, time.perf_counter()
    while True:
        chunk = list(accounts.filter(pk__gt=last)[: ctx.options.chunk_size])
        if not chunk:
            break
        last = chunk[-1][0]
        with transaction.atomic():
            total += _load_cases(rng, now, chunk, matcher, serial, ctx.report)
        ctx.progress(f"  SLA cases: {total:,} ({time.perf_counter() - started:.1f}s)")


def _load_cases(
    rng: random.Random, now: dt.datetime, chunk: list[tuple[int, int, int | None, str, str]],
    matcher: PolicyMatcher, serial: dict[int, int], report: Any,
) -> int:
    contacts = _contacts([a[0] for a in chunk])
    planned: list[tuple[PlannedCase, int | None]] = []
    for account_id, owner_id, ops_id, tier, stage in chunk:
        # Churned accounts (8 % of the portfolio) open half as many; dividing by 0.96 keeps the mean.
        mean = CASES_PER_ACCOUNT * TIER_WEIGHT.get(tier, 1.0) * (0.5 if stage == "churned" else 1.0) / 0.96
        mine = contacts.get(account_id, [])
        for _ in range(max(0, round(rng.gauss(mean, mean * 0.4)))):
            contact = rng.choice(mine) if mine and rng.random() < 0.9 else None
            case = _plan_case(rng, now, account_id, ops_id or owner_id, contact)
            version = matcher.version_id(account_id=account_id, tier=tier, priority=case.priority, category=case.category)
            planned.append((case, version))
    # Numbers follow opening order within the chunk.
    planned.sort(key=lambda pv: pv[0].events[0][0])
    rows, numbers = [], []
    for case, version in planned:
        opened = case.events[0][0]
        serial[opened.year] = serial.get(opened.year, 0) + 1
        number = f"CS-{opened.year}-{serial[opened.year]:06d}"
        status, priority, resolved_at, closed_at = _final_state(case)
        public_id = _uuid(rng)
        numbers.append((number, public_id))
        rows.append((
            public_id, opened, case.events[-1][0], len({e[0] for e in case.events}), number, case.account_id, case.contact_id,
            case.subject, case.events[0][4], case.case_type, case.category, priority, case.channel, status, case.owner_id,
            opened, resolved_at, closed_at, version, False, None,
        ))
    before = Case.objects.aggregate(m=Max("pk"))["m"] or 0
    extra_columns, extra = services.bulk_defaults(Case, CASE_COLUMNS)
    bulk.insert(Case, CASE_COLUMNS + extra_columns, (row + extra for row in rows))
    pks = dict(Case.objects.filter(pk__gt=before).values_list("number", "pk"))
    extra_columns, extra = services.bulk_defaults(CaseEvent, EVENT_COLUMNS)
    events = (
        (pks[number], at, kind, status, priority, case.category if kind == CaseEventKind.CREATED else "", body, case.owner_id, *extra)
        for (case, _), (number, _) in zip(planned, numbers, strict=True)
        for at, kind, status, priority, body in case.events
    )
    n_events = bulk.insert(CaseEvent, EVENT_COLUMNS + extra_columns, events)
    changes = [
        audit.Change(
            "create", "sla.case", str(public_id), f"{number} {row[7]}", row[5], None,
            {"number": number, "subject": row[7], "priority": case.priority, "status": CaseStatus.NEW, "opened_at": row[15],
             "owner_id": case.owner_id, "policy_version_id": row[18]},
        )
        for (case, _), (number, public_id), row in zip(planned, numbers, rows, strict=True)
    ]
    audit.record_changes(actor=None, changes=changes, now=now)
    states = services.cases_recompute(now=now, open_only=False, notify_people=False, after_pk=before)
    report.add("sla_case", len(rows))
    report.add("sla_caseevent", n_events)
    report.add("sla_casetarget", states.targets)
    report.add("audit events", len(changes))
    return len(rows)


def _final_state(case: PlannedCase) -> tuple[str, str, dt.datetime | None, dt.datetime | None]:
    """Status, priority, resolved and closed times after the log, as the services leave them."""
    status, priority = CaseStatus.NEW, case.priority
    resolved_at = closed_at = None
    for at, kind, new_status, new_priority, _ in case.events:
        status = new_status or status
        priority = new_priority or priority
        if kind == CaseEventKind.RESOLVED:
            resolved_at = at
        elif kind == CaseEventKind.REOPENED:
            resolved_at = None
        elif kind == CaseEventKind.CLOSED:
            closed_at, resolved_at = at, resolved_at or at
    return status, priority, resolved_at, closed_at


