"""Business calendars: when work happens, as real instants on the UTC time line.

A calendar has an IANA time zone, a weekly schedule of working windows per weekday (several per
day for split shifts; a window may end at 24:00) and a set of local holiday dates. Everything is
evaluated in the calendar's zone and answered in UTC, so no result depends on the server's zone.

How a local window becomes real time. A window such as 09:00-17:00 on a date is the stretch of
real time between the first instant at which the local clock reads 09:00 (or later) and the first
instant at which it reads 17:00 (or later):

- a wall time that exists once maps to its one instant;
- a wall time repeated when clocks go back (the fold) maps to its first occurrence (fold=0), so
  a window covering the repeated hour contains both passes of it: a 24-hour schedule has 25 real
  hours that day and business time equals real elapsed time;
- a wall time skipped when clocks go forward (the gap) maps to the moment of the change, so the
  missing local hour is simply not there: a window 02:00-04:00 on that day lasts one hour.

This mapping never goes backwards, so windows of a day follow each other in real time, a window
split in two lasts exactly as long as the whole, and a window ending at 24:00 ends where the next
day's 00:00 window begins.

Speed. Each calendar keeps a table of its windows in UTC microseconds, built a local year at a
time (day by day over the schedule, holidays left out) together with the running total of working
time before each window. Business time between two instants is then a difference of two running
totals and "the instant N working seconds later" is a binary search in the totals: the cost does
not grow with the length of the interval. A 24/7 calendar without holidays skips the table
altogether: its business time is real time.
"""

from __future__ import annotations

import datetime as dt
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_tables

UTC = dt.UTC
US_PER_SECOND = 1_000_000
DAY_SECONDS = 86_400
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
WORKING_DAYS = (MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY)

Window = tuple[int, int]
"""A working window as (start, end) seconds after local midnight; end is exclusive, at most 24:00."""

WeekSchedule = tuple[tuple[Window, ...], ...]
"""Seven tuples of windows, Monday first."""

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)
_ONE_US = dt.timedelta(microseconds=1)
_FULL_DAY: tuple[Window, ...] = ((0, DAY_SECONDS),)


