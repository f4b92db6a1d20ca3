"""The SLA clock: from a case's event log and a policy to deadlines, breaches and warnings.

Targets. A policy gives, per priority, up to three targets, each a duration and a mode
("business": counted in the policy calendar's working time; "calendar": real time, 24/7):

- *first response*: runs from creation to the first public reply by an agent;
- *next response*: after the first reply, each customer reply (while the case is open and no
  reply is owed already) starts a new cycle that runs until the next public reply;
- *resolution*: runs from creation to resolution; a reopened case resumes it.

Resolving or closing a case also ends any response clock still running (the resolution answers
the customer). Every clock stands still while the case's status is one of the policy's pause
statuses; moving from one pause status to another is one pause.

The rules users rely on (docs/sla/clock.md says the same in prose):

(a) Priority change: the new priority's target is measured from the clock's original start over
    the same counted time, so elapsed time and accumulated pause carry over. If the new due time
    is already past, the target is breached at the moment of the change, never earlier.
(b) Reopen: the resolution clock resumes from the time it had counted; the resolved period is not
    counted. A resolution met before stays met until the case is reopened; the final outcome is
    judged at the last resolution. A breach stays.
(c) Policy edit or deactivation: run the clock again with the new version. A version never
    breaches a case before its `effective_from`, so what was met under an older version stays met;
    breaches in `previous` are carried over and never undone; warnings are recomputed, so one
    that no longer applies disappears.
(d) A due time is the earliest instant at which the target's time has been counted: a deadline
    landing exactly at closing time is that closing instant, not the next opening.
(e) A stop (reply, resolution) at or before the due instant meets the target, also when a pause
    or any other event has the same timestamp.
(f) Pause to pause counts the pause once.
(g) A breach is never hidden: a later pause, status or priority change, reopen or policy
    version keeps it.

Events at the same instant are applied in log order; events after `now` are ignored.
Nothing here reads a clock: `now` is passed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from steward.sla.engine.calendar import (
    REAL_TIME,
    US_PER_SECOND,
    BusinessCalendar,
    Timeline,
    from_us,
    timeline,
    to_us,
)

BUSINESS = "business"
CALENDAR = "calendar"
MODES = frozenset({BUSINESS, CALENDAR})

FIRST_RESPONSE = "first_response"
NEXT_RESPONSE = "next_response"
RESOLUTION = "resolution"
TARGET_NAMES = (FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION)

CREATED = "created"
STATUS_CHANGED = "status_changed"
PUBLIC_REPLY = "public_reply"
CUSTOMER_REPLY = "customer_reply"
PRIORITY_CHANGED = "priority_changed"
CATEGORY_CHANGED = "category_changed"
RESOLVED = "resolved"
REOPENED = "reopened"
CLOSED = "closed"
EVENT_KINDS = frozenset(
    {
        CREATED,
        STATUS_CHANGED,
        PUBLIC_REPLY,
        CUSTOMER_REPLY,
        PRIORITY_CHANGED,
        CATEGORY_CHANGED,
        RESOLVED,
        REOPENED,
        CLOSED,
    }
)

NOT_STARTED = "not_started"
RUNNING = "running"
PAUSED = "paused"
MET = "met"
BREACHED = "breached"
TARGET_STATUSES = (NOT_STARTED, RUNNING, PAUSED, MET, BREACHED)

WARNING = "warning"
BREACH = "breach"
DEFAULT_WARNING_THRESHOLDS = (50, 75, 90)


@dataclass(frozen=True)
class Target:
    """One target: a positive duration in seconds and how it is counted."""

    seconds: int
    mode: str = BUSINESS

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ValueError("a target must be longer than zero seconds")
        if self.mode not in MODES:
            raise ValueError(f"mode must be 'business' or 'calendar', not {self.mode!r}")


@dataclass(frozen=True)
class PriorityTargets:
    """The targets of one priority; a missing target does not apply to that priority."""

    first_response: Target | None = None
    next_response: Target | None = None
    resolution: Target | None = None


@dataclass(frozen=True)
class CaseFacts:
    """What policy matching needs to know about a case."""

    account_id: int | None = None
    account_tier: str | None = None
    contract_id: int | None = None
    priority: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class Scope:
    """Which cases a policy covers; an empty set means "any"."""

    account_tiers: frozenset[str] = frozenset()
    account_ids: frozenset[int] = frozenset()
    contract_ids: frozenset[int] = frozenset()
    priorities: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()

    def matches(self, facts: CaseFacts) -> bool:
        """Every non-empty criterion contains the case's value."""
        checks = (
            (self.account_tiers, facts.account_tier),
            (self.account_ids, facts.account_id),
            (self.contract_ids, facts.contract_id),
            (self.priorities, facts.priority),
            (self.categories, facts.category),
        )
        return all(not wanted or value in wanted for wanted, value in checks)


