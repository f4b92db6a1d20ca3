"""Did the improvement work? The effectiveness check of an improvement plan, in plain Python.

Rules (docs/sla/improvement-plans.md repeats them):

- The metric is an attainment: met / (met + breached) in a window, like SLA attainment (a delivery
  on time and in full counts as met, any other delivery as breached).
- The *before* window is the `before_days` days up to the change date (the change date excluded);
  the *after* window is the `after_days` days from the change date on (the change date included).
- Change = after % - before %, in percentage points, to one decimal.
- Verdict: *improved* when the change is at least `min_points` (2.0) points, *worse* when it is at
  most -`min_points`, *no change* in between; *not measurable* when either window has nothing
  decided (never 0 % or 100 % invented).
- Fewer than `min_decided` (20) decided in either window: the verdict stands but is marked
  indicative (a small sample swings by chance). A two-proportion z-test says whether the
  difference is statistically significant at 95 % (|z| >= 1.96); it is reported, not voted.
- While the after window is still running the verdict is provisional: the days elapsed are given.

Time is passed in (`today`); nothing here reads a clock.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from steward.sla.engine.attainment import Attainment

IMPROVED = "improved"
NO_CHANGE = "no_change"
WORSE = "worse"
NOT_MEASURABLE = "not_measurable"
VERDICT_LABELS = {
    IMPROVED: "Improved",
    NO_CHANGE: "No change",
    WORSE: "Worse",
    NOT_MEASURABLE: "Not measurable yet",
}

MIN_DECIDED = 20
MIN_POINTS = Decimal("2.0")
Z_95 = 1.96
ONE_DECIMAL = Decimal("0.1")
WEEK = 7


# Met and breached in one period (a day, a week, a window): the attainment figure of the SLA reports,
# so a plan's before and after read exactly as the report's cells do.
Counts = Attainment


@dataclass(frozen=True)
class Windows:
    """The before window [before_start, change) and the after window [change, after_end)."""

    before_start: dt.date
    change: dt.date
    after_end: dt.date

    @classmethod
    def around(cls, change: dt.date, *, before_days: int, after_days: int) -> Windows:
        if before_days < 1 or after_days < 1:
            raise ValueError("windows are at least one day long")
        return cls(
            change - dt.timedelta(days=before_days), change, change + dt.timedelta(days=after_days)
        )

    @property
    def before_days(self) -> int:
        return (self.change - self.before_start).days

    @property
    def after_days(self) -> int:
        return (self.after_end - self.change).days


@dataclass(frozen=True)
class Assessment:
    """The effectiveness check's figures and verdict."""

    before: Counts
    after: Counts
    change_points: Decimal | None
    verdict: str
    indicative: bool  # a window has fewer decided than the minimum sample
    provisional: bool  # the after window has not ended yet
    after_days_elapsed: int
    z: float | None
    significant: bool | None
    notes: tuple[str, ...]

    @property
    def before_pct(self) -> Decimal | None:
        return self.before.pct

    @property
    def after_pct(self) -> Decimal | None:
        return self.after.pct

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS[self.verdict]


def default_change_date(created_on: dt.date, completed: Iterable[dt.date | None]) -> dt.date:
    """When the change took effect if nobody says: the last completed action, else the plan's creation."""
    done = [d for d in completed if d is not None]
    return max(done) if done else created_on


def total(periods: Iterable[Counts]) -> Counts:
    """The sum of periods."""
    result = Counts()
    for p in periods:
        result = result + p
    return result


def z_score(before: Counts, after: Counts) -> float | None:
    """Two-proportion z statistic (pooled) of after vs before; None without data or variance."""
    if before.decided == 0 or after.decided == 0:
        return None
    p1, p2 = before.met / before.decided, after.met / after.decided
    pooled = (before.met + after.met) / (before.decided + after.decided)
    variance = pooled * (1 - pooled) * (1 / before.decided + 1 / after.decided)
    if variance <= 0:
        return None
    return (p2 - p1) / math.sqrt(variance)


def assess(
    *,
    before: Iterable[Counts],
    after: Iterable[Counts],
    windows: Windows,
    today: dt.date,
    min_decided: int = MIN_DECIDED,
    min_points: Decimal = MIN_POINTS,
) -> Assessment:
    """Compare the metric after the change with before it: percentages, change in points, verdict."""
    b, a = total(before), total(after)
    elapsed = max(0, min((today - windows.change).days, windows.after_days))
    provisional = today < windows.after_end
    notes: list[str] = []
    if b.decided == 0 or a.decided == 0:
        empty = "before" if b.decided == 0 else "after"
        notes.append(f"Nothing was decided in the {empty} window, so there is nothing to compare.")
        if provisional and a.decided == 0:
            notes.append(f"The after window has run {elapsed} of {windows.after_days} days.")
        return Assessment(
            b, a, None, NOT_MEASURABLE, True, provisional, elapsed, None, None, tuple(notes)
        )
    change = (Decimal(a.met) * 100 / a.decided - Decimal(b.met) * 100 / b.decided).quantize(
        ONE_DECIMAL, rounding=ROUND_HALF_UP
    )
    verdict = IMPROVED if change >= min_points else WORSE if change <= -min_points else NO_CHANGE
    indicative = b.decided < min_decided or a.decided < min_decided
    if indicative:
        small = [
            f"{name} {c.decided}"
            for name, c in (("before", b), ("after", a))
            if c.decided < min_decided
        ]
        notes.append(
            f"Fewer than {min_decided} decided ({', '.join(small)}): the verdict is indicative only."
        )
    z = z_score(b, a)
    significant = None if z is None else abs(z) >= Z_95
    if significant is not None:
        notes.append(
            "The difference is statistically significant (95 %)."
            if significant
            else "The difference is within what chance alone could produce (not significant at 95 %)."
        )
    if provisional:
        notes.append(
            f"Provisional: the after window has run {elapsed} of {windows.after_days} days."
        )
    return Assessment(
        b, a, change, verdict, indicative, provisional, elapsed, z, significant, tuple(notes)
    )


@dataclass(frozen=True)
class Bucket:
    """One point of the chart: a week (or the part of it inside a window) and its counts."""

    start: dt.date
    end: dt.date  # exclusive
    counts: Counts
    after: bool  # on or after the change date


def weekly(days: Mapping[dt.date, Counts], windows: Windows, *, width: int = WEEK) -> list[Bucket]:
    """Daily counts folded into weeks counted from the change date, so one week starts exactly on it;
    the first and last weeks are cut at the windows' ends."""
    buckets: list[Bucket] = []
    weeks_before = -(-windows.before_days // width)
    weeks_after = -(-windows.after_days // width)
    for i in range(-weeks_before, weeks_after):
        start = max(windows.change + dt.timedelta(days=i * width), windows.before_start)
        end = min(windows.change + dt.timedelta(days=(i + 1) * width), windows.after_end)
        counts = total(c for day, c in days.items() if start <= day < end)
        buckets.append(Bucket(start, end, counts, i >= 0))
    return buckets
