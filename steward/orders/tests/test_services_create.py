"""Booking an order: lines, numbering, defaults, refusals and visibility."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings

from steward.core.errors import NotFound, PermissionDenied, ValidationFailed
from steward.orders import services
from steward.orders.choices import OrderStatus
from steward.orders.models import Order
from steward.orders.tests.factories import PROMISED, line, order, product

pytestmark = pytest.mark.django_db


def test_an_order_is_booked_with_its_lines_amounts_and_a_readable_number(personas):
    a, b = product("A-1", "100.00"), product("B-2", "20.00")
    o = order(personas, lines=[line(a, "3", discount="10"), line(b, "5", unit_price="18.50")])
    assert o.number == "SO-2025-000001" and o.status == OrderStatus.BOOKED
    assert [(ln.position, ln.unit_price, ln.amount) for ln in o.lines.all()] == [
        (1, Decimal("100.00"), Decimal("270.00")),
        (2, Decimal("18.50"), Decimal("92.50")),
    ]
    assert o.total_amount == Decimal("362.50") and o.currency == personas.account.currency
    assert o.owner == personas.owner and o.payment_terms_days is None
    assert o.effective_payment_terms_days == settings.STEWARD_STANDARD_PAYMENT_TERMS_DAYS
    assert order(personas, a).number == "SO-2025-000002"


def test_an_order_needs_lines_and_both_dates(personas):
    a = product()
    with pytest.raises(ValidationFailed) as exc:
        order(personas, lines=[])
    assert "lines" in exc.value.field_errors
    with pytest.raises(ValidationFailed) as exc:
        order(personas, a, promised_date=None)
    assert "promised_date" in exc.value.field_errors
    with pytest.raises(ValidationFailed, match="quantity"):
        order(personas, lines=[line(a, "0")])
    with pytest.raises(ValidationFailed, match="discount"):
        order(personas, lines=[line(a, discount="120")])
    assert not Order.objects.exists()


def test_someone_elses_account_is_not_found_and_a_sponsor_cannot_book(personas):
    a = product()
    with pytest.raises(NotFound):
        order(personas, a, actor=personas.outsider)
    with pytest.raises(PermissionDenied):
        order(personas, a, actor=personas.sponsor)
    assert not Order.objects.exists()


def test_recompute_settles_a_partial_then_full_delivery(personas):
    a = product()
    o = order(personas, a)
    ln = o.lines.get()
    services.shipment_record(
        actor=personas.owner,
        order=o,
        quantities={ln: "4"},
        shipped_on=PROMISED,
        delivered_on=PROMISED,
    )
    o.refresh_from_db()
    assert o.status == OrderStatus.PARTIALLY_SHIPPED and o.is_on_time is None
    services.shipment_record(
        actor=personas.owner,
        order=o,
        quantities={ln: "6"},
        shipped_on=PROMISED,
        delivered_on=PROMISED.replace(day=27),
    )
    o.refresh_from_db()
    assert o.status == OrderStatus.DELIVERED and o.delivered_on == PROMISED.replace(day=27)
    assert (o.is_on_time, o.is_in_full) == (False, True)
