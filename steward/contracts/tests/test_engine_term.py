"""Term and total value: whole months count as twelfths of a year, left-over days as 365ths."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.contracts.engine.term import (
    Term,
    add_months,
    follow_on_dates,
    term_between,
    total_value,
)


def test_a_calendar_year_is_twelve_months_even_in_a_leap_year():
    assert term_between(dt.date(2028, 1, 1), dt.date(2028, 12, 31)) == Term(12, 0)
    assert total_value(Decimal("120000"), dt.date(2028, 1, 1), dt.date(2028, 12, 31)) == Decimal("120000.00")


def test_three_years_from_mid_month():
    assert term_between(dt.date(2026, 3, 15), dt.date(2029, 3, 14)) == Term(36, 0)
    assert total_value(Decimal("50000"), dt.date(2026, 3, 15), dt.date(2029, 3, 14)) == Decimal("150000.00")


def test_left_over_days_count_as_days_of_a_year():
    # 1 Jan to 10 Jul: 6 months and 10 days.
    assert term_between(dt.date(2026, 1, 1), dt.date(2026, 7, 10)) == Term(6, 10)
    assert total_value(Decimal("36500"), dt.date(2026, 1, 1), dt.date(2026, 7, 10)) == Decimal("19250.00")


def test_a_single_day():
    assert term_between(dt.date(2026, 1, 1), dt.date(2026, 1, 1)) == Term(0, 1)


def test_end_before_start_is_refused():
    with pytest.raises(ValueError):
        term_between(dt.date(2026, 1, 2), dt.date(2026, 1, 1))


def test_month_arithmetic_clamps_to_the_month_end():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)


def test_the_follow_on_starts_the_day_after_and_runs_the_renewal_term():
    assert follow_on_dates(dt.date(2026, 12, 31), 12) == (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert follow_on_dates(dt.date(2026, 6, 30), 24) == (dt.date(2026, 7, 1), dt.date(2028, 6, 30))


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 1, 1)), st.integers(min_value=0, max_value=3650))
def test_the_term_covers_exactly_the_days_between(start, length):
    end = start + dt.timedelta(days=length)
    t = term_between(start, end)
    assert 0 <= t.days < 31 + 1
    assert add_months(start, t.months) + dt.timedelta(days=t.days) == end + dt.timedelta(days=1)
    assert total_value(Decimal("1000"), start, end) >= 0