@dataclass(frozen=True)
class Policy:
    """One version of an SLA policy: its calendar, targets per priority, pauses and warnings.

    `effective_from` is when this version came into force; the clock never dates a breach
    before it. `notify_in_business_hours` holds warning and breach alerts until the calendar's
    next working instant.
    """

    id: int
    name: str
    calendar: BusinessCalendar
    targets: Mapping[str, PriorityTargets] = field(hash=False)
    pause_statuses: frozenset[str] = frozenset()
    warning_thresholds: tuple[int, ...] = DEFAULT_WARNING_THRESHOLDS
    scope: Scope = Scope()
    order: int = 0
    active: bool = True
    is_default: bool = False
    effective_from: dt.datetime | None = None
    notify_in_business_hours: bool = False
    version: int = 1

    def __post_init__(self) -> None:
        thresholds = tuple(sorted(set(self.warning_thresholds)))
        if any(not 0 < t < 100 for t in thresholds):
            raise ValueError("warning thresholds are percentages between 0 and 100")
        if self.effective_from is not None:
            to_us(self.effective_from)
        object.__setattr__(self, "warning_thresholds", thresholds)
        object.__setattr__(self, "pause_statuses", frozenset(self.pause_statuses))
        object.__setattr__(self, "targets", MappingProxyType(dict(self.targets)))

    def target_for(self, priority: str | None, name: str) -> Target | None:
        """The target `name` of a priority, or None when that priority has none."""
        targets = self.targets.get(priority) if priority is not None else None
        return None if targets is None else getattr(targets, name)


def match_policy(policies: Iterable[Policy], facts: CaseFacts) -> Policy | None:
    """The first active policy (by order, then id) whose scope matches, else the default, else None."""
    ordered = sorted((p for p in policies if p.active), key=lambda p: (p.order, p.id))
    for policy in ordered:
        if not policy.is_default and policy.scope.matches(facts):
            return policy
    return next((p for p in ordered if p.is_default), None)


@dataclass(frozen=True)
class Event:
    """One entry of a case's log.

    `status` is the new status (required for status_changed, optional on the others, e.g. the
    status a case is created or reopened in); `priority` the new priority (on created and
    priority_changed); `category` the new category (informative: a category change may make
    another policy match, which the caller resolves by matching again).
    """

    at: dt.datetime
    kind: str
    status: str | None = None
    priority: str | None = None
    category: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}")
        if self.kind == STATUS_CHANGED and self.status is None:
            raise ValueError("a status change needs the new status")


@dataclass(frozen=True)
class Alert:
    """A warning threshold reached or a breach, and when it may be sent.

    `opened_at` is when the clock it belongs to opened (case creation, or the customer reply
    that started a next-response cycle), so each cycle's alerts are told apart.
    """

    target: str
    kind: str
    threshold: int | None
    at: dt.datetime
    notify_at: dt.datetime
    opened_at: dt.datetime

    @property
    def key(self) -> tuple[str, str, int | None, dt.datetime]:
        """Identity for sending once: a warning per threshold and clock, a breach per instant."""
        when = self.opened_at if self.kind == WARNING else self.at
        return (self.target, self.kind, self.threshold, when)


