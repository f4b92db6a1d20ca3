"""Fulfilment rules without a database: statuses, OTIF, lateness and risk."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from steward.orders.engine import otif

D = Decimal
PROMISED = dt.date(2025, 3, 24)


def outcome(lines, dates=(), status=otif.BOOKED):
    return otif.order_outcome(
        current_status=status, promised_date=PROMISED, lines=lines, delivery_dates=list(dates)
    )


def test_a_line_amount_takes_off_the_discount_to_the_cent():
    assert otif.line_amount(D("3"), D("99.99"), D("12.5")) == D("262.47")


def test_nothing_shipped_is_booked_and_a_started_order_stays_in_fulfilment():
    assert outcome([otif.LineFacts(D(10))]).status == otif.BOOKED
    assert outcome([otif.LineFacts(D(10))], status=otif.IN_FULFILMENT).status == otif.IN_FULFILMENT


def test_partial_then_full_shipment_then_delivery():
    assert outcome([otif.LineFacts(D(10), shipped=D(4))]).status == otif.PARTIALLY_SHIPPED
    assert (
        outcome([otif.LineFacts(D(10), shipped=D(10), delivered=D(4))], [PROMISED]).status
        == otif.SHIPPED
    )
    done = outcome(
        [otif.LineFacts(D(10), shipped=D(10), delivered=D(10))],
        [PROMISED, PROMISED + dt.timedelta(days=2)],
    )
    assert (done.status, done.delivered_on, done.is_on_time, done.is_in_full) == (
        otif.DELIVERED,
        PROMISED + dt.timedelta(days=2),
        False,
        True,
    )


def test_delivered_on_the_promised_date_is_on_time():
    done = outcome([otif.LineFacts(D(1), shipped=D(1), delivered=D(1))], [PROMISED])
    assert done.is_on_time is True and done.is_in_full is True


def test_a_short_closed_line_makes_the_order_not_in_full_but_a_line_cancelled_before_shipping_does_not():
    short = outcome(
        [
            otif.LineFacts(D(10), shipped=D(6), delivered=D(6), cancelled=True),
            otif.LineFacts(D(2), shipped=D(2), delivered=D(2)),
        ],
        [PROMISED],
    )
    assert (short.status, short.is_in_full) == (otif.DELIVERED, False)
    dropped = outcome(
        [otif.LineFacts(D(10), cancelled=True), otif.LineFacts(D(2), shipped=D(2), delivered=D(2))],
        [PROMISED],
    )
    assert (dropped.status, dropped.is_in_full) == (otif.DELIVERED, True)


def test_every_line_cancelled_before_shipping_cancels_the_order():
    assert outcome([otif.LineFacts(D(3), cancelled=True)]).status == otif.CANCELLED


def test_backordered_wins_over_partially_shipped_and_hold_is_kept():
    lines = [otif.LineFacts(D(10), shipped=D(5)), otif.LineFacts(D(3), backordered=True)]
    assert outcome(lines).status == otif.BACKORDERED
    assert outcome(lines, status=otif.ON_HOLD).status == otif.ON_HOLD
    assert (
        otif.line_status(otif.LineFacts(D(3), shipped=D(1), backordered=True)) == otif.BACKORDERED
    )
    assert otif.line_status(otif.LineFacts(D(3), shipped=D(3), backordered=True)) == otif.SHIPPED


def test_late_and_at_risk():
    today = dt.date(2025, 3, 20)
    assert otif.is_late(
        status=otif.BOOKED,
        promised_date=today - dt.timedelta(days=1),
        delivered_on=None,
        today=today,
    )
    assert not otif.is_late(status=otif.BOOKED, promised_date=today, delivered_on=None, today=today)
    assert otif.is_late(
        status=otif.DELIVERED,
        promised_date=today,
        delivered_on=today + dt.timedelta(days=1),
        today=today,
    )
    assert not otif.is_late(
        status=otif.CANCELLED,
        promised_date=today - dt.timedelta(days=9),
        delivered_on=None,
        today=today,
    )
    assert (
        otif.days_late(
            status=otif.SHIPPED,
            promised_date=today - dt.timedelta(days=3),
            delivered_on=None,
            today=today,
        )
        == 3
    )
    assert otif.is_at_risk(
        status=otif.BOOKED, promised_date=today + dt.timedelta(days=7), today=today
    )
    assert not otif.is_at_risk(
        status=otif.BOOKED, promised_date=today + dt.timedelta(days=8), today=today
    )
    assert otif.is_at_risk(
        status=otif.ON_HOLD, promised_date=today + dt.timedelta(days=60), today=today
    )
    assert not otif.is_at_risk(
        status=otif.SHIPPED, promised_date=today + dt.timedelta(days=1), today=today
    )
    assert not otif.is_at_risk(
        status=otif.BOOKED, promised_date=today - dt.timedelta(days=1), today=today
    )  # late, not at risk


def test_otif_rates_and_quarters():
    f = otif.OtifFigures(delivered=8, on_time=6, in_full=7, on_time_in_full=5)
    assert (f.otif_pct, f.on_time_pct, f.in_full_pct) == (D("62.5"), D("75.0"), D("87.5"))
    assert otif.OtifFigures(0, 0, 0, 0).otif_pct is None
    assert otif.quarter_of(dt.date(2025, 11, 30)) == "2025-Q4"


quantities = st.decimals(min_value=D("0.01"), max_value=D(1000), places=2)


@given(
    st.lists(
        st.tuples(quantities, st.floats(0, 1), st.floats(0, 1), st.booleans()),
        min_size=1,
        max_size=6,
    )
)
def test_otif_is_known_exactly_when_delivered(specs):
    lines = []
    for qty, ship_share, deliver_share, cancelled in specs:
        shipped = (qty * D(str(round(ship_share, 2)))).quantize(D("0.01"))
        delivered = (shipped * D(str(round(deliver_share, 2)))).quantize(D("0.01"))
        lines.append(otif.LineFacts(qty, shipped=shipped, delivered=delivered, cancelled=cancelled))
    result = outcome(lines, [PROMISED])
    assert (result.is_on_time is None) == (result.status != otif.DELIVERED)
    if result.is_in_full:
        assert all(ln.delivered >= ln.quantity for ln in lines if not ln.cancelled)


def test_the_whole_is_the_sum_of_its_parts():
    whole = otif.combine([otif.OtifFigures(4, 3, 4, 3), otif.OtifFigures(6, 3, 5, 2), otif.OtifFigures(0, 0, 0, 0)])
    assert whole == otif.OtifFigures(10, 6, 9, 5) and whole.otif_pct == Decimal("50.0")
    assert otif.combine([]).otif_pct is None


def test_quarter_start_steps_back_across_years():
    from steward.orders.engine.otif import quarter_start

    assert quarter_start(dt.date(2026, 11, 22)) == dt.date(2026, 10, 1)
    assert quarter_start(dt.date(2026, 11, 22), back=3) == dt.date(2026, 1, 1)
    assert quarter_start(dt.date(2026, 2, 1), back=1) == dt.date(2025, 10, 1)
    assert quarter_start(dt.date(2026, 3, 31), back=9) == dt.date(2023, 10, 1)
