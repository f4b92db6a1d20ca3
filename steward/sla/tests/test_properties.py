"""Invariants of calendars and the clock, checked on generated cases in five time zones.

The zones cover no DST (UTC), a one-hour DST in both hemispheres' senses (New York, Berlin), a
quarter-hour offset (Kathmandu) and a 30-minute DST (Lord Howe); instants cluster around their
2026-2027 clock changes and the 2028 leap day.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.sla.engine.calendar import (
    BusinessCalendar,
    add_business_seconds,
    business_seconds_between,
    is_working,
    timeline,
    working_windows,
)
from steward.sla.engine.clock import (
    BUSINESS,
    CALENDAR,
    CLOSED,
    CREATED,
    CUSTOMER_REPLY,
    FIRST_RESPONSE,
    PRIORITY_CHANGED,
    PUBLIC_REPLY,
    REOPENED,
    RESOLUTION,
    RESOLVED,
    STATUS_CHANGED,
    TARGET_NAMES,
    Event,
    Policy,
    PriorityTargets,
    Target,
    evaluate_clock,
)

ZONES = ("UTC", "America/New_York", "Europe/Berlin", "Asia/Kathmandu", "Australia/Lord_Howe")
PAUSES = frozenset({"waiting_on_customer", "on_hold"})
PRIORITIES = ("urgent", "normal", "low")
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CHANGES = tuple(
    dt.datetime(*args, tzinfo=dt.UTC)
    for args in [
        (2026, 3, 8, 7),  # New York forward
        (2026, 11, 1, 6),  # New York back
        (2026, 3, 29, 1),  # Berlin forward
        (2026, 10, 25, 1),  # Berlin back
        (2026, 4, 4, 15),  # Lord Howe back 30 min
        (2026, 10, 3, 15, 30),  # Lord Howe forward 30 min
        (2028, 2, 29, 0),  # leap day
        (2026, 12, 31, 12),  # new year
    ]
)

slots = st.lists(st.integers(0, 96), min_size=0, max_size=4, unique=True).map(sorted)


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    zone = draw(st.sampled_from(ZONES))
    kind = draw(st.sampled_from(["always", "full_days_with_holiday", "schedule"]))
    if kind == "always":
        return BusinessCalendar.always_open(zone)
    holidays = frozenset(
        draw(st.lists(st.dates(dt.date(2025, 12, 1), dt.date(2028, 12, 31)), max_size=6))
    )
    if kind == "full_days_with_holiday":
        return BusinessCalendar(zone, (((0, 86_400),),) * 7, holidays | {dt.date(2030, 1, 1)})
    week = []
    for _ in range(7):
        bounds = draw(slots)
        pairs = list(zip(bounds[::2], bounds[1::2], strict=False))
        week.append(tuple((a * 900, b * 900) for a, b in pairs if a < b))
    if not any(week):
        week[0] = ((9 * 3600, 17 * 3600),)
    return BusinessCalendar(zone, tuple(week), holidays)


@st.composite
def instants(draw: st.DrawFn) -> dt.datetime:
    if draw(st.booleans()):
        base = draw(st.sampled_from(CHANGES))
        return base + dt.timedelta(seconds=draw(st.integers(-3 * 86_400, 3 * 86_400)))
    seconds = draw(st.integers(0, 3 * 365 * 86_400))
    return dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)


durations = st.integers(1, 40 * 3600) | st.integers(1, 3 * 3600).map(lambda s: s * 60)


@SETTINGS
@given(calendars(), instants(), durations)
def test_adding_then_measuring_gives_the_same_seconds(calendar, start, seconds):
    end = add_business_seconds(calendar, start, seconds)
    assert end >= start
    assert business_seconds_between(calendar, start, end) == seconds


@SETTINGS
@given(calendars(), instants(), st.integers(0, 20 * 86_400))
def test_measuring_then_adding_lands_on_the_end_or_the_last_close_before_it(calendar, start, span):
    end = start + dt.timedelta(seconds=span)
    seconds = business_seconds_between(calendar, start, end)
    back = add_business_seconds(calendar, start, seconds)
    assert back <= end
    assert business_seconds_between(calendar, back, end) == 0
    if seconds > 0 and is_working(calendar, end):
        assert back == end


@SETTINGS
@given(calendars(), instants(), st.integers(0, 6 * 86_400), st.integers(0, 6 * 86_400))
def test_business_time_adds_up_and_matches_the_days_windows(calendar, start, first, second):
    middle = start + dt.timedelta(seconds=first)
    end = middle + dt.timedelta(seconds=second)
    whole = business_seconds_between(calendar, start, end)
    assert whole == business_seconds_between(calendar, start, middle) + business_seconds_between(
        calendar, middle, end
    )
    zone = ZoneInfo(calendar.time_zone)
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    last = end.astimezone(zone).date() + dt.timedelta(days=1)
    by_days = 0.0
    while day <= last:
        for a, b in working_windows(calendar, day):
            overlap = (min(b, end) - max(a, start)).total_seconds()
            by_days += max(0.0, overlap)
        day += dt.timedelta(days=1)
    assert whole == by_days


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    calendar = draw(calendars())
    modes = {name: draw(st.sampled_from([BUSINESS, CALENDAR])) for name in TARGET_NAMES}

    def target(name: str) -> Target | None:
        if draw(st.integers(0, 5)) == 0:
            return None
        return Target(draw(st.integers(15, 60 * 40)) * 60, modes[name])

    targets = {
        p: PriorityTargets(target(FIRST_RESPONSE), target("next_response"), target(RESOLUTION))
        for p in PRIORITIES
    }
    return Policy(1, "generated", calendar, targets, pause_statuses=PAUSES)


step = st.tuples(
    st.integers(0, 30 * 3600),
    st.sampled_from(
        [
            "pause",
            "other_pause",
            "resume",
            PUBLIC_REPLY,
            CUSTOMER_REPLY,
            PRIORITY_CHANGED,
            RESOLVED,
            REOPENED,
            CLOSED,
        ]
    ),
    st.sampled_from(PRIORITIES),
)


def build_log(start: dt.datetime, priority: str, steps) -> tuple[list[Event], dt.datetime]:
    events = [Event(start, CREATED, status="open", priority=priority)]
    at = start
    for gap, kind, new_priority in steps:
        at += dt.timedelta(seconds=gap)
        if kind == "pause":
            events.append(Event(at, STATUS_CHANGED, status="waiting_on_customer"))
        elif kind == "other_pause":
            events.append(Event(at, STATUS_CHANGED, status="on_hold"))
        elif kind == "resume":
            events.append(Event(at, STATUS_CHANGED, status="open"))
        elif kind == PRIORITY_CHANGED:
            events.append(Event(at, PRIORITY_CHANGED, priority=new_priority))
        else:
            events.append(Event(at, kind))
    return events, at


cases = st.tuples(
    policies(),
    instants(),
    st.sampled_from(PRIORITIES),
    st.lists(step, max_size=10),
    st.integers(0, 10 * 86_400),
)


@SETTINGS
@given(cases)
def test_a_due_time_is_never_before_the_clock_opened(case):
    policy, start, priority, steps, extra = case
    events, last = build_log(start, priority, steps)
    result = evaluate_clock(policy=policy, events=events, now=last + dt.timedelta(seconds=extra))
    for state in result.targets:
        if state.due is not None:
            assert state.opened_at is not None
            assert state.due >= state.opened_at >= start
        if state.breached_at is not None:
            assert state.breached_at >= start


@SETTINGS
@given(cases, st.integers(0, 10), st.integers(1, 40 * 3600), st.integers(0, 3600))
def test_pausing_never_moves_a_due_time_earlier(case, position, length, offset):
    policy, start, priority, steps, extra = case
    plain_steps = [s for s in steps if s[1] not in ("pause", "other_pause", "resume")]
    events, last = build_log(start, priority, plain_steps)
    pause_at = events[min(position, len(events) - 1)].at + dt.timedelta(seconds=offset)
    resume_at = pause_at + dt.timedelta(seconds=length)
    now = max(last, resume_at) + dt.timedelta(seconds=extra)
    paused_events = sorted(
        [
            *events,
            Event(pause_at, STATUS_CHANGED, status="on_hold"),
            Event(resume_at, STATUS_CHANGED, status="open"),
        ],
        key=lambda e: (e.at, e.kind != CREATED),
    )
    without = evaluate_clock(policy=policy, events=events, now=now)
    with_pause = evaluate_clock(policy=policy, events=paused_events, now=now)
    for name in (FIRST_RESPONSE, RESOLUTION):
        before, after = without.target(name), with_pause.target(name)
        if before is None or after is None or before.due is None or after.due is None:
            continue
        assert after.due >= before.due
        assert after.elapsed_seconds <= before.elapsed_seconds


@SETTINGS
@given(cases, st.integers(0, 20 * 86_400))
def test_elapsed_time_never_decreases_and_a_breach_never_goes_away_as_now_advances(case, later):
    policy, start, priority, steps, extra = case
    events, last = build_log(start, priority, steps)
    now = last + dt.timedelta(seconds=extra)
    earlier = evaluate_clock(policy=policy, events=events, now=now)
    after = evaluate_clock(policy=policy, events=events, now=now + dt.timedelta(seconds=later))
    for name in (FIRST_RESPONSE, RESOLUTION):
        before, current = earlier.target(name), after.target(name)
        if before is None or current is None:
            continue
        assert current.elapsed_seconds >= before.elapsed_seconds
        if before.breached_at is not None:
            assert current.breached_at == before.breached_at
    for state in earlier.targets:
        if state.breached_at is not None:
            assert after.target(state.name) is not None
            assert after.target(state.name).breached_at == state.breached_at


@SETTINGS
@given(cases)
def test_recomputing_from_the_same_events_gives_the_same_result(case):
    policy, start, priority, steps, extra = case
    events, last = build_log(start, priority, steps)
    now = last + dt.timedelta(seconds=extra)
    first = evaluate_clock(policy=policy, events=tuple(events), now=now)
    timeline.cache_clear()
    again = evaluate_clock(policy=policy, events=list(events), now=now)
    in_another_zone = evaluate_clock(
        policy=policy, events=events, now=now.astimezone(ZoneInfo("Pacific/Chatham"))
    )
    assert first == again == in_another_zone
