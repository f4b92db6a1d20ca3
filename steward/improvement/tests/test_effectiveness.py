"""The effectiveness check counts what the database holds: hand-placed decided targets and delivered
orders before and after the change date, over the viewer's records only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from steward.accounts.tests.factories import AccountFactory
from steward.improvement import selectors, services
from steward.improvement.models import ImprovementAction
from steward.improvement.tests.helpers import decided
from steward.orders.models import Order

pytestmark = pytest.mark.django_db
CHANGE = dt.date(2026, 6, 1)
LATER = dt.date(2026, 7, 15)


def plan(personas, **data):
    return services.plan_create(actor=personas.admin, data={
        "title": "Resolution", "problem": "Too many breaches", "owner": personas.owner, "change_date": CHANGE,
        "before_days": 28, "after_days": 28, **data,
    })


def test_resolution_attainment_before_and_after_the_change_date(personas):
    a, o = personas.account, personas.owner
    decided(a, o, dt.date(2026, 5, 4), met=3, breached=2)  # first day of the before window
    decided(a, o, dt.date(2026, 5, 31), met=3, breached=2)  # last day before the change
    decided(a, o, dt.date(2026, 5, 3), breached=5)  # a day too early: not counted
    decided(a, o, CHANGE, met=5)  # the change date counts after
    decided(a, o, dt.date(2026, 6, 28), met=4, breached=1)  # last day of the after window
    decided(a, o, dt.date(2026, 6, 29), breached=5)  # a day too late
    decided(a, o, dt.date(2026, 6, 10), breached=3, kind="first_response")  # another metric
    other = AccountFactory(owner=personas.outsider)
    decided(other, personas.outsider, dt.date(2026, 6, 10), breached=7)  # another portfolio
    result = selectors.effectiveness(plan(personas, account=a), user=o, today=LATER)
    x = result.assessment
    assert (x.before.met, x.before.breached, x.after.met, x.after.breached) == (6, 4, 9, 1)
    assert (x.before_pct, x.after_pct, x.change_points, x.verdict) == (Decimal("60.0"), Decimal("90.0"), Decimal("30.0"), "improved")
    assert [(w.start, w.counts.met, w.counts.breached) for w in result.weeks][3:5] == [
        (dt.date(2026, 5, 25), 3, 2), (CHANGE, 5, 0),
    ]
    # A portfolio plan counts what the viewer sees: the owner does not see the other account's breaches.
    portfolio = selectors.effectiveness(plan(personas), user=o, today=LATER).assessment
    assert (portfolio.after.met, portfolio.after.breached) == (9, 1)
    everything = selectors.effectiveness(plan(personas), user=personas.admin, today=LATER).assessment
    assert (everything.after.met, everything.after.breached) == (9, 8)
    chart = selectors.effectiveness_chart(result)
    assert len(chart["labels"]) == 8 and chart["labels"][4].endswith("change")
    assert chart["datasets"][0]["data"][3] == 60.0 and chart["datasets"][0]["data"][4] is None
    assert chart["datasets"][1]["data"][4] == 100.0


def test_delivery_otif_counts_delivered_orders_by_delivery_date(personas):
    from types import SimpleNamespace

    from steward.orders.tests.factories import order, product

    item = product("PAL-1")
    made = [order(SimpleNamespace(account=personas.account, owner=personas.owner), item, actor=personas.owner) for _ in range(4)]
    for o, (day, on_time, in_full) in zip(made, [
        (dt.date(2026, 5, 20), False, True), (dt.date(2026, 5, 21), True, True), (CHANGE, True, True), (dt.date(2026, 6, 2), True, False),
    ], strict=True):
        Order.objects.filter(pk=o.pk).update(status="delivered", delivered_on=day, is_on_time=on_time, is_in_full=in_full)
    x = selectors.effectiveness(plan(personas, account=personas.account, metric="otif"), user=personas.owner, today=LATER).assessment
    assert (x.before.met, x.before.breached, x.after.met, x.after.breached) == (1, 1, 1, 1)
    assert x.verdict == "no_change" and x.change_points == Decimal("0.0")


def test_the_change_date_defaults_to_the_last_completed_action(personas):
    p = plan(personas, account=personas.account, change_date=None)
    assert selectors.change_date(p) == p.created_at.date()
    ImprovementAction.objects.create(plan=p, description="a", owner=personas.owner, due_on=CHANGE, status="done", completed_on=dt.date(2026, 5, 2))
    ImprovementAction.objects.create(plan=p, description="b", owner=personas.owner, due_on=CHANGE, status="done", completed_on=dt.date(2026, 5, 9))
    assert selectors.change_date(p) == dt.date(2026, 5, 9)
