"""Quote totals: Decimal arithmetic, discounts against list price, margin."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.quotes.engine.pricing import Line, line_totals, quote_totals


def test_a_percentage_off_and_a_lower_price_are_the_same_discount():
    off = line_totals(Line(quantity=D(10), list_price=D(100), unit_price=D(100), discount_pct=D(25)))
    lower = line_totals(Line(quantity=D(10), list_price=D(100), unit_price=D(75)))
    assert off.net_amount == lower.net_amount == D("750.00")
    assert off.discount_pct == lower.discount_pct == D("25.00")


def test_both_ways_at_once_add_up():
    t = line_totals(Line(quantity=D(1), list_price=D(200), unit_price=D(160), discount_pct=D(10)))
    assert t.net_amount == D("144.00") and t.discount_pct == D("28.00")


def test_a_price_above_list_is_no_discount():
    assert line_totals(Line(quantity=D(1), list_price=D(100), unit_price=D(120))).discount_pct == D(0)


def test_quote_totals_with_an_extra_discount_and_margin():
    lines = [
        Line(quantity=D(2), list_price=D("100.00"), unit_price=D("100.00"), discount_pct=D(10), unit_cost=D(40)),
        Line(quantity=D(1), list_price=D("50.00"), unit_price=D("50.00"), unit_cost=D(20)),
    ]
    t = quote_totals(lines, extra_discount_pct=D(5))
    assert (t.list_total, t.lines_total, t.extra_discount_amount, t.total) == (D("250.00"), D("230.00"), D("11.50"), D("218.50"))
    assert t.overall_discount_pct == D("12.60")
    assert t.max_line_discount_pct == D("10.00")
    assert t.margin_pct == D("54.23")  # (218.50 - 100) / 218.50


def test_margin_is_unknown_when_a_cost_is():
    t = quote_totals([Line(quantity=D(1), list_price=D(10), unit_price=D(10))])
    assert t.margin_pct is None


@pytest.mark.parametrize("bad", [dict(quantity=D(0)), dict(unit_price=D(-1)), dict(discount_pct=D(101))])
def test_impossible_lines_are_refused(bad):
    with pytest.raises(ValueError):
        Line(**{"quantity": D(1), "list_price": D(10), "unit_price": D(10), **bad})


money = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
lines = st.lists(
    st.builds(Line, quantity=st.integers(1, 1000).map(D), list_price=money, unit_price=money, discount_pct=st.integers(0, 100).map(D)),
    min_size=1, max_size=8,
)


@given(lines, st.integers(0, 100).map(D))
def test_totals_are_cents_and_consistent(ls, extra):
    t = quote_totals(ls, extra_discount_pct=extra)
    assert t.total == t.lines_total - t.extra_discount_amount
    assert t.lines_total == sum(x.net_amount for x in t.lines)
    for amount in (t.total, t.list_total, t.lines_total, t.extra_discount_amount):
        assert amount == amount.quantize(D("0.01"))
    assert D(0) <= t.overall_discount_pct
    assert t.total >= 0
