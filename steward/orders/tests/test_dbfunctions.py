"""Native date truncation gives the same quarters and months as Django's own functions, on every database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models.functions import TruncMonth, TruncQuarter

from steward.core.dbfunctions import MonthStart, QuarterStart
from steward.orders.models import Order
from steward.orders.tests.factories import order, product

pytestmark = pytest.mark.django_db


def test_quarter_and_month_starts_match_django_for_every_month(personas):
    pallet = product()
    first = order(personas, pallet, ordered_on=dt.date(2024, 1, 1), requested_date=dt.date(2024, 1, 2), promised_date=dt.date(2024, 1, 3))
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(0, 400, 9)] + [dt.date(2024, 12, 31), dt.date(2024, 2, 29)]
    ids = []
    for day in days:
        ids.append(Order.objects.create(
            number=f"T-{day:%Y%m%d}", account=first.account, ordered_on=day, requested_date=day, promised_date=day,
        ).pk)
    rows = Order.objects.filter(pk__in=ids).annotate(
        q=QuarterStart("ordered_on"), m=MonthStart("ordered_on"), dq=TruncQuarter("ordered_on"), dm=TruncMonth("ordered_on"),
    ).values_list("ordered_on", "q", "m", "dq", "dm")
    for day, q, m, dq, dm in rows:
        assert q == dq == dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1), day
        assert m == dm == day.replace(day=1), day


def test_in_literal_selects_the_same_orders_as_a_bound_in(personas):
    from steward.core.dbfunctions import InLiteral
    from steward.orders.selectors import OPEN

    pallet = product()
    booked = order(personas, pallet)
    Order.objects.filter(pk=order(personas, pallet).pk).update(status="delivered")
    Order.objects.filter(pk=order(personas, pallet).pk).update(status="on_hold")
    literal = set(Order.objects.filter(InLiteral("status", OPEN)).values_list("pk", flat=True))
    bound = set(Order.objects.filter(status__in=OPEN).values_list("pk", flat=True))
    assert literal == bound and booked.pk in literal and len(literal) == 2
    assert Order.objects.exclude(InLiteral("status", OPEN)).get().status == "delivered"


@pytest.mark.parametrize("values", [[], ["open'); DROP TABLE x; --"], ["Booked"], ["a b"]])
def test_in_literal_takes_plain_code_values_only(values):
    from steward.core.dbfunctions import InLiteral

    with pytest.raises(ValueError, match="plain code values"):
        InLiteral("status", values)


def test_sqlite_can_read_late_orders_from_the_open_orders_index(personas):
    """Bound parameters never match a partial index's WHERE on SQLite; the literal status list does.

    `INDEXED BY` makes SQLite fail the query when the index cannot serve it, whatever the planner's costs."""
    from django.db import OperationalError, connection

    from steward.orders.selectors import OPEN, late_q

    if connection.vendor != "sqlite":
        pytest.skip("a question about SQLite's planner")

    def run(qs):
        sql, params = qs.order_by("promised_date", "id")[:6].query.sql_with_params()
        forced = sql.replace('FROM "orders_order"', 'FROM "orders_order" INDEXED BY order_open_promised_idx', 1)
        assert forced != sql
        with connection.cursor() as cursor:
            cursor.execute(forced, params)
            return cursor.fetchall()

    day = dt.date(2026, 1, 1)
    run(Order.objects.filter(late_q(day)))
    with pytest.raises(OperationalError, match="no query solution"):
        run(Order.objects.filter(status__in=OPEN, promised_date__lt=day))
