"""The SLA clock against the numbered cases of the SLA case list, without a database.

Every expected instant is a literal worked out by hand; the comment above it shows the sum.
Berlin is CEST (+02:00) in June and CET (+01:00) in winter, so 09:00 local is 07:00Z or 08:00Z.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from steward.sla.engine.calendar import MONDAY, TUESDAY, BusinessCalendar, holiday_dates
from steward.sla.engine.clock import (
    BREACH,
    BREACHED,
    CALENDAR,
    CLOSED,
    CREATED,
    CUSTOMER_REPLY,
    FIRST_RESPONSE,
    MET,
    NEXT_RESPONSE,
    NOT_STARTED,
    PAUSED,
    PRIORITY_CHANGED,
    PUBLIC_REPLY,
    REOPENED,
    RESOLUTION,
    RESOLVED,
    RUNNING,
    STATUS_CHANGED,
    CaseFacts,
    ClockResult,
    Event,
    Policy,
    PriorityTargets,
    Scope,
    Target,
    TargetState,
    evaluate_clock,
    match_policy,
    notifications_due,
)

HOUR = 3600
STANDARD = BusinessCalendar.working_days("Europe/Berlin", "09:00-18:00")
PAUSES = frozenset({"waiting_on_customer", "on_hold"})


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo("Europe/Berlin"))


def make_policy(
    calendar: BusinessCalendar = STANDARD,
    *,
    first: Target | None = None,
    nxt: Target | None = None,
    resolution: Target | None = None,
    priority: str = "normal",
    others: dict[str, PriorityTargets] | None = None,
    **options,
) -> Policy:
    targets = {priority: PriorityTargets(first, nxt, resolution), **(others or {})}
    options.setdefault("pause_statuses", PAUSES)
    return Policy(id=1, name="Support", calendar=calendar, targets=targets, **options)


def opened(at: dt.datetime, priority: str = "normal") -> Event:
    return Event(at, CREATED, status="open", priority=priority)


def status(at: dt.datetime, new: str) -> Event:
    return Event(at, STATUS_CHANGED, status=new)


def reply(at: dt.datetime) -> Event:
    return Event(at, PUBLIC_REPLY)


def run(policy: Policy | None, events: list[Event], now: dt.datetime, **kw) -> ClockResult:
    return evaluate_clock(policy=policy, events=tuple(events), now=now, **kw)


def state(result: ClockResult, name: str) -> TargetState:
    found = result.target(name)
    assert found is not None, f"{name} missing from {result}"
    return found


# 1 ---------------------------------------------------------------------------------------------


def test_case_01_friday_evening_case_is_due_monday_late_morning():
    policy = make_policy(first=Target(4 * HOUR))
    # Friday 2026-06-05 17:30 CEST: 30 min until 18:00, 3 h 30 on Monday from 09:00 -> Monday
    # 2026-06-08 12:30 CEST = 10:30Z.
    result = run(policy, [opened(berlin(2026, 6, 5, 17, 30))], now=berlin(2026, 6, 5, 23))
    first = state(result, FIRST_RESPONSE)
    assert first.due == utc(2026, 6, 8, 10, 30)
    assert (first.status, first.elapsed_seconds, first.percent_used) == (RUNNING, 1800, 12.5)


# 2 ---------------------------------------------------------------------------------------------


def test_case_02_split_shift_does_not_count_the_lunch_hour():
    split = BusinessCalendar.working_days("Europe/Berlin", "09:00-12:00", "13:00-17:00")
    policy = make_policy(split, first=Target(2 * HOUR))
    # Monday 2026-06-08 11:00 CEST: 11-12 is 1 h, lunch skipped, 13-14 the second -> 14:00 CEST.
    result = run(policy, [opened(berlin(2026, 6, 8, 11))], now=berlin(2026, 6, 8, 13, 30))
    first = state(result, FIRST_RESPONSE)
    assert first.due == utc(2026, 6, 8, 12)
    # At 13:30: 11:00-12:00 plus 13:00-13:30 = 1 h 30.
    assert first.elapsed_seconds == 5400


# 3 ---------------------------------------------------------------------------------------------


def test_case_03_monday_after_spring_forward_uses_the_summer_offset():
    policy = make_policy(first=Target(4 * HOUR))
    # Clocks went forward on Sunday 2026-03-29: Monday 09:00 CEST = 07:00Z, + 4 h = 11:00Z.
    result = run(policy, [opened(berlin(2026, 3, 30, 9))], now=berlin(2026, 3, 30, 9, 5))
    first = state(result, FIRST_RESPONSE)
    assert (first.started_at, first.due) == (utc(2026, 3, 30, 7), utc(2026, 3, 30, 11))


def test_case_03_a_weekend_with_the_clock_change_is_not_an_hour_off():
    policy = make_policy(first=Target(2 * HOUR))
    # Friday 2026-03-27 17:00 CET (16:00Z): 1 h Friday; Monday 09:00 CEST (07:00Z) + 1 h = 08:00Z.
    result = run(policy, [opened(berlin(2026, 3, 27, 17))], now=berlin(2026, 3, 28, 12))
    assert state(result, FIRST_RESPONSE).due == utc(2026, 3, 30, 8)


# 4 ---------------------------------------------------------------------------------------------


def test_case_04_fall_back_on_a_24_7_calendar_counts_the_repeated_hour_once_per_pass():
    new_york = BusinessCalendar.always_open("America/New_York")
    policy = make_policy(new_york, resolution=Target(24 * HOUR))
    # Saturday 2026-10-31 12:00 EDT = 16:00Z; 24 real hours later is 2026-11-01 16:00Z, which
    # the wall clock shows as 11:00 EST (the night had 25 hours).
    result = run(policy, [opened(utc(2026, 10, 31, 16))], now=utc(2026, 11, 1, 12))
    assert state(result, RESOLUTION).due == utc(2026, 11, 1, 16)


def test_case_04_the_fall_back_day_has_25_counted_hours():
    new_york = BusinessCalendar(
        "America/New_York", (((0, 86_400),),) * 7, frozenset({dt.date(2026, 7, 4)})
    )
    policy = make_policy(new_york, resolution=Target(48 * HOUR))
    # From 2026-11-01 00:00 EDT (04:00Z) to 2026-11-02 00:00 EST (05:00Z): 25 h = 90000 s.
    result = run(policy, [opened(utc(2026, 11, 1, 4))], now=utc(2026, 11, 2, 5))
    assert state(result, RESOLUTION).elapsed_seconds == 90_000


def test_case_04_calendar_mode_is_real_time_across_the_repeated_hour():
    policy = make_policy(resolution=Target(3 * HOUR, mode=CALENDAR))
    # 04:00Z + 3 real hours = 07:00Z, whatever the local clocks did.
    result = run(policy, [opened(utc(2026, 11, 1, 4))], now=utc(2026, 11, 1, 5))
    assert state(result, RESOLUTION).due == utc(2026, 11, 1, 7)


# 5 ---------------------------------------------------------------------------------------------


def test_case_05_opened_on_a_weekend_starts_at_the_next_opening():
    policy = make_policy(first=Target(4 * HOUR))
    # Saturday 2026-06-06 10:00 CEST: starts Monday 09:00 CEST (07:00Z), due 13:00 CEST (11:00Z).
    result = run(policy, [opened(berlin(2026, 6, 6, 10))], now=berlin(2026, 6, 7, 10))
    first = state(result, FIRST_RESPONSE)
    assert (first.started_at, first.due, first.elapsed_seconds) == (
        utc(2026, 6, 8, 7),
        utc(2026, 6, 8, 11),
        0,
    )


def test_case_05_opened_on_a_public_holiday_starts_the_next_working_morning():
    german = BusinessCalendar.working_days(
        "Europe/Berlin", "09:00-18:00", holidays=holiday_dates(country="DE", years=[2026])
    )
    policy = make_policy(german, first=Target(4 * HOUR))
    # Thursday 2026-05-14 is Ascension Day: starts Friday 09:00 CEST (07:00Z), due 13:00 (11:00Z).
    result = run(policy, [opened(berlin(2026, 5, 14, 10))], now=berlin(2026, 5, 14, 12))
    first = state(result, FIRST_RESPONSE)
    assert (first.started_at, first.due) == (utc(2026, 5, 15, 7), utc(2026, 5, 15, 11))


# 6 ---------------------------------------------------------------------------------------------


def test_case_06_24_7_across_midnight_loses_no_minute():
    policy = make_policy(BusinessCalendar.always_open("UTC"), first=Target(HOUR))
    # 23:30Z + 1 h = 00:30Z the next day; at 00:00:30 it has counted 30 min 30 s.
    result = run(policy, [opened(utc(2026, 6, 8, 23, 30))], now=utc(2026, 6, 9, 0, 0, 30))
    first = state(result, FIRST_RESPONSE)
    assert (first.due, first.elapsed_seconds) == (utc(2026, 6, 9, 0, 30), 1830)


def test_case_06_a_night_shift_through_midnight_loses_no_minute():
    nights = BusinessCalendar.weekly(
        "Europe/Berlin", {MONDAY: ["18:00-24:00"], TUESDAY: ["00:00-06:00"]}
    )
    policy = make_policy(nights, first=Target(HOUR))
    # Monday 2026-06-08 23:30 CEST (21:30Z) + 1 h = Tuesday 00:30 CEST (22:30Z Monday).
    result = run(policy, [opened(berlin(2026, 6, 8, 23, 30))], now=berlin(2026, 6, 9, 0, 15))
    first = state(result, FIRST_RESPONSE)
    assert (first.due, first.elapsed_seconds) == (utc(2026, 6, 8, 22, 30), 2700)


# 7 ---------------------------------------------------------------------------------------------


def test_case_07_a_deadline_landing_at_closing_time_is_due_at_the_close():
    policy = make_policy(first=Target(9 * HOUR))
    # Monday 2026-06-08 09:00 CEST + 9 h = 18:00 CEST (16:00Z), not Tuesday 09:00.
    events = [opened(berlin(2026, 6, 8, 9))]
    assert state(run(policy, events, berlin(2026, 6, 8, 10)), FIRST_RESPONSE).due == utc(
        2026, 6, 8, 16
    )
    on_the_dot = run(policy, [*events, reply(berlin(2026, 6, 8, 18))], berlin(2026, 6, 8, 19))
    assert state(on_the_dot, FIRST_RESPONSE).status == MET


def test_case_07_at_the_due_instant_the_target_is_used_up_but_not_yet_breached():
    policy = make_policy(first=Target(9 * HOUR))
    events = [opened(berlin(2026, 6, 8, 9))]
    at_close = state(run(policy, events, berlin(2026, 6, 8, 18)), FIRST_RESPONSE)
    assert (at_close.status, at_close.percent_used, at_close.warning_level) == (RUNNING, 100, 90)
    just_after = state(run(policy, events, berlin(2026, 6, 8, 18, 0, 1)), FIRST_RESPONSE)
    assert (just_after.status, just_after.breached_at) == (BREACHED, utc(2026, 6, 8, 16))


def test_case_07_after_the_close_the_target_is_breached_though_no_hour_was_worked():
    policy = make_policy(first=Target(9 * HOUR))
    events = [opened(berlin(2026, 6, 8, 9))]
    evening = state(run(policy, events, berlin(2026, 6, 8, 20)), FIRST_RESPONSE)
    assert (evening.status, evening.breached_at, evening.elapsed_seconds) == (
        BREACHED,
        utc(2026, 6, 8, 16),
        9 * HOUR,
    )
    # The reply at Tuesday's opening comes after the due instant: late, still breached.
    late = run(policy, [*events, reply(berlin(2026, 6, 9, 9))], berlin(2026, 6, 9, 10))
    first = state(late, FIRST_RESPONSE)
    assert (first.status, first.met_at, first.breached_at) == (
        BREACHED,
        utc(2026, 6, 9, 7),
        utc(2026, 6, 8, 16),
    )


# 8 ---------------------------------------------------------------------------------------------


def test_case_08_two_pauses_are_excluded_in_business_time():
    policy = make_policy(resolution=Target(8 * HOUR))
    events = [
        opened(berlin(2026, 6, 8, 9)),
        status(berlin(2026, 6, 8, 10), "waiting_on_customer"),
        status(berlin(2026, 6, 8, 11), "open"),
        status(berlin(2026, 6, 8, 14), "on_hold"),
        status(berlin(2026, 6, 8, 15), "open"),
    ]
    result = state(run(policy, events, berlin(2026, 6, 8, 17)), RESOLUTION)
    # Counted 09-10, 11-14, 15-17 = 6 h; paused 2 h. Monday holds 9 - 2 = 7 h by 18:00, the
    # eighth hour is Tuesday 09-10 -> due 10:00 CEST = 08:00Z.
    assert (result.elapsed_seconds, result.paused_seconds, result.due) == (
        6 * HOUR,
        2 * HOUR,
        utc(2026, 6, 9, 8),
    )


def test_case_08_a_pause_over_the_weekend_costs_only_its_business_hours():
    policy = make_policy(resolution=Target(16 * HOUR))
    events = [
        opened(berlin(2026, 6, 12, 9)),
        status(berlin(2026, 6, 12, 17), "waiting_on_customer"),
        status(berlin(2026, 6, 15, 10), "open"),
    ]
    result = state(run(policy, events, berlin(2026, 6, 15, 12)), RESOLUTION)
    # Counted Friday 09-17 (8 h) and Monday 10-12 (2 h) = 10 h; paused Friday 17-18 and Monday
    # 09-10 = 2 business hours (not 65 wall-clock hours). 6 h left from Monday 12:00 -> 18:00 CEST.
    assert (result.elapsed_seconds, result.paused_seconds, result.due) == (
        10 * HOUR,
        2 * HOUR,
        utc(2026, 6, 15, 16),
    )


def test_case_08_pause_to_pause_counts_the_pause_once():
    policy = make_policy(resolution=Target(8 * HOUR))
    events = [
        opened(berlin(2026, 6, 8, 9)),
        status(berlin(2026, 6, 8, 10), "waiting_on_customer"),
        status(berlin(2026, 6, 8, 11), "on_hold"),
        status(berlin(2026, 6, 8, 12), "open"),
    ]
    result = state(run(policy, events, berlin(2026, 6, 8, 13)), RESOLUTION)
    # Paused 10-12 once = 2 h; counted 09-10 and 12-13 = 2 h; due Tuesday 10:00 CEST (08:00Z).
    assert (result.paused_seconds, result.elapsed_seconds, result.due) == (
        2 * HOUR,
        2 * HOUR,
        utc(2026, 6, 9, 8),
    )


def test_case_08_while_paused_there_is_no_due_time_and_the_status_says_so():
    policy = make_policy(resolution=Target(8 * HOUR))
    events = [opened(berlin(2026, 6, 8, 9)), status(berlin(2026, 6, 8, 10), "on_hold")]
    result = state(run(policy, events, berlin(2026, 6, 8, 15)), RESOLUTION)
    assert (result.status, result.due, result.elapsed_seconds, result.remaining_seconds) == (
        PAUSED,
        None,
        HOUR,
        7 * HOUR,
    )


# 9 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reply_first", [True, False])
def test_case_09_a_reply_and_a_pause_at_the_same_instant_meet_the_response(reply_first):
    policy = make_policy(first=Target(HOUR))
    instant = berlin(2026, 6, 8, 10)  # exactly the due time: 09:00 CEST + 1 h
    pair = [reply(instant), status(instant, "waiting_on_customer")]
    events = [opened(berlin(2026, 6, 8, 9)), *(pair if reply_first else pair[::-1])]
    first = state(run(policy, events, berlin(2026, 6, 8, 16)), FIRST_RESPONSE)
    assert (first.status, first.met_at, first.breached_at) == (MET, utc(2026, 6, 8, 8), None)


# 10 --------------------------------------------------------------------------------------------


PRIORITIES = {
    "urgent": PriorityTargets(resolution=Target(4 * HOUR)),
    "high": PriorityTargets(resolution=Target(8 * HOUR)),
}


def priority_case(new: str) -> list[Event]:
    return [
        opened(berlin(2026, 6, 8, 9)),
        status(berlin(2026, 6, 8, 11), "waiting_on_customer"),
        status(berlin(2026, 6, 8, 13), "open"),
        Event(berlin(2026, 6, 8, 16), PRIORITY_CHANGED, priority=new),
    ]


def test_case_10_raising_priority_keeps_elapsed_time_and_pause():
    policy = make_policy(resolution=Target(16 * HOUR), others=PRIORITIES)
    result = state(run(policy, priority_case("high"), berlin(2026, 6, 8, 17)), RESOLUTION)
    # Counted 09-11 and 13-17 = 6 h, paused 2 h. High = 8 h from the original start with the pause
    # kept: Monday gives 7 h by 18:00, the 8th is Tuesday 09-10 -> 10:00 CEST = 08:00Z.
    # (Restarting at the change would say Tuesday 15:00; dropping the pause, Monday 17:00.)
    assert (result.status, result.target_seconds, result.elapsed_seconds) == (
        RUNNING,
        8 * HOUR,
        6 * HOUR,
    )
    assert (result.paused_seconds, result.due) == (2 * HOUR, utc(2026, 6, 9, 8))


def test_case_10_a_new_target_already_used_up_breaches_at_the_change():
    policy = make_policy(resolution=Target(16 * HOUR), others=PRIORITIES)
    result = state(run(policy, priority_case("urgent"), berlin(2026, 6, 8, 17)), RESOLUTION)
    # At 16:00 CEST 5 h are counted (09-11, 13-16); urgent allows 4 h, reached at 15:00 CEST
    # (13:00Z). The breach is dated at the change, 16:00 CEST = 14:00Z, never before it.
    assert (result.status, result.due, result.breached_at) == (
        BREACHED,
        utc(2026, 6, 8, 13),
        utc(2026, 6, 8, 14),
    )


# 11 --------------------------------------------------------------------------------------------


def reopen_case() -> list[Event]:
    return [
        opened(berlin(2026, 6, 8, 9)),
        Event(berlin(2026, 6, 8, 12), RESOLVED),
        Event(berlin(2026, 6, 10, 10), REOPENED, status="open"),
    ]


def test_case_11_resolved_case_has_met_its_resolution():
    policy = make_policy(resolution=Target(8 * HOUR))
    result = state(run(policy, reopen_case()[:2], berlin(2026, 6, 9, 12)), RESOLUTION)
    # Resolved Monday 12:00 CEST (10:00Z) after 3 h of 8; the due it beat: 12:00 + 5 h = 17:00
    # CEST (15:00Z).
    assert (result.status, result.met_at, result.elapsed_seconds, result.due) == (
        MET,
        utc(2026, 6, 8, 10),
        3 * HOUR,
        utc(2026, 6, 8, 15),
    )


def test_case_11_reopening_resumes_the_resolution_clock_without_the_resolved_period():
    policy = make_policy(resolution=Target(8 * HOUR))
    result = state(run(policy, reopen_case(), berlin(2026, 6, 10, 11)), RESOLUTION)
    # 3 h before the resolution + Wednesday 10-11 = 4 h counted; 5 h left from Wednesday 10:00 ->
    # 15:00 CEST (13:00Z). Not counted since opening: Monday 12-18 (6), Tuesday (9), Wednesday
    # 09-10 (1) = 16 h.
    assert (result.status, result.met_at, result.elapsed_seconds) == (RUNNING, None, 4 * HOUR)
    assert (result.due, result.paused_seconds) == (utc(2026, 6, 10, 13), 16 * HOUR)
    again = [*reopen_case(), Event(berlin(2026, 6, 10, 14), RESOLVED)]
    final = state(run(policy, again, berlin(2026, 6, 10, 16)), RESOLUTION)
    assert (final.status, final.met_at, final.elapsed_seconds) == (
        MET,
        utc(2026, 6, 10, 12),
        7 * HOUR,
    )


def test_case_11_a_breach_before_the_resolution_survives_reopen_and_resolve():
    policy = make_policy(resolution=Target(2 * HOUR))
    events = [*reopen_case(), Event(berlin(2026, 6, 10, 10, 30), RESOLVED)]
    result = state(run(policy, events, berlin(2026, 6, 10, 12)), RESOLUTION)
    # Due 11:00 CEST Monday (09:00Z), resolved at 12:00: breached at 09:00Z for good.
    assert (result.status, result.breached_at) == (BREACHED, utc(2026, 6, 8, 9))


# 12 --------------------------------------------------------------------------------------------


V1 = make_policy(first=Target(HOUR), resolution=Target(4 * HOUR))
V2 = make_policy(
    first=Target(4 * HOUR),
    resolution=Target(16 * HOUR),
    version=2,
    effective_from=berlin(2026, 6, 8, 11),
)


def test_case_12_an_edited_policy_keeps_the_breach_and_clears_a_warning():
    events = [opened(berlin(2026, 6, 8, 9))]
    before = run(V1, events, berlin(2026, 6, 8, 11))
    # v1: first response due 10:00 CEST (08:00Z), breached; resolution 2 h of 4 = 50 %.
    assert state(before, FIRST_RESPONSE).breached_at == utc(2026, 6, 8, 8)
    assert state(before, RESOLUTION).warning_level == 50
    after = run(V2, events, berlin(2026, 6, 8, 11), previous=before)
    first, resolution = state(after, FIRST_RESPONSE), state(after, RESOLUTION)
    assert (first.status, first.breached_at) == (BREACHED, utc(2026, 6, 8, 8))
    # v2: 2 h of 16 = 12.5 %: the 50 % warning no longer applies.
    assert (resolution.warning_level, resolution.alerts, resolution.percent_used) == (0, (), 12.5)
    assert after.policy_version == 2


def test_case_12_a_deactivated_policy_leaves_no_sla_but_keeps_the_breach():
    events = [opened(berlin(2026, 6, 8, 9))]
    before = run(V1, events, berlin(2026, 6, 8, 11))
    after = run(None, events, berlin(2026, 6, 8, 12), previous=before)
    assert after.no_sla
    assert after.breached_targets == (FIRST_RESPONSE,)
    assert state(after, FIRST_RESPONSE).breached_at == utc(2026, 6, 8, 8)


def test_case_12_a_tighter_version_breaches_nothing_before_it_took_effect():
    tighter = make_policy(first=Target(1800), version=3, effective_from=berlin(2026, 6, 8, 11))
    answered = [opened(berlin(2026, 6, 8, 9)), reply(berlin(2026, 6, 8, 9, 45))]
    # Met at 09:45 under the version then in force (1 h); the 30-minute version came later.
    assert state(run(tighter, answered, berlin(2026, 6, 8, 12)), FIRST_RESPONSE).status == MET
    waiting = run(tighter, answered[:1], berlin(2026, 6, 8, 12))
    # Unanswered: due 09:30 CEST under the new version, breached when it took effect, 11:00 CEST.
    assert state(waiting, FIRST_RESPONSE).breached_at == utc(2026, 6, 8, 9)


# 13 --------------------------------------------------------------------------------------------


def test_case_13_a_breach_is_not_hidden_by_pause_priority_or_status_changes():
    policy = make_policy(
        first=Target(HOUR),
        resolution=Target(8 * HOUR),
        others={"low": PriorityTargets(Target(8 * HOUR), None, Target(40 * HOUR))},
    )
    events = [
        opened(berlin(2026, 6, 8, 9)),
        status(berlin(2026, 6, 8, 10, 30), "waiting_on_customer"),
        Event(berlin(2026, 6, 8, 11), PRIORITY_CHANGED, priority="low"),
        status(berlin(2026, 6, 8, 11, 30), "open"),
        reply(berlin(2026, 6, 8, 12)),
        Event(berlin(2026, 6, 8, 12, 30), RESOLVED),
        Event(berlin(2026, 6, 8, 12, 31), CLOSED),
    ]
    result = run(policy, events, berlin(2026, 6, 8, 13))
    first = state(result, FIRST_RESPONSE)
    # Due 10:00 CEST (08:00Z) under "normal"; the pause, the lower priority and the late reply
    # at 12:00 CEST (10:00Z) do not undo it.
    assert (first.status, first.breached_at, first.met_at) == (
        BREACHED,
        utc(2026, 6, 8, 8),
        utc(2026, 6, 8, 10),
    )
    assert result.breached_targets == (FIRST_RESPONSE,)
    assert state(result, RESOLUTION).status == MET


# 14 --------------------------------------------------------------------------------------------


def test_case_14_account_zone_differs_from_server_and_agent(monkeypatch):
    nepal = BusinessCalendar.working_days("Asia/Kathmandu", "10:00-17:00")
    policy = make_policy(nepal, first=Target(2 * HOUR))
    # The agent in New York logs 06:15 EDT = 10:15Z = 16:00 NPT: 1 h Monday, 1 h Tuesday from
    # 10:00 NPT -> 11:00 NPT = 05:15Z.
    events = [opened(dt.datetime(2026, 6, 8, 6, 15, tzinfo=ZoneInfo("America/New_York")))]
    now = dt.datetime(2026, 6, 8, 20, tzinfo=ZoneInfo("Europe/London"))
    for server_zone in ("America/Los_Angeles", "Asia/Tokyo", "UTC"):
        monkeypatch.setenv("TZ", server_zone)
        time.tzset()
        assert state(run(policy, events, now), FIRST_RESPONSE).due == utc(2026, 6, 9, 5, 15)
    monkeypatch.undo()
    time.tzset()


# 15 --------------------------------------------------------------------------------------------


def test_case_15_no_matching_policy_means_no_sla_and_no_deadline():
    gold_only = make_policy(scope=Scope(account_tiers=frozenset({"gold"})), first=Target(HOUR))
    facts = CaseFacts(account_id=7, account_tier="silver", priority="normal")
    assert match_policy([gold_only], facts) is None
    result = run(None, [opened(berlin(2026, 6, 8, 9))], berlin(2026, 6, 8, 12))
    assert (result.no_sla, result.targets, result.breached_targets) == (True, (), ())


def test_policy_matching_takes_the_first_by_order_then_the_default():
    def policy(pid: int, order: int, scope: Scope, **kw) -> Policy:
        return Policy(pid, f"p{pid}", STANDARD, {}, scope=scope, order=order, **kw)

    contract = policy(1, 10, Scope(contract_ids=frozenset({42})))
    gold_urgent = policy(
        2, 20, Scope(account_tiers=frozenset({"gold"}), priorities=frozenset({"urgent"}))
    )
    gold = policy(3, 30, Scope(account_tiers=frozenset({"gold"})))
    retired = policy(4, 0, Scope(), active=False)
    default = policy(5, 99, Scope(account_tiers=frozenset({"nobody"})), is_default=True)
    policies = [default, gold, retired, gold_urgent, contract]
    assert match_policy(policies, CaseFacts(account_tier="gold", contract_id=42)) is contract
    assert match_policy(policies, CaseFacts(account_tier="gold", priority="urgent")) is gold_urgent
    assert match_policy(policies, CaseFacts(account_tier="gold", priority="low")) is gold
    assert match_policy(policies, CaseFacts(account_tier="silver")) is default
    assert match_policy([*policies[1:]], CaseFacts(account_tier="silver")) is None
    any_case = policy(6, 50, Scope())
    assert match_policy([any_case, default], CaseFacts()) is any_case


# 16 --------------------------------------------------------------------------------------------


def test_case_16_each_warning_and_the_breach_fire_once():
    policy = make_policy(resolution=Target(4 * HOUR))
    events = [opened(berlin(2026, 6, 8, 9))]
    # From 09:00 CEST: 50 % at 11:00, 75 % at 12:00, 90 % at 12:36, due 13:00.
    fired = []
    previous = None
    for hour, minute in [(10, 0), (11, 30), (11, 45), (12, 40), (13, 5), (13, 10)]:
        result = run(policy, events, berlin(2026, 6, 8, hour, minute))
        fired.append([(a.kind, a.threshold) for a in notifications_due(result, previous)])
        previous = result
    assert fired == [
        [],
        [("warning", 50)],
        [],
        [("warning", 75), ("warning", 90)],
        [(BREACH, None)],
        [],
    ]
    at_1240 = run(policy, events, berlin(2026, 6, 8, 12, 40))
    marks = [(a.threshold, a.at) for a in state(at_1240, RESOLUTION).alerts]
    assert marks == [
        (50, utc(2026, 6, 8, 9)),
        (75, utc(2026, 6, 8, 10)),
        (90, utc(2026, 6, 8, 10, 36)),
    ]


def test_case_16_warnings_wait_for_business_hours_when_the_policy_says_so():
    policy = make_policy(resolution=Target(72 * HOUR, mode=CALENDAR), notify_in_business_hours=True)
    events = [opened(berlin(2026, 6, 12, 15))]
    # Friday 15:00 CEST + 36 h = Sunday 03:00 (50 %), + 54 h = Sunday 21:00 (75 %), + 64.8 h =
    # Monday 07:48 (90 %); all held until Monday 09:00 CEST (07:00Z).
    sunday = run(policy, events, berlin(2026, 6, 14, 22))
    assert state(sunday, RESOLUTION).warning_level == 75
    assert notifications_due(sunday) == ()
    monday = run(policy, events, berlin(2026, 6, 15, 9, 30))
    sent = notifications_due(monday, sunday)
    assert [(a.threshold, a.notify_at) for a in sent] == [
        (50, utc(2026, 6, 15, 7)),
        (75, utc(2026, 6, 15, 7)),
        (90, utc(2026, 6, 15, 7)),
    ]
    assert notifications_due(run(policy, events, berlin(2026, 6, 15, 10)), monday) == ()


# 17 --------------------------------------------------------------------------------------------


def test_case_17_leap_day_is_a_working_day():
    utc_office = BusinessCalendar.working_days("UTC", "09:00-17:00")
    policy = make_policy(
        utc_office,
        first=Target(8 * HOUR),
        resolution=Target(48 * HOUR, mode=CALENDAR),
    )
    # Monday 2028-02-28 16:00Z: 1 h Monday + 7 h Tuesday 29 February -> 2028-02-29 16:00Z.
    # 48 real hours from Monday 12:00Z is Wednesday 1 March 12:00Z.
    result = run(policy, [opened(utc(2028, 2, 28, 16))], utc(2028, 2, 28, 17))
    assert state(result, FIRST_RESPONSE).due == utc(2028, 2, 29, 16)
    real = run(policy, [opened(utc(2028, 2, 28, 12))], utc(2028, 2, 28, 13))
    assert state(real, RESOLUTION).due == utc(2028, 3, 1, 12)


def test_case_17_a_holiday_spanning_new_year():
    closure = holiday_dates(spans=[(dt.date(2026, 12, 31), dt.date(2027, 1, 1))])
    calendar = BusinessCalendar.working_days("Europe/Berlin", "09:00-18:00", holidays=closure)
    policy = make_policy(calendar, first=Target(4 * HOUR))
    # Wednesday 2026-12-30 17:00 CET: 1 h; Thu 31 Dec and Fri 1 Jan closed, then the weekend;
    # Monday 2027-01-04 09:00 + 3 h = 12:00 CET = 11:00Z.
    result = run(policy, [opened(berlin(2026, 12, 30, 17))], berlin(2026, 12, 31, 12))
    assert state(result, FIRST_RESPONSE).due == utc(2027, 1, 4, 11)


def test_case_17_kathmandu_opens_at_a_quarter_past_in_utc():
    nepal = BusinessCalendar.working_days("Asia/Kathmandu", "10:00-17:00")
    policy = make_policy(nepal, first=Target(HOUR))
    # Saturday 2026-06-06: starts Monday 10:00 NPT = 04:15Z, due 11:00 NPT = 05:15Z.
    result = run(policy, [opened(utc(2026, 6, 6, 6))], utc(2026, 6, 6, 7))
    first = state(result, FIRST_RESPONSE)
    assert (first.started_at, first.due) == (utc(2026, 6, 8, 4, 15), utc(2026, 6, 8, 5, 15))


def test_case_17_lord_howe_half_hour_change():
    lord_howe = BusinessCalendar.working_days("Australia/Lord_Howe", "09:00-17:00")
    policy = make_policy(lord_howe, first=Target(2 * HOUR), resolution=Target(24 * HOUR, CALENDAR))
    # Friday 2026-04-03 16:00 LHDT (+11) = 05:00Z: 1 h Friday. Clocks go back 30 min on Sunday
    # 2026-04-05; Monday 09:00 LHST (+10:30) = Sunday 22:30Z, + 1 h = 23:30Z.
    result = run(policy, [opened(utc(2026, 4, 3, 5))], utc(2026, 4, 3, 6))
    assert state(result, FIRST_RESPONSE).due == utc(2026, 4, 5, 23, 30)
    # 24 real hours from Saturday 12:00 LHDT (01:00Z) is Sunday 01:00Z, 11:30 on the wall clock.
    real = run(policy, [opened(utc(2026, 4, 4, 1))], utc(2026, 4, 4, 2))
    assert state(real, RESOLUTION).due == utc(2026, 4, 5, 1)


# Next response and the event log ----------------------------------------------------------------


def test_next_response_runs_per_customer_reply_after_the_first_response():
    policy = make_policy(first=Target(HOUR), nxt=Target(2 * HOUR))
    base = [opened(berlin(2026, 6, 8, 9))]
    before = run(policy, base, berlin(2026, 6, 8, 9, 30))
    assert state(before, NEXT_RESPONSE).status == NOT_STARTED
    # A customer reply before the first answer is covered by the first response clock.
    early = [*base, Event(berlin(2026, 6, 8, 9, 10), CUSTOMER_REPLY)]
    assert state(run(policy, early, berlin(2026, 6, 8, 9, 30)), NEXT_RESPONSE).status == NOT_STARTED
    events = [
        *base,
        reply(berlin(2026, 6, 8, 9, 30)),
        Event(berlin(2026, 6, 8, 10), CUSTOMER_REPLY),
        reply(berlin(2026, 6, 8, 13)),  # 3 h later: the first cycle (due 12:00 CEST) is missed
        Event(berlin(2026, 6, 8, 14), CUSTOMER_REPLY),
    ]
    result = state(run(policy, events, berlin(2026, 6, 8, 15)), NEXT_RESPONSE)
    # Second cycle: 14:00 CEST + 2 h = 16:00 CEST (14:00Z), running; the first breach stays.
    assert (result.status, result.breached_at, result.breaches) == (
        BREACHED,
        utc(2026, 6, 8, 10),
        1,
    )
    assert (result.opened_at, result.due, result.elapsed_seconds) == (
        utc(2026, 6, 8, 12),
        utc(2026, 6, 8, 14),
        HOUR,
    )


def test_resolving_answers_an_open_response_clock():
    policy = make_policy(first=Target(HOUR), resolution=Target(8 * HOUR))
    events = [opened(berlin(2026, 6, 8, 9)), Event(berlin(2026, 6, 8, 9, 20), RESOLVED)]
    first = state(run(policy, events, berlin(2026, 6, 8, 12)), FIRST_RESPONSE)
    assert (first.status, first.met_at) == (MET, utc(2026, 6, 8, 7, 20))


def test_events_after_now_are_ignored_and_the_log_must_start_with_creation():
    policy = make_policy(first=Target(HOUR))
    events = [opened(berlin(2026, 6, 8, 9)), reply(berlin(2026, 6, 8, 9, 30))]
    assert state(run(policy, events, berlin(2026, 6, 8, 9, 15)), FIRST_RESPONSE).status == RUNNING
    with pytest.raises(ValueError, match="start with the case's creation"):
        run(policy, events[1:], berlin(2026, 6, 8, 10))
    with pytest.raises(ValueError, match="created once"):
        run(policy, [*events, opened(berlin(2026, 6, 8, 9, 40))], berlin(2026, 6, 8, 10))
    with pytest.raises(ValueError, match="no time zone"):
        run(policy, events, dt.datetime(2026, 6, 8, 10))
    with pytest.raises(ValueError, match="unknown event kind"):
        Event(berlin(2026, 6, 8, 9), "escalated")
