"""Attainment is met over decided targets; nothing decided gives no figure."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from steward.sla.engine.attainment import Attainment


def test_rate_rounding_and_goal():
    assert Attainment(2, 1).pct == Decimal("66.7")
    assert Attainment(19, 1).pct == Decimal("95.0") and Attainment(19, 1).meets(Decimal(95)) is True
    assert Attainment(0, 0).pct is None and Attainment(0, 0).meets(Decimal(95)) is None
    assert Attainment(0, 3).pct == Decimal("0.0") and Attainment(1, 0).pct == Decimal("100.0")
    assert Attainment(1, 2) + Attainment(3, 4) == Attainment(4, 6)


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_rate_is_a_percentage_of_decided(met, breached):
    a = Attainment(met, breached)
    if a.decided:
        assert Decimal(0) <= a.pct <= Decimal(100)
    else:
        assert a.pct is None