def to_us(moment: dt.datetime) -> int:
    """An aware datetime as whole microseconds since the Unix epoch; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; pass an aware datetime")
    return (moment - _EPOCH) // _ONE_US


def from_us(us: int) -> dt.datetime:
    """Microseconds since the Unix epoch as an aware UTC datetime."""
    return _EPOCH + dt.timedelta(0, 0, us)


def parse_window(text: str) -> Window:
    """A window written like '09:00-12:30' (seconds allowed, '24:00' as an end) in seconds after midnight."""
    try:
        start_text, end_text = (part.strip() for part in text.split("-"))
        start, end = _seconds_of_day(start_text), _seconds_of_day(end_text)
    except ValueError as error:
        raise ValueError(f"{text!r} is not a window like '09:00-17:00'") from error
    return start, end


def _seconds_of_day(text: str) -> int:
    parts = [int(part) for part in text.split(":")]
    if len(parts) not in (2, 3):
        raise ValueError(text)
    hours, minutes, seconds = (*parts, 0)[:3]
    if not (0 <= minutes < 60 and 0 <= seconds < 60 and 0 <= hours <= 24):
        raise ValueError(text)
    total = hours * 3600 + minutes * 60 + seconds
    if total > DAY_SECONDS:
        raise ValueError(text)
    return total


def _normalised_day(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Windows of one weekday sorted, checked, and merged where they overlap or touch."""
    merged: list[list[int]] = []
    for start, end in sorted((int(s), int(e)) for s, e in windows):
        if not 0 <= start < end <= DAY_SECONDS:
            raise ValueError(f"window ({start}, {end}) must satisfy 0 <= start < end <= 86400")
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def holiday_dates(
    *,
    country: str | None = None,
    subdivision: str | None = None,
    years: Iterable[int] = (),
    custom: Iterable[dt.date] = (),
    spans: Iterable[tuple[dt.date, dt.date]] = (),
) -> frozenset[dt.date]:
    """Public holidays of a country (and subdivision) for some years, plus custom days and spans.

    A span is inclusive at both ends, so a closure from 31 December to 1 January is
    `(date(2026, 12, 31), date(2027, 1, 1))`.
    """
    days: set[dt.date] = set(custom)
    year_list = sorted(set(years))
    if country is not None and year_list:
        try:
            table = holiday_tables.country_holidays(country, subdiv=subdivision, years=year_list)
        except NotImplementedError as error:
            raise ValueError(
                f"no public holidays known for {country!r} {subdivision or ''}"
            ) from error
        days.update(table.keys())
    for first, last in spans:
        if last < first:
            raise ValueError(f"holiday span ends ({last}) before it starts ({first})")
        days.update(first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return frozenset(days)


@dataclass(frozen=True)
class BusinessCalendar:
    """When work happens: a time zone, the working windows of each weekday and the holidays.

    Holidays are local dates on which no window opens. Windows are normalised on construction
    (sorted, overlapping or touching ones merged); a calendar without any working window is
    refused because no deadline could ever fall on it.
    """

    time_zone: str
    week: WeekSchedule
    holidays: frozenset[dt.date] = frozenset()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {self.time_zone!r}") from error
        if len(self.week) != 7:
            raise ValueError("a week schedule has seven days, Monday first")
        week = tuple(_normalised_day(day) for day in self.week)
        if not any(week):
            raise ValueError("a calendar needs at least one working window")
        object.__setattr__(self, "week", week)
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    @classmethod
    def weekly(
        cls,
        time_zone: str,
        schedule: Mapping[int, Iterable[str]],
        holidays: Iterable[dt.date] = (),
    ) -> BusinessCalendar:
        """A calendar from windows written as text per weekday (0 = Monday), e.g. {0: ["09:00-12:00", "13:00-17:00"]}."""
        week = tuple(
            tuple(parse_window(text) for text in schedule.get(day, ())) for day in range(7)
        )
        return cls(time_zone, week, frozenset(holidays))

    @classmethod
    def working_days(
        cls, time_zone: str, *windows: str, holidays: Iterable[dt.date] = ()
    ) -> BusinessCalendar:
        """Monday to Friday with the same windows each day, e.g. ("09:00-18:00",)."""
        return cls.weekly(time_zone, {day: windows for day in WORKING_DAYS}, holidays)

    @classmethod
    def always_open(cls, time_zone: str = "UTC") -> BusinessCalendar:
        """24/7 without holidays: business time is real elapsed time, in any zone."""
        return cls(time_zone, (_FULL_DAY,) * 7)

    @property
    def is_always_open(self) -> bool:
        """Every day fully open and no holidays, so business time equals real time."""
        return not self.holidays and all(day == _FULL_DAY for day in self.week)


class Timeline(Protocol):
    """A monotone map from real instants to cumulative working time, both in microseconds."""

    def coord(self, t: int) -> int:
        """Working microseconds from a fixed origin up to instant `t`."""
        ...

    def inverse(self, c: int) -> int:
        """The earliest instant whose coordinate is at least `c`."""
        ...

    def next_working(self, t: int) -> int:
        """`t` itself when it is inside a window, else the start of the next window."""
        ...

    def is_working(self, t: int) -> bool:
        """Whether `t` lies inside a working window."""
        ...


class RealTime:
    """Business time equal to real elapsed time (24/7 calendars and calendar-mode targets)."""

    def coord(self, t: int) -> int:
        return t

    def inverse(self, c: int) -> int:
        return c

    def next_working(self, t: int) -> int:
        return t

    def is_working(self, t: int) -> bool:
        return True


REAL_TIME = RealTime()


def _wall_of(zone: ZoneInfo, utc_naive: dt.datetime) -> dt.datetime:
    return utc_naive.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def first_instant_at(zone: ZoneInfo, day: dt.date, second: int) -> int:
    """The first real instant (µs) at which the local clock on `day` reads `second` past midnight or later.

    `second` may be 86400, which is the next day's midnight. An existing wall time maps with
    fold=0, its first occurrence. A wall time inside a gap has no instant of its own; the first
    instant reading it or later is the moment of the change, found by bisection between the two
    readings zoneinfo offers (transitions fall on whole seconds).
    """
    wall = dt.datetime(day.year, day.month, day.day) + dt.timedelta(seconds=second)
    first = wall.replace(tzinfo=zone)
    offset = first.utcoffset()
    assert offset is not None
    late = wall - offset
    if _wall_of(zone, late) == wall:
        return (late - _EPOCH_NAIVE) // _ONE_US
    other = first.replace(fold=1).utcoffset()
    assert other is not None
    early = wall - other
    while _wall_of(zone, early) >= wall:
        early -= dt.timedelta(days=1)
    low = (early - _EPOCH_NAIVE) // dt.timedelta(seconds=1)
    high = (late - _EPOCH_NAIVE) // dt.timedelta(seconds=1)
    while high - low > 1:
        middle = (low + high) // 2
        if _wall_of(zone, _EPOCH_NAIVE + dt.timedelta(seconds=middle)) >= wall:
            high = middle
        else:
            low = middle
    return high * US_PER_SECOND


def _day_windows(
    zone: ZoneInfo, week: WeekSchedule, holidays: frozenset[dt.date], day: dt.date
) -> list[tuple[int, int]]:
    """The windows of one local date as real (start, end) µs intervals; empty ones dropped."""
    if day in holidays:
        return []
    spans = []
    for start, end in week[day.weekday()]:
        a = first_instant_at(zone, day, start)
        b = first_instant_at(zone, day, end)
        if b > a:
            spans.append((a, b))
    return spans


@dataclass(frozen=True)
class _Table:
    """Windows over a run of whole local years, with running totals (all µs)."""

    starts: list[int]
    ends: list[int]
    coords: list[int]
    coord_ends: list[int]
    low: int
    high: int
    low_coord: int
    high_coord: int
    first_year: int
    last_year: int


class CalendarTimeline:
    """The table form of a calendar, extended a local year at a time as instants need it.

    The table is replaced whole when it grows, so readers never see a half-built one.
    """

    MIN_YEAR = 1900
    MAX_YEAR = 9000

    def __init__(self, calendar: BusinessCalendar) -> None:
        self._zone = ZoneInfo(calendar.time_zone)
        self._week = calendar.week
        self._holidays = calendar.holidays
        self._lock = threading.Lock()
        self._table: _Table | None = None

    def _year(self, year: int) -> tuple[list[tuple[int, int]], int, int]:
        if not self.MIN_YEAR <= year <= self.MAX_YEAR:
            raise ValueError(f"year {year} is outside the supported range")
        first = dt.date(year, 1, 1)
        spans: list[tuple[int, int]] = []
        for ordinal in range(first.toordinal(), dt.date(year + 1, 1, 1).toordinal()):
            spans.extend(
                _day_windows(self._zone, self._week, self._holidays, dt.date.fromordinal(ordinal))
            )
        low = first_instant_at(self._zone, first, 0)
        high = first_instant_at(self._zone, dt.date(year + 1, 1, 1), 0)
        return spans, low, high

    @staticmethod
    def _assemble(
        spans: list[tuple[int, int]], low: int, high: int, low_coord: int, years: tuple[int, int]
    ) -> _Table:
        starts = [a for a, _ in spans]
        ends = [b for _, b in spans]
        coords: list[int] = []
        coord_ends: list[int] = []
        running = low_coord
        for a, b in spans:
            coords.append(running)
            running += b - a
            coord_ends.append(running)
        return _Table(starts, ends, coords, coord_ends, low, high, low_coord, running, *years)

    def _grow(self, *, before: bool) -> None:
        with self._lock:
            table = self._table
            if table is None:
                return
            year = table.first_year - 1 if before else table.last_year + 1
            spans, low, high = self._year(year)
            old = list(zip(table.starts, table.ends, strict=True))
            if before:
                total = sum(b - a for a, b in spans)
                self._table = self._assemble(
                    spans + old, low, table.high, table.low_coord - total, (year, table.last_year)
                )
            else:
                self._table = self._assemble(
                    old + spans, table.low, high, table.low_coord, (table.first_year, year)
                )

    def _covering(self, t: int) -> _Table:
        table = self._table
        if table is None:
            with self._lock:
                if self._table is None:
                    year = (_EPOCH_NAIVE + dt.timedelta(microseconds=t)).year
                    spans, low, high = self._year(year)
                    self._table = self._assemble(spans, low, high, 0, (year, year))
            table = self._table
            assert table is not None
        while t < table.low or t >= table.high:
            self._grow(before=t < table.low)
            assert self._table is not None
            table = self._table
        return table

    def coord(self, t: int) -> int:
        table = self._covering(t)
        i = bisect_right(table.starts, t) - 1
        if i < 0:
            return table.low_coord
        end = table.ends[i]
        return table.coords[i] + (t if t < end else end) - table.starts[i]

    def inverse(self, c: int) -> int:
        table = self._table if self._table is not None else self._covering(0)
        while c > table.high_coord:
            self._grow(before=False)
            assert self._table is not None
            table = self._table
        while c <= table.low_coord:
            self._grow(before=True)
            assert self._table is not None
            table = self._table
        i = bisect_left(table.coord_ends, c)
        return table.starts[i] + c - table.coords[i]

    def next_working(self, t: int) -> int:
        while True:
            table = self._covering(t)
            i = bisect_right(table.starts, t) - 1
            if i >= 0 and t < table.ends[i]:
                return t
            if i + 1 < len(table.starts):
                return table.starts[i + 1]
            self._grow(before=False)

    def is_working(self, t: int) -> bool:
        table = self._covering(t)
        i = bisect_right(table.starts, t) - 1
        return i >= 0 and t < table.ends[i]


@lru_cache(maxsize=128)
def timeline(calendar: BusinessCalendar) -> Timeline:
    """The (cached) time line of a calendar: real time for 24/7, else its window table."""
    if calendar.is_always_open:
        return REAL_TIME
    return CalendarTimeline(calendar)


@lru_cache(maxsize=4096)
def working_windows(
    calendar: BusinessCalendar, day: dt.date
) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """The working windows of one local date as UTC (start, end) pairs, for display and checks."""
    spans = _day_windows(ZoneInfo(calendar.time_zone), calendar.week, calendar.holidays, day)
    return tuple((from_us(a), from_us(b)) for a, b in spans)


def business_seconds_between(
    calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime
) -> float:
    """Working seconds in [start, end); 0 when end is not after start."""
    a, b = to_us(start), to_us(end)
    if b <= a:
        return 0.0
    line = timeline(calendar)
    return (line.coord(b) - line.coord(a)) / US_PER_SECOND


def add_business_seconds(
    calendar: BusinessCalendar, start: dt.datetime, seconds: float
) -> dt.datetime:
    """The earliest instant by which `seconds` working seconds have elapsed since `start` (UTC).

    Zero seconds is `start` itself. A total reached exactly at a window's end is that end (a
    deadline landing at 18:00 closing is 18:00, not the next opening).
    """
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    a = to_us(start)
    amount = round(seconds * US_PER_SECOND)
    if amount == 0:
        return from_us(a)
    line = timeline(calendar)
    return from_us(line.inverse(line.coord(a) + amount))


def next_working_instant(calendar: BusinessCalendar, moment: dt.datetime) -> dt.datetime:
    """`moment` when it is working time, else the start of the next working window (UTC)."""
    return from_us(timeline(calendar).next_working(to_us(moment)))


def is_working(calendar: BusinessCalendar, moment: dt.datetime) -> bool:
    """Whether `moment` falls inside one of the calendar's working windows."""
    return timeline(calendar).is_working(to_us(moment))
