"""The effectiveness check's rules on hand-worked figures, without a database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.improvement.engine.effectiveness import (
    IMPROVED,
    NO_CHANGE,
    NOT_MEASURABLE,
    WORSE,
    Counts,
    Windows,
    assess,
    default_change_date,
    weekly,
)

CHANGE = dt.date(2026, 6, 1)
WINDOWS = Windows.around(CHANGE, before_days=28, after_days=28)
LATER = dt.date(2026, 7, 15)


def test_sixty_to_ninety_percent_is_thirty_points_better_but_a_small_sample():
    result = assess(before=[Counts(3, 2), Counts(3, 2)], after=[Counts(9, 1)], windows=WINDOWS, today=LATER)
    assert (result.before_pct, result.after_pct, result.change_points) == (Decimal("60.0"), Decimal("90.0"), Decimal("30.0"))
    assert result.verdict == IMPROVED and result.indicative and not result.provisional
    # pooled 0.75: z = 0.3 / sqrt(0.75 * 0.25 * (1/10 + 1/10)) = 1.549, below 1.96
    assert round(result.z, 3) == 1.549 and result.significant is False
    assert any("indicative" in n for n in result.notes)


def test_points_below_the_threshold_are_no_change_and_a_drop_is_worse():
    flat = assess(before=[Counts(95, 5)], after=[Counts(96, 4)], windows=WINDOWS, today=LATER)
    assert (flat.change_points, flat.verdict, flat.indicative) == (Decimal("1.0"), NO_CHANGE, False)
    worse = assess(before=[Counts(90, 10)], after=[Counts(80, 20)], windows=WINDOWS, today=LATER)
    assert (worse.change_points, worse.verdict, worse.significant) == (Decimal("-10.0"), WORSE, True)
    edge = assess(before=[Counts(90, 10)], after=[Counts(92, 8)], windows=WINDOWS, today=LATER)
    assert (edge.change_points, edge.verdict) == (Decimal("2.0"), IMPROVED)  # the threshold counts


def test_an_empty_window_is_not_measurable_and_a_running_window_is_provisional():
    empty = assess(before=[Counts(5, 5)], after=[], windows=WINDOWS, today=CHANGE + dt.timedelta(days=3))
    assert empty.verdict == NOT_MEASURABLE and empty.change_points is None and empty.after_pct is None
    assert empty.provisional and empty.after_days_elapsed == 3
    running = assess(before=[Counts(5, 5)], after=[Counts(1, 0)], windows=WINDOWS, today=CHANGE + dt.timedelta(days=10))
    assert running.provisional and running.verdict == IMPROVED and any("10 of 28 days" in n for n in running.notes)


def test_weeks_start_on_the_change_date_and_are_cut_at_the_windows():
    windows = Windows.around(CHANGE, before_days=10, after_days=8)
    days = {
        CHANGE - dt.timedelta(days=10): Counts(1, 0),  # first day of the before window
        CHANGE - dt.timedelta(days=11): Counts(9, 9),  # outside
        CHANGE - dt.timedelta(days=1): Counts(0, 1),
        CHANGE: Counts(2, 0),
        CHANGE + dt.timedelta(days=7): Counts(1, 1),  # last day of the after window
        CHANGE + dt.timedelta(days=8): Counts(5, 5),  # outside
    }
    weeks = weekly(days, windows)
    assert [(w.start, w.end, w.counts, w.after) for w in weeks] == [
        (dt.date(2026, 5, 22), dt.date(2026, 5, 25), Counts(1, 0), False),
        (dt.date(2026, 5, 25), CHANGE, Counts(0, 1), False),
        (CHANGE, dt.date(2026, 6, 8), Counts(2, 0), True),
        (dt.date(2026, 6, 8), dt.date(2026, 6, 9), Counts(1, 1), True),
    ]


def test_the_default_change_date_is_the_last_completed_action_else_creation():
    assert default_change_date(dt.date(2026, 1, 5), [None, dt.date(2026, 2, 1), dt.date(2026, 1, 20)]) == dt.date(2026, 2, 1)
    assert default_change_date(dt.date(2026, 1, 5), []) == dt.date(2026, 1, 5)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500), st.integers(0, 500))
def test_verdict_follows_the_sign_of_the_change(bm, bb, am, ab):
    result = assess(before=[Counts(bm, bb)], after=[Counts(am, ab)], windows=WINDOWS, today=LATER)
    if bm + bb == 0 or am + ab == 0:
        assert result.verdict == NOT_MEASURABLE
        return
    # The change is rounded from the exact shares, so it is within 0.1 of the rounded percentages' difference.
    assert abs(result.change_points - (result.after_pct - result.before_pct)) <= Decimal("0.1")
    assert result.verdict == (IMPROVED if result.change_points >= 2 else WORSE if result.change_points <= -2 else NO_CHANGE)
