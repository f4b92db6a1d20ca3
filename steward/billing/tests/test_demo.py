"""Demo invoices are what the services would have written: never more than delivered, totals and balances agree."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db.models import F, Sum

from steward.accounts.tests.factories import AccountFactory
from steward.billing import demo, selectors, services
from steward.billing.models import Invoice, InvoiceLine, Payment
from steward.billing.tests.factories import finance_user, order
from steward.demo.generator import SeedReport

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()
NOW = dt.datetime.combine(TODAY, dt.time(0), tzinfo=dt.UTC)


def test_demo_invoices_are_consistent():
    rng = random.Random(3)
    for _ in range(40):
        account = AccountFactory()
        for _ in range(6):
            ordered = TODAY - dt.timedelta(days=rng.randint(5, 3 * 365))
            order(account, ordered_on=ordered, delivered_on=ordered + dt.timedelta(days=8),
                  lines=[("10", str(rng.choice([0, 4, 10])), "12.50", "5"), ("3", "3", "99.99", "0")])
    report = SeedReport()
    demo.seed_demo(SimpleNamespace(rng=random.Random(1), now=NOW, report=report, options=None, company=None, progress=print))
    assert demo.has_data() and report.rows["invoices"] == Invoice.objects.count() > 150
    statuses = Counter(Invoice.objects.values_list("status", flat=True))
    assert statuses["paid"] and statuses["issued"]
    for inv in Invoice.objects.annotate(lines_sum=Sum("lines__amount")):
        assert inv.total == inv.lines_sum and inv.due_on == inv.issued_on + dt.timedelta(days=inv.payment_terms_days)
        paid = inv.payments.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        assert inv.amount_paid == paid and inv.balance == inv.total - paid
        if inv.status == "paid":
            assert inv.days_to_pay == (inv.paid_on - inv.issued_on).days
    over = InvoiceLine.objects.values("order_line").annotate(q=Sum("quantity")).filter(q__gt=F("order_line__delivered_quantity"))
    assert not over.exists()
    assert not Payment.objects.filter(received_on__gt=TODAY).exists()
    finance = finance_user()
    ageing = selectors.portfolio_ageing(user=finance, as_of=TODAY)
    assert ageing.overdue > 0 and ageing.buckets["d90_plus"] > 0
    assert selectors.receivables_by_account(user=finance, as_of=TODAY, late_only=True).count() > 0
    # Nothing delivered is left to invoice, and a demo invoice takes payments through the services like any other.
    some = Invoice.objects.filter(status="issued").select_related("order").first()
    with pytest.raises(services.InvoiceStateError):
        services.invoice_from_order(actor=finance, order=some.order, scope="delivered")
    services.payment_record(actor=finance, invoice=some, data={"amount": some.balance})
    some.refresh_from_db()
    assert some.status == "paid"
    assert services.next_number(TODAY.year) not in set(Invoice.objects.values_list("number", flat=True))


def test_seed_demo_invoices_the_demo_orders():
    from steward.demo.generator import SeedOptions, generate

    generate(SeedOptions(accounts=30, seed=5, now=NOW, chunk_size=15))
    assert Invoice.objects.filter(order__isnull=False).count() > 30
    assert Invoice.objects.filter(status="paid").exists() and Payment.objects.exists()
    over = InvoiceLine.objects.values("order_line").annotate(q=Sum("quantity")).filter(q__gt=F("order_line__delivered_quantity"))
    assert not over.exists()
