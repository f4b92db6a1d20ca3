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
