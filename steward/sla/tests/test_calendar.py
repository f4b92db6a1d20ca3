"""Business calendars without a database: windows, holidays, time zones and DST, in UTC."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from steward.sla.engine import calendar as cal_module
from steward.sla.engine.calendar import (
    FRIDAY,
    MONDAY,
    SUNDAY,
    TUESDAY,
    BusinessCalendar,
    add_business_seconds,
    business_seconds_between,
    holiday_dates,
    is_working,
    next_working_instant,
    parse_window,
    working_windows,
)
from steward.sla.engine.calendar import (
    timeline as timeline_of,
)

HOUR = 3600
BERLIN = BusinessCalendar.working_days("Europe/Berlin", "09:00-18:00")
SPLIT = BusinessCalendar.working_days("Europe/Berlin", "09:00-12:00", "13:00-17:00")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def local(zone: str, *args: int, fold: int = 0) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(zone), fold=fold)


def test_a_window_is_written_as_text_and_24_00_ends_the_day():
    assert parse_window("09:00-12:30") == (9 * HOUR, 12 * HOUR + 1800)
    assert parse_window("18:00-24:00") == (18 * HOUR, 24 * HOUR)
    assert parse_window("08:15:30 - 09:00") == (8 * HOUR + 930, 9 * HOUR)


@pytest.mark.parametrize("text", ["9-17", "09:00", "17:00-25:00", "09:61-10:00", "24:30-24:45"])
def test_a_malformed_window_is_refused(text):
    with pytest.raises(ValueError, match="not a window"):
        parse_window(text)


def test_overlapping_and_touching_windows_are_merged_and_backwards_ones_refused():
    calendar = BusinessCalendar.weekly(
        "UTC", {MONDAY: ["13:00-17:00", "09:00-12:00", "11:00-13:00", "17:00-18:00"]}
    )
    assert calendar.week[MONDAY] == ((9 * HOUR, 18 * HOUR),)
    with pytest.raises(ValueError, match="start < end"):
        BusinessCalendar.weekly("UTC", {MONDAY: ["12:00-09:00"]})


def test_a_calendar_without_hours_or_with_an_unknown_zone_is_refused():
    with pytest.raises(ValueError, match="at least one working window"):
        BusinessCalendar.weekly("UTC", {})
    with pytest.raises(ValueError, match="unknown time zone"):
        BusinessCalendar.working_days("Mars/Olympus_Mons", "09:00-17:00")
    with pytest.raises(ValueError, match="seven days"):
        BusinessCalendar("UTC", (((0, 60),),))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="no time zone"):
        business_seconds_between(BERLIN, dt.datetime(2026, 6, 8, 9), utc(2026, 6, 8, 12))
    with pytest.raises(ValueError, match="no time zone"):
        add_business_seconds(BERLIN, dt.datetime(2026, 6, 8, 9), 60)
    with pytest.raises(ValueError, match="no time zone"):
        is_working(BERLIN, dt.datetime(2026, 6, 8, 9))


def test_results_are_utc_whatever_zone_the_input_is_written_in():
    # Monday 2026-06-08 10:00 in Berlin (CEST, +02:00) is 08:00Z and 04:00 in New York (EDT).
    in_new_york = local("America/New_York", 2026, 6, 8, 4)
    due = add_business_seconds(BERLIN, in_new_york, 2 * HOUR)
    assert due == utc(2026, 6, 8, 10)
    assert due.tzinfo is dt.UTC


def test_business_time_between_counts_only_working_windows():
    # Friday 2026-06-05 17:00 CEST to Monday 2026-06-08 10:00 CEST: one hour Friday, one Monday.
    assert business_seconds_between(BERLIN, utc(2026, 6, 5, 15), utc(2026, 6, 8, 8)) == 2 * HOUR
    assert business_seconds_between(BERLIN, utc(2026, 6, 8, 8), utc(2026, 6, 5, 15)) == 0


def test_split_shift_skips_the_lunch_hour():
    # Monday 2026-06-08 09:00-17:00 CEST with lunch 12:00-13:00 holds seven working hours.
    assert business_seconds_between(SPLIT, utc(2026, 6, 8, 7), utc(2026, 6, 8, 15)) == 7 * HOUR
    # 11:30 plus one hour: 30 minutes before lunch, 30 after -> 13:30 CEST = 11:30Z.
    assert add_business_seconds(SPLIT, utc(2026, 6, 8, 9, 30), HOUR) == utc(2026, 6, 8, 11, 30)
    assert not is_working(SPLIT, utc(2026, 6, 8, 10, 30))


def test_a_total_reached_at_closing_time_is_the_closing_instant():
    # Monday 09:00 CEST + 9 working hours = Monday 18:00 CEST (16:00Z), not Tuesday 09:00.
    assert add_business_seconds(BERLIN, utc(2026, 6, 8, 7), 9 * HOUR) == utc(2026, 6, 8, 16)
    assert add_business_seconds(BERLIN, utc(2026, 6, 8, 7), 9 * HOUR + 1) == utc(
        2026, 6, 9, 7, 0, 1
    )


def test_adding_zero_seconds_is_the_start_itself_even_off_hours():
    saturday = utc(2026, 6, 6, 10)
    assert add_business_seconds(BERLIN, saturday, 0) == saturday
    with pytest.raises(ValueError, match="negative"):
        add_business_seconds(BERLIN, saturday, -1)


def test_next_working_instant_and_is_working_at_the_edges_of_a_window():
    # Windows are [09:00, 18:00): 09:00 is working, 18:00 is not.
    assert next_working_instant(BERLIN, utc(2026, 6, 8, 7)) == utc(2026, 6, 8, 7)
    assert next_working_instant(BERLIN, utc(2026, 6, 8, 12)) == utc(2026, 6, 8, 12)
    assert next_working_instant(BERLIN, utc(2026, 6, 8, 16)) == utc(2026, 6, 9, 7)
    assert next_working_instant(BERLIN, utc(2026, 6, 6, 8)) == utc(2026, 6, 8, 7)
    assert is_working(BERLIN, utc(2026, 6, 8, 7))
    assert is_working(BERLIN, utc(2026, 6, 8, 15, 59, 59))
    assert not is_working(BERLIN, utc(2026, 6, 8, 16))


def test_spring_forward_shifts_the_utc_offset_of_the_windows():
    # Berlin moves from +01:00 to +02:00 on Sunday 2026-03-29: Friday 09:00 CET is 08:00Z,
    # Monday 09:00 CEST is 07:00Z.
    assert working_windows(BERLIN, dt.date(2026, 3, 27)) == (
        (utc(2026, 3, 27, 8), utc(2026, 3, 27, 17)),
    )
    assert working_windows(BERLIN, dt.date(2026, 3, 30)) == (
        (utc(2026, 3, 30, 7), utc(2026, 3, 30, 16)),
    )


def test_the_skipped_local_hour_is_not_there():
    # 02:00-04:00 on 2026-03-29 in Berlin: 02:00-03:00 does not exist, one real hour remains
    # (03:00-04:00 CEST = 01:00Z-02:00Z).
    night = BusinessCalendar.weekly("Europe/Berlin", {SUNDAY: ["02:00-04:00"]})
    assert working_windows(night, dt.date(2026, 3, 29)) == (
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)),
    )
    # A window starting inside the gap opens at the moment of the change, 01:00Z.
    inside = BusinessCalendar.weekly("Europe/Berlin", {SUNDAY: ["02:30-05:00"]})
    assert working_windows(inside, dt.date(2026, 3, 29)) == (
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 3)),
    )
    empty = BusinessCalendar.weekly(
        "Europe/Berlin", {SUNDAY: ["02:10-02:50"], MONDAY: ["09:00-10:00"]}
    )
    assert working_windows(empty, dt.date(2026, 3, 29)) == ()


def test_the_repeated_hour_is_counted_for_each_real_pass():
    # New York goes back from EDT (-4) to EST (-5) at 02:00 on Sunday 2026-11-01: local 01:00-02:00
    # happens twice, from 05:00Z to 07:00Z.
    night = BusinessCalendar.weekly("America/New_York", {SUNDAY: ["01:00-02:00"]})
    assert working_windows(night, dt.date(2026, 11, 1)) == (
        (utc(2026, 11, 1, 5), utc(2026, 11, 1, 7)),
    )
    # Split at the repeated 01:30, the halves still add up: 00:00-01:30 ends at the first 01:30.
    halves = BusinessCalendar.weekly("America/New_York", {SUNDAY: ["00:00-01:30", "01:30-03:00"]})
    assert halves.week[SUNDAY] == ((0, 3 * HOUR),)
    first_half = BusinessCalendar.weekly("America/New_York", {SUNDAY: ["00:00-01:30"]})
    assert working_windows(first_half, dt.date(2026, 11, 1)) == (
        (utc(2026, 11, 1, 4), utc(2026, 11, 1, 5, 30)),
    )


def test_a_24_7_calendar_counts_real_time_across_fall_back():
    # 2026-11-01 00:00 EDT (04:00Z) to 2026-11-02 00:00 EST (05:00Z) is 25 real hours.
    start, end = utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)
    always = BusinessCalendar.always_open("America/New_York")
    assert business_seconds_between(always, start, end) == 25 * HOUR
    # The same through the window table (a holiday elsewhere turns the shortcut off).
    tabled = BusinessCalendar(
        "America/New_York", (((0, 86_400),),) * 7, frozenset({dt.date(2026, 12, 25)})
    )
    assert timeline_of(tabled) is not cal_module.REAL_TIME
    assert business_seconds_between(tabled, start, end) == 25 * HOUR
    # Three hours after 00:00 EDT the wall clock reads 02:00 EST (07:00Z).
    assert add_business_seconds(tabled, start, 3 * HOUR) == utc(2026, 11, 1, 7)


def test_lord_howe_days_gain_and_lose_thirty_minutes():
    # Lord Howe: +11 -> +10:30 at 02:00 on 2026-04-05 (24.5 h day); +10:30 -> +11 at 02:00 on
    # 2026-10-04 (23.5 h day).
    sundays = BusinessCalendar.weekly("Australia/Lord_Howe", {SUNDAY: ["00:00-24:00"]})
    assert working_windows(sundays, dt.date(2026, 4, 5)) == (
        (utc(2026, 4, 4, 13), utc(2026, 4, 5, 13, 30)),
    )
    assert working_windows(sundays, dt.date(2026, 10, 4)) == (
        (utc(2026, 10, 3, 13, 30), utc(2026, 10, 4, 13)),
    )
    autumn = business_seconds_between(sundays, utc(2026, 4, 4), utc(2026, 4, 6))
    assert autumn == 24 * HOUR + 1800


def test_kathmandu_windows_sit_at_a_quarter_hour_offset():
    # Nepal is +05:45 all year: 10:00-17:00 NPT is 04:15Z-11:15Z.
    nepal = BusinessCalendar.working_days("Asia/Kathmandu", "10:00-17:00")
    assert working_windows(nepal, dt.date(2026, 6, 8)) == (
        (utc(2026, 6, 8, 4, 15), utc(2026, 6, 8, 11, 15)),
    )


def test_windows_ending_at_24_00_run_into_the_next_days_midnight_window():
    # Monday 18:00-24:00 and Tuesday 00:00-06:00 in Berlin: one stretch through midnight.
    nights = BusinessCalendar.weekly(
        "Europe/Berlin", {MONDAY: ["18:00-24:00"], TUESDAY: ["00:00-06:00"]}
    )
    # Monday 2026-06-08 23:30 CEST (21:30Z) + 1 h = Tuesday 00:30 CEST (22:30Z); no minute lost.
    assert add_business_seconds(nights, utc(2026, 6, 8, 21, 30), HOUR) == utc(2026, 6, 8, 22, 30)
    assert business_seconds_between(nights, utc(2026, 6, 8, 21, 59), utc(2026, 6, 8, 22, 1)) == 120


def test_holidays_close_the_whole_local_day():
    # Thursday 2026-05-14 is Ascension Day in Germany: no windows; Friday opens as usual.
    german = holiday_dates(country="DE", years=[2026])
    calendar = BusinessCalendar.working_days("Europe/Berlin", "09:00-18:00", holidays=german)
    assert working_windows(calendar, dt.date(2026, 5, 14)) == ()
    assert next_working_instant(calendar, utc(2026, 5, 14, 8)) == utc(2026, 5, 15, 7)


def test_holiday_helper_joins_public_holidays_custom_days_and_spans():
    days = holiday_dates(
        country="DE",
        subdivision="BY",
        years=[2026],
        custom=[dt.date(2026, 8, 14)],
        spans=[(dt.date(2026, 12, 31), dt.date(2027, 1, 1))],
    )
    assert dt.date(2026, 10, 3) in days  # German Unity Day
    assert dt.date(2026, 1, 6) in days  # Epiphany, in Bavaria only
    assert dt.date(2026, 8, 14) in days
    assert {dt.date(2026, 12, 31), dt.date(2027, 1, 1)} <= days
    assert dt.date(2026, 1, 6) not in holiday_dates(country="DE", years=[2026])
    with pytest.raises(ValueError, match="no public holidays"):
        holiday_dates(country="XX", years=[2026])
    with pytest.raises(ValueError, match="before it starts"):
        holiday_dates(spans=[(dt.date(2027, 1, 1), dt.date(2026, 12, 31))])


def test_long_targets_cross_years_in_both_directions():
    # 2026 Monday-Friday without holidays has 261 weekdays (Thu 1 Jan to Thu 31 Dec) of 9 h,
    # and the clocks change on Sundays, so Berlin's hours are whole: 2349 working hours.
    start = local("Europe/Berlin", 2026, 1, 1)
    end = local("Europe/Berlin", 2027, 1, 1)
    assert business_seconds_between(BERLIN, start, end) == 261 * 9 * HOUR
    # A calendar asked about 2026 first, then about 2024, extends its table backwards.
    fresh = BusinessCalendar.working_days(
        "Europe/Berlin", "09:00-18:00", holidays={dt.date(1999, 1, 1)}
    )
    assert business_seconds_between(fresh, utc(2026, 6, 8, 7), utc(2026, 6, 8, 8)) == HOUR
    # Monday 2024-06-03 09:00 CEST (07:00Z) + 1 h.
    assert add_business_seconds(fresh, utc(2024, 6, 3, 7), HOUR) == utc(2024, 6, 3, 8)


def test_results_do_not_depend_on_the_servers_time_zone(monkeypatch):
    start = utc(2026, 6, 5, 15, 30)
    expected = utc(2026, 6, 8, 10, 30)  # Friday 17:30 CEST + 4 h = Monday 12:30 CEST
    for server_zone in ("Pacific/Kiritimati", "America/Los_Angeles", "Asia/Kathmandu"):
        monkeypatch.setenv("TZ", server_zone)
        time.tzset()
        fresh = BusinessCalendar.working_days(
            "Europe/Berlin", "09:00-18:00", holidays={dt.date(2001, 1, 1)}
        )
        assert add_business_seconds(fresh, start, 4 * HOUR) == expected
    monkeypatch.undo()
    time.tzset()


def test_microseconds_are_kept():
    start = utc(2026, 6, 8, 7, 0, 0, 250)
    assert add_business_seconds(BERLIN, start, 1.5) == utc(2026, 6, 8, 7, 0, 1, 500_250)
    assert business_seconds_between(BERLIN, start, utc(2026, 6, 8, 7, 0, 1, 500_250)) == 1.5


def test_weekday_constants_and_working_days():
    calendar = BusinessCalendar.working_days("UTC", "09:00-17:00")
    assert calendar.week[FRIDAY] == ((9 * HOUR, 17 * HOUR),)
    assert calendar.week[SUNDAY] == ()
    assert not calendar.is_always_open
    assert BusinessCalendar.always_open().is_always_open
