"""Whatever sequence of deliveries, invoices and voids happens, an order line is never invoiced beyond what it may be."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.billing import services
from steward.billing.models import Invoice, InvoiceLine
from steward.billing.tests.factories import finance_user, order
from steward.users.models import User

pytestmark = pytest.mark.django_db

STEP = st.one_of(
    st.tuples(st.just("deliver"), st.integers(0, 1), st.integers(1, 4)),
    st.tuples(st.just("invoice"), st.sampled_from(["delivered", "all"]), st.just(0)),
    st.tuples(st.just("void"), st.integers(0, 5), st.just(0)),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=10))
def test_an_order_line_is_never_invoiced_twice(personas, steps):
    finance = User.objects.filter(username="fin").first() or finance_user("fin")  # examples share the test's database
    o = order(personas.account, lines=[("7", "0", "9.99", "12.5"), ("3", "0", "100.00", "0")])
    lines = list(o.lines.order_by("position"))
    delivered_scope_only = True
    for kind, a, b in steps:
        if kind == "deliver":
            line = lines[a]
            line.delivered_quantity = min(line.quantity, line.delivered_quantity + b)
            line.save(update_fields=["delivered_quantity"])
        elif kind == "invoice":
            delivered_scope_only &= a == "delivered"
            with contextlib.suppress(services.InvoiceStateError):  # nothing left to invoice is a fine outcome
                services.invoice_from_order(actor=finance, order=o, scope=a)
        else:
            live = list(Invoice.objects.filter(order=o).exclude(status="void").order_by("pk"))
            if live:
                services.invoice_void(actor=finance, invoice=live[a % len(live)], reason="test")
        for line in lines:
            line.refresh_from_db()
            billed = InvoiceLine.objects.filter(order_line=line).exclude(invoice__status="void").aggregate(q=Sum("quantity"), a=Sum("amount"))
            quantity, amount = billed["q"] or Decimal(0), billed["a"] or Decimal(0)
            assert quantity <= line.quantity
            if delivered_scope_only:
                assert quantity <= line.delivered_quantity
            if quantity == line.quantity:
                assert amount == line.amount  # a fully invoiced line adds up to the cent