@dataclass(frozen=True)
class TargetState:
    """Where one target stands at `now`.

    status: not_started (next response, no reply owed yet), running, paused (a pause status
    holds the clock), met (stopped at or before due), breached (its due passed while unmet at
    least once; stays so, also once the reply or resolution comes: `met_at` then says when).
    `due` is None while paused short of the target (it depends on when the case resumes).
    Seconds are counted in the target's mode; `paused_seconds` is time in the same measure that
    passed since the clock opened without being counted (pauses, and a resolved period).
    """

    name: str
    status: str
    target_seconds: int
    mode: str
    opened_at: dt.datetime | None
    started_at: dt.datetime | None
    due: dt.datetime | None
    met_at: dt.datetime | None
    breached_at: dt.datetime | None
    elapsed_seconds: float
    paused_seconds: float
    percent_used: float
    warning_level: int
    alerts: tuple[Alert, ...] = ()
    breaches: int = 0

    @property
    def remaining_seconds(self) -> float:
        """Target time not yet used (0 once used up)."""
        return max(0.0, self.target_seconds - self.elapsed_seconds)


@dataclass(frozen=True)
class ClockResult:
    """The clock of one case at `now`: a state per applicable target, or "no SLA"."""

    now: dt.datetime
    no_sla: bool
    policy_id: int | None
    policy_version: int | None
    targets: tuple[TargetState, ...]

    def target(self, name: str) -> TargetState | None:
        """The state of target `name`, or None when it does not apply."""
        return next((state for state in self.targets if state.name == name), None)

    @property
    def breached_targets(self) -> tuple[str, ...]:
        """The names of the targets that failed, in the order first response, next response, resolution."""
        return tuple(state.name for state in self.targets if state.breached_at is not None)


def notifications_due(
    current: ClockResult, previous: ClockResult | None = None
) -> tuple[Alert, ...]:
    """Alerts whose send time has come by `current.now` and had not at the previous evaluation.

    Called on each evaluation with the one before, every warning threshold and every breach is
    sent exactly once; a warning cleared by a looser target and reached again later is sent again.
    """
    sent: set[tuple[str, str, int | None, dt.datetime]] = set()
    if previous is not None:
        sent = {
            alert.key
            for state in previous.targets
            for alert in state.alerts
            if alert.notify_at <= previous.now
        }
    return tuple(
        alert
        for state in current.targets
        for alert in state.alerts
        if alert.notify_at <= current.now and alert.key not in sent
    )


class _Run:
    """One clock's history as real intervals (µs): when it was owed and when it was counting."""

    __slots__ = (
        "active",
        "opened",
        "outstanding",
        "outstanding_since",
        "running_since",
        "stopped_at",
    )

    def __init__(self, opened: int) -> None:
        self.opened = opened
        self.active: list[tuple[int, int]] = []
        self.running_since: int | None = None
        self.outstanding: list[tuple[int, int | None]] = []
        self.outstanding_since: int | None = None
        self.stopped_at: int | None = None

    def set(self, t: int, outstanding: bool, running: bool) -> None:
        if outstanding:
            if self.outstanding_since is None:
                self.outstanding_since = t
        elif self.outstanding_since is not None:
            if t > self.outstanding_since:
                self.outstanding.append((self.outstanding_since, t))
            self.outstanding_since = None
            self.stopped_at = t
        if running:
            if self.running_since is None:
                self.running_since = t
        elif self.running_since is not None:
            if t > self.running_since:
                self.active.append((self.running_since, t))
            self.running_since = None

    def finish(self) -> None:
        if self.outstanding_since is not None:
            self.outstanding.append((self.outstanding_since, None))

    @property
    def is_outstanding(self) -> bool:
        return self.outstanding_since is not None


