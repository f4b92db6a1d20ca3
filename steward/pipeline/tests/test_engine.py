"""The quota roll-up and the period arithmetic, without a database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.pipeline.engine.periods import period_end, period_label, period_start, shift
from steward.pipeline.engine.rollup import Person, percent, rollup


def test_periods_start_on_their_first_day_and_end_on_the_next_periods():
    day = dt.date(2026, 11, 23)
    assert period_start("month", day) == dt.date(2026, 11, 1)
    assert period_start("quarter", day) == dt.date(2026, 10, 1)
    assert period_start("year", day) == dt.date(2026, 1, 1)
    assert period_end("quarter", dt.date(2026, 10, 1)) == dt.date(2027, 1, 1)
    assert period_end("month", dt.date(2026, 12, 1)) == dt.date(2027, 1, 1)
    assert shift("quarter", dt.date(2026, 1, 1), -1) == dt.date(2025, 10, 1)
    assert period_label("quarter", day) == "Q4 2026"
    with pytest.raises(ValueError):
        period_start("week", day)


def test_a_manager_team_adds_up_their_reports_and_attainment_is_a_percentage():
    people = [Person(1, None), Person(2, 1), Person(3, 1), Person(4, 2)]
    result = {a.person_id: a for a in rollup(people, quotas={1: Decimal(100), 2: Decimal(50), 4: Decimal(50)}, booked={2: Decimal(30), 3: Decimal(20), 4: Decimal(75)})}
    top = result[1]
    assert (top.own_quota, top.own_booked, top.own_pct) == (Decimal(100), Decimal(0), Decimal("0.0"))
    assert (top.team_quota, top.team_booked, top.team_pct) == (Decimal(200), Decimal(125), Decimal("62.5"))
    assert result[2].team_booked == Decimal(105) and result[2].team_pct == Decimal("105.0")
    assert result[3].own_pct is None  # no quota: nothing to attain
    assert [a.person_id for a in rollup(people, quotas={}, booked={})] == [1, 2, 4, 3]  # depth first
    assert result[1].reports == (2, 3) and result[4].depth == 2


def test_a_loop_in_the_reporting_line_does_not_hang_or_double_count():
    result = rollup([Person(1, 2), Person(2, 1)], quotas={1: Decimal(1), 2: Decimal(1)}, booked={1: Decimal(1)})
    assert sorted(a.person_id for a in result) == [1, 2]
    assert max(a.team_booked for a in result) == Decimal(1)


def test_percent_needs_a_positive_quota():
    assert percent(Decimal(5), Decimal(0)) is None
    assert percent(Decimal(1), Decimal(3)) == Decimal("33.3")


money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def trees(draw):
    n = draw(st.integers(min_value=1, max_value=40))
    people = [Person(1, None)]
    for pid in range(2, n + 1):
        people.append(Person(pid, draw(st.one_of(st.none(), st.integers(min_value=1, max_value=pid - 1)))))
    ids = st.integers(min_value=1, max_value=n)
    quotas = draw(st.dictionaries(ids, money, max_size=n))
    booked = draw(st.dictionaries(ids, money, max_size=n))
    return people, quotas, booked


@given(trees())
def test_team_figures_are_own_plus_the_direct_reports_team_figures(tree):
    people, quotas, booked = tree
    result = {a.person_id: a for a in rollup(people, quotas=quotas, booked=booked)}
    assert set(result) == {p.id for p in people}
    for a in result.values():
        assert a.team_booked == a.own_booked + sum((result[c].team_booked for c in a.reports), Decimal(0))
        assert a.team_quota == a.own_quota + sum((result[c].team_quota for c in a.reports), Decimal(0))
        assert a.team_booked >= a.own_booked and a.team_quota >= a.own_quota


@given(trees())
def test_the_roots_teams_account_for_every_booking_and_quota_exactly_once(tree):
    people, quotas, booked = tree
    result = rollup(people, quotas=quotas, booked=booked)
    roots = [a for a in result if a.depth == 0]
    assert sum((a.team_booked for a in roots), Decimal(0)) == sum(booked.values(), Decimal(0))
    assert sum((a.team_quota for a in roots), Decimal(0)) == sum(quotas.values(), Decimal(0))
    assert len(result) == len(people)
