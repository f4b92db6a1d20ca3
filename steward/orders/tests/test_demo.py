"""Demo orders are what the services would have written: recompute changes nothing, and every kind of order is there."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from steward.demo import generator
from steward.demo.generator import SeedOptions, generate
from steward.orders import demo, selectors, services
from steward.orders.choices import OrderStatus
from steward.orders.models import Order, OrderLine

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db

FIELDS = ("status", "delivered_on", "is_on_time", "is_in_full", "total_amount")


def test_demo_orders_are_consistent_with_recompute(monkeypatch):
    # Only the loaders orders build on: this test is about the orders loader alone.
    monkeypatch.setattr(
        generator,
        "DEMO_LOADERS",
        ["steward.pipeline.demo", "steward.quotes.demo", "steward.orders.demo"],
    )
    generate(SeedOptions(accounts=40, seed=5, now=NOW, chunk_size=20, order_lines_per_account=12))
    assert demo.has_data()
    orders = list(Order.objects.all())
    lines = OrderLine.objects.count()
    assert 40 * 8 <= lines <= 40 * 12
    statuses = Counter(o.status for o in orders)
    assert {OrderStatus.DELIVERED, OrderStatus.CANCELLED} <= set(statuses)
    assert len(set(o.number for o in orders)) == len(orders)
    delivered = [o for o in orders if o.status == OrderStatus.DELIVERED]
    assert any(o.is_on_time is False for o in delivered) and any(o.is_on_time for o in delivered)
    for o in orders[:150]:
        before = tuple(getattr(o, f) for f in FIELDS)
        services.recompute(o)
        o.refresh_from_db()
        assert tuple(getattr(o, f) for f in FIELDS) == before, o.number
    first_span = min(o.ordered_on for o in orders)
    assert (NOW.date() - first_span).days > 2 * 365
    assert selectors.otif_by_quarter(user=_admin()) != []


def _admin():
    from steward.users.choices import Role
    from steward.users.models import User

    return User.objects.filter(role=Role.ADMIN).first()