class _Counted:
    """A run measured on one time line: counted time per interval and the instant a total is reached."""

    __slots__ = ("line", "pairs", "tail", "tail_coord", "total")

    def __init__(self, line: Timeline, run: _Run) -> None:
        self.line = line
        self.pairs = [(line.coord(a), line.coord(b)) for a, b in run.active]
        self.total = sum(b - a for a, b in self.pairs)
        if run.running_since is not None:
            self.tail: int | None = run.running_since
        elif not run.is_outstanding:
            self.tail = run.stopped_at
        else:
            self.tail = None
        self.tail_coord = line.coord(self.tail) if self.tail is not None else 0

    def reach(self, amount: int) -> int | None:
        """The earliest instant at which `amount` has been counted; after a stop, as if still running.

        None when the clock is paused short of it.
        """
        counted = 0
        for a, b in self.pairs:
            if counted + b - a >= amount:
                return self.line.inverse(a + amount - counted)
            counted += b - a
        if self.tail is None:
            return None
        return self.line.inverse(self.tail_coord + amount - counted)

    def elapsed(self, run: _Run, now: int) -> int:
        if run.running_since is None:
            return self.total
        return self.total + self.line.coord(now) - self.tail_coord


@dataclass(frozen=True)
class _Segment:
    start: int
    end: int | None
    target: Target | None


def _first_breach(
    run: _Run, segments: Sequence[_Segment], counted: _CountedCache, not_before: int, now: int
) -> tuple[int, _Segment] | None:
    """The earliest instant the run was owed past a due time in force then, with that segment."""
    for segment in segments:
        if segment.target is None:
            continue
        due = counted.get(segment.target.mode).reach(segment.target.seconds * US_PER_SECOND)
        if due is None:
            continue
        floor = max(segment.start, not_before)
        for owed_from, owed_until in run.outstanding:
            low = max(owed_from, floor)
            high = _earliest(owed_until, segment.end)
            if high is not None and low >= high:
                continue
            first = max(low, due)
            if high is not None and first >= high:
                continue
            if (now >= low) if low > due else (now > due):
                return first, segment
    return None


