"""The ageing engine without a database: every bucket edge, days-to-pay and the late-payer rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.billing.engine import ageing, invoicing
from steward.billing.engine.ageing import OpenItem, SettledItem

AS_OF = dt.date(2026, 6, 30)


def due(days_past: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days_past)


@pytest.mark.parametrize(
    "days_past,bucket",
    [
        (-400, "current"), (-1, "current"), (0, "current"),
        (1, "d1_30"), (30, "d1_30"),
        (31, "d31_60"), (60, "d31_60"),
        (61, "d61_90"), (90, "d61_90"),
        (91, "d90_plus"), (1000, "d90_plus"),
    ],
)
def test_every_bucket_edge(days_past, bucket):
    assert ageing.bucket_for(ageing.days_past_due(due(days_past), AS_OF)).key == bucket
    result = ageing.age([OpenItem(due(days_past), Decimal("10.00"))], AS_OF)
    assert result.buckets[bucket] == Decimal("10.00") and result.total == Decimal("10.00")
    assert result.overdue == (Decimal(0) if bucket == "current" else Decimal("10.00"))


@pytest.mark.parametrize("days_past", [-5, 0, 1, 30, 31, 60, 61, 90, 91, 500])
def test_due_date_ranges_agree_with_the_bucket(days_past):
    """The date ranges the selectors filter on put each due date in the same bucket as the engine."""
    d = due(days_past)
    inside = []
    for b in ageing.BUCKETS:
        earliest, latest = ageing.due_on_range(b, AS_OF)
        if (earliest is None or d >= earliest) and (latest is None or d <= latest):
            inside.append(b.key)
    assert inside == [ageing.bucket_for(days_past).key]


def test_nothing_owed_is_not_aged():
    result = ageing.age([OpenItem(due(10), Decimal(0)), OpenItem(due(10), Decimal("-5"))], AS_OF)
    assert result.total == 0


@given(st.lists(st.tuples(st.integers(-400, 2000), st.decimals(min_value=0, max_value=10**6, places=2)), max_size=30))
def test_buckets_add_up_to_what_is_owed(items):
    result = ageing.age([OpenItem(due(d), a) for d, a in items], AS_OF)
    assert result.total == sum((a for _, a in items if a > 0), Decimal(0))
    assert result.overdue == sum((a for d, a in items if a > 0 and d > 0), Decimal(0))


def test_days_to_pay_and_days_late():
    item = SettledItem(issued_on=dt.date(2026, 1, 1), due_on=dt.date(2026, 1, 31), paid_on=dt.date(2026, 2, 10))
    assert ageing.days_to_pay(item) == 40 and ageing.days_late(item) == 10
    early = SettledItem(issued_on=dt.date(2026, 1, 1), due_on=dt.date(2026, 1, 31), paid_on=dt.date(2026, 1, 21))
    assert ageing.days_late(early) == -10


def test_late_payer_rule_edges():
    assert not ageing.is_late_payer(Decimal(15), 0)
    assert ageing.is_late_payer(Decimal("15.1"), 0)
    assert not ageing.is_late_payer(None, 60)
    assert ageing.is_late_payer(None, 61)
    assert not ageing.is_late_payer(None, None)


def test_behaviour_looks_at_the_last_twelve_months_only():
    old = SettledItem(dt.date(2024, 1, 1), dt.date(2024, 1, 31), dt.date(2024, 6, 1))  # very late, but too long ago
    recent = [SettledItem(dt.date(2026, 3, 1), dt.date(2026, 3, 31), dt.date(2026, 4, 20)), SettledItem(dt.date(2026, 4, 1), dt.date(2026, 5, 1), dt.date(2026, 5, 11))]
    b = ageing.behaviour([old, *recent], [OpenItem(due(20), Decimal(5))], AS_OF)
    assert b.settled_count == 2 and b.average_days_late == Decimal("15.0") and b.average_days_to_pay == Decimal("45.0")
    assert b.max_days_overdue == 20 and not b.is_late_payer
    assert ageing.behaviour(recent, [OpenItem(due(61), Decimal(5))], AS_OF).is_late_payer


def test_due_date_is_invoice_date_plus_terms():
    assert ageing.due_date(dt.date(2026, 1, 31), 30) == dt.date(2026, 3, 2)
    assert ageing.due_date(dt.date(2026, 1, 31), 0) == dt.date(2026, 1, 31)


def facts(quantity="10", delivered="4", price="12.50", discount="10", invoiced_q="0", invoiced_a="0"):
    q, p, d = Decimal(quantity), Decimal(price), Decimal(discount)
    return invoicing.OrderLineFacts(q, Decimal(delivered), p, d, invoicing.money(q * p * (100 - d) / 100), Decimal(invoiced_q), Decimal(invoiced_a))


def test_invoiceable_quantity_never_counts_twice():
    assert invoicing.invoiceable_quantity(facts(), delivered_only=True) == 4
    assert invoicing.invoiceable_quantity(facts(invoiced_q="4"), delivered_only=True) == 0
    assert invoicing.invoiceable_quantity(facts(invoiced_q="4"), delivered_only=False) == 6
    assert invoicing.invoiceable_quantity(facts(invoiced_q="10"), delivered_only=False) == 0
    assert invoicing.invoiceable_quantity(facts(delivered="12"), delivered_only=True) == 10  # over-delivery bills the ordered quantity


def test_slices_of_a_line_add_up_to_its_amount():
    line = facts(quantity="3", price="10.00", discount="33.33")
    first = invoicing.slice_amount(line, Decimal(1))
    second = invoicing.slice_amount(facts(quantity="3", price="10.00", discount="33.33", invoiced_q="1", invoiced_a=str(first)), Decimal(2))
    assert first + second == line.amount


def test_totals_and_payment_status():
    t = invoicing.invoice_totals([Decimal("100.00"), Decimal("0.10")], Decimal("19"))
    assert (t.subtotal, t.tax_amount, t.total) == (Decimal("100.10"), Decimal("19.02"), Decimal("119.12"))
    assert invoicing.payment_status(Decimal(10), Decimal(0)) == "issued"
    assert invoicing.payment_status(Decimal(10), Decimal(4)) == "partially_paid"
    assert invoicing.payment_status(Decimal(10), Decimal(10)) == "paid"