def _earliest(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


class _CountedCache:
    """A run measured once per mode."""

    __slots__ = ("business", "cache", "run")

    def __init__(self, run: _Run, business: Timeline) -> None:
        self.run = run
        self.business = business
        self.cache: dict[str, _Counted] = {}

    def get(self, mode: str) -> _Counted:
        counted = self.cache.get(mode)
        if counted is None:
            counted = self.cache[mode] = _Counted(_line(mode, self.business), self.run)
        return counted


def _line(mode: str, business: Timeline) -> Timeline:
    return business if mode == BUSINESS else REAL_TIME


def _segments(
    priorities: Sequence[tuple[int, str | None]], policy: Policy, name: str, opened: int
) -> list[_Segment]:
    """The target `name` in force over time, from the run's opening on, equal neighbours merged."""
    segments: list[_Segment] = []
    for i, (start, priority) in enumerate(priorities):
        end = priorities[i + 1][0] if i + 1 < len(priorities) else None
        if end is not None and end <= opened:
            continue
        target = policy.target_for(priority, name)
        if segments and segments[-1].target == target:
            segments[-1] = _Segment(segments[-1].start, end, target)
        else:
            segments.append(_Segment(max(start, opened), end, target))
    return segments


def _target_at(segments: Sequence[_Segment], t: int, *, stopped: bool) -> Target | None:
    """The target in force at `t`; for a stopped clock, the one in force just before its stop."""
    current = segments[0].target if segments else None
    for segment in segments[1:]:
        if segment.start < t or (segment.start == t and not stopped):
            current = segment.target
    return current


def _judge(
    *,
    name: str,
    run: _Run,
    priorities: Sequence[tuple[int, str | None]],
    policy: Policy,
    business: Timeline,
    now: int,
) -> TargetState | None:
    """The state of one run of one target at `now`, or None when no target applies to it."""
    segments = _segments(priorities, policy, name, run.opened)
    counted = _CountedCache(run, business)
    not_before = run.opened
    if policy.effective_from is not None:
        not_before = max(not_before, to_us(policy.effective_from))
    breach = _first_breach(run, segments, counted, not_before, now)
    stopped = not run.is_outstanding and run.stopped_at is not None
    horizon = run.stopped_at if stopped and run.stopped_at is not None else now
    target = _target_at(segments, horizon, stopped=stopped)
    if target is None and breach is not None:
        target = breach[1].target
    if target is None:
        return None
    line = _line(target.mode, business)
    measured = counted.get(target.mode)
    target_us = target.seconds * US_PER_SECOND
    due = measured.reach(target_us)
    elapsed = measured.elapsed(run, now)
    paused = max(0, line.coord(horizon) - line.coord(run.opened) - elapsed)
    first_active = run.active[0][0] if run.active else run.running_since
    started = None if first_active is None else line.next_working(first_active)
    opened_at = from_us(run.opened)
    alerts: list[Alert] = []
    level = 0
    if breach is not None:
        status = BREACHED
        breached_at = from_us(breach[0])
        alerts.append(_alert(name, BREACH, None, breach[0], opened_at, policy, business))
    else:
        breached_at = None
        if not run.is_outstanding:
            status = MET
        else:
            status = RUNNING if run.running_since is not None else PAUSED
            for threshold in policy.warning_thresholds:
                if elapsed * 100 < target_us * threshold:
                    break
                reached = measured.reach(target_us * threshold // 100)
                if reached is None:
                    break
                level = threshold
                alerts.append(
                    _alert(name, WARNING, threshold, reached, opened_at, policy, business)
                )
    return TargetState(
        name=name,
        status=status,
        target_seconds=target.seconds,
        mode=target.mode,
        opened_at=opened_at,
        started_at=None if started is None else from_us(started),
        due=None if due is None else from_us(due),
        met_at=None if run.is_outstanding or run.stopped_at is None else from_us(run.stopped_at),
        breached_at=breached_at,
        elapsed_seconds=elapsed / US_PER_SECOND,
        paused_seconds=paused / US_PER_SECOND,
        percent_used=elapsed * 100 / target_us,
        warning_level=level,
        alerts=tuple(alerts),
        breaches=1 if breach is not None else 0,
    )


def _alert(
    name: str,
    kind: str,
    threshold: int | None,
    at: int,
    opened_at: dt.datetime,
    policy: Policy,
    business: Timeline,
) -> Alert:
    notify = business.next_working(at) if policy.notify_in_business_hours else at
    return Alert(name, kind, threshold, from_us(at), from_us(notify), opened_at)


def _not_started(name: str, target: Target) -> TargetState:
    return TargetState(
        name=name,
        status=NOT_STARTED,
        target_seconds=target.seconds,
        mode=target.mode,
        opened_at=None,
        started_at=None,
        due=None,
        met_at=None,
        breached_at=None,
        elapsed_seconds=0.0,
        paused_seconds=0.0,
        percent_used=0.0,
        warning_level=0,
    )


def _cycles_state(states: Sequence[TargetState]) -> TargetState:
    """Next response over all its cycles: the latest cycle, with every breach kept."""
    latest = states[-1]
    breached = [s for s in states if s.breached_at is not None]
    if not breached:
        return latest
    earlier_breaches = tuple(a for s in states[:-1] for a in s.alerts if a.kind == BREACH)
    return replace(
        latest,
        status=BREACHED,
        breached_at=breached[0].breached_at,
        breaches=len(breached),
        alerts=earlier_breaches + latest.alerts,
    )


def _keep_breaches(
    states: dict[str, TargetState], previous: ClockResult | None
) -> dict[str, TargetState]:
    """Carry over every breach an earlier evaluation recorded (rules c and g)."""
    if previous is None:
        return states
    kept = dict(states)
    for before in previous.targets:
        if before.breached_at is None:
            continue
        now = kept.get(before.name)
        if now is None:
            kept[before.name] = before
            continue
        if now.breached_at is not None and now.breached_at <= before.breached_at:
            continue
        own = tuple(a for a in now.alerts if a.kind == BREACH)
        carried = tuple(a for a in before.alerts if a.kind == BREACH)
        kept[before.name] = replace(
            now,
            status=BREACHED,
            breached_at=before.breached_at,
            breaches=max(now.breaches, before.breaches, 1),
            warning_level=0,
            alerts=carried + tuple(a for a in own if a.key not in {c.key for c in carried}),
        )
    return kept


def evaluate_clock(
    *,
    policy: Policy | None,
    events: Sequence[Event],
    now: dt.datetime,
    previous: ClockResult | None = None,
) -> ClockResult:
    """Every target of a case at `now` under `policy`; with no policy, "no SLA" and no deadline.

    `previous` is the last stored result for this case (perhaps under another policy version);
    its breaches are kept.
    """
    now_us = to_us(now)
    now_utc = from_us(now_us)
    if policy is None:
        kept = _keep_breaches({}, previous)
        return ClockResult(now_utc, True, None, None, _ordered(kept))
    log = sorted(((to_us(e.at), e) for e in events), key=lambda pair: pair[0])
    log = [(t, e) for t, e in log if t <= now_us]
    if not log or log[0][1].kind != CREATED:
        raise ValueError("the event log must start with the case's creation, at or before now")
    if any(e.kind == CREATED for _, e in log[1:]):
        raise ValueError("a case is created once")
    start, created = log[0]
    pauses = policy.pause_statuses
    paused = created.status in pauses
    resolved = False
    first = _Run(start)
    resolution = _Run(start)
    cycles: list[_Run] = []
    cycle: _Run | None = None
    priorities: list[tuple[int, str | None]] = [(start, created.priority)]
    first.set(start, True, not paused)
    resolution.set(start, True, not paused)
    for t, event in log[1:]:
        kind = event.kind
        if event.status is not None:
            paused = event.status in pauses
        if kind == PUBLIC_REPLY:
            if first.is_outstanding:
                first.set(t, False, False)
            if cycle is not None and cycle.is_outstanding:
                cycle.set(t, False, False)
        elif kind == CUSTOMER_REPLY:
            if (
                not resolved
                and not first.is_outstanding
                and (cycle is None or not cycle.is_outstanding)
            ):
                cycle = _Run(t)
                cycles.append(cycle)
                cycle.set(t, True, not paused)
        elif kind == PRIORITY_CHANGED:
            if event.priority != priorities[-1][1]:
                if priorities[-1][0] == t:
                    priorities[-1] = (t, event.priority)
                else:
                    priorities.append((t, event.priority))
        elif kind in (RESOLVED, CLOSED):
            if not resolved:
                resolved = True
                if first.is_outstanding:
                    first.set(t, False, False)
                if cycle is not None and cycle.is_outstanding:
                    cycle.set(t, False, False)
        elif kind == REOPENED:
            resolved = False
        if first.is_outstanding:
            first.set(t, True, not paused)
        resolution.set(t, not resolved, not resolved and not paused)
        if cycle is not None and cycle.is_outstanding:
            cycle.set(t, True, not paused)
    business = timeline(policy.calendar)
    states: dict[str, TargetState] = {}
    for name, run in ((FIRST_RESPONSE, first), (RESOLUTION, resolution)):
        run.finish()
        state = _judge(
            name=name, run=run, priorities=priorities, policy=policy, business=business, now=now_us
        )
        if state is not None:
            states[name] = state
    cycle_states = []
    for run in cycles:
        run.finish()
        state = _judge(
            name=NEXT_RESPONSE,
            run=run,
            priorities=priorities,
            policy=policy,
            business=business,
            now=now_us,
        )
        if state is not None:
            cycle_states.append(state)
    if cycle_states:
        states[NEXT_RESPONSE] = _cycles_state(cycle_states)
    else:
        current = policy.target_for(priorities[-1][1], NEXT_RESPONSE)
        if current is not None:
            states[NEXT_RESPONSE] = _not_started(NEXT_RESPONSE, current)
    kept = _keep_breaches(states, previous)
    return ClockResult(now_utc, False, policy.id, policy.version, _ordered(kept))


def _ordered(states: Mapping[str, TargetState]) -> tuple[TargetState, ...]:
    return tuple(states[name] for name in TARGET_NAMES if name in states)
