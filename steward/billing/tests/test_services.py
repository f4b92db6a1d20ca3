"""Billing services: invoicing orders (never twice), manual invoices, issue, void, payments and their refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from steward.billing import selectors, services
from steward.billing.choices import InvoiceStatus
from steward.billing.models import Invoice
from steward.billing.tests.factories import finance_user, manual_invoice, order
from steward.core.errors import PermissionDenied, StaleVersion, ValidationFailed
from steward.core.models import AuditEvent

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def finance(db):
    return finance_user()


def test_invoice_from_order_bills_what_was_delivered_and_never_twice(personas, finance):
    o = order(personas.account, lines=[("10", "4", "12.50", "0"), ("5", "0", "100.00", "10")])
    first = services.invoice_from_order(actor=finance, order=o, scope="delivered")
    assert first.status == InvoiceStatus.DRAFT and first.total == Decimal("50.00") and first.lines.count() == 1
    assert first.due_on == first.issued_on + dt.timedelta(days=30)  # the standard terms, the order has none
    with pytest.raises(services.InvoiceStateError, match="delivered and not yet invoiced"):
        services.invoice_from_order(actor=finance, order=o, scope="delivered")
    rest = services.invoice_from_order(actor=finance, order=o, scope="all")
    assert rest.total == Decimal("75.00") + Decimal("450.00")
    assert first.total + rest.total == o.total_amount
    with pytest.raises(services.InvoiceStateError):
        services.invoice_from_order(actor=finance, order=o, scope="all")


def test_a_void_invoice_frees_its_quantities(personas, finance):
    o = order(personas.account)
    inv = services.invoice_from_order(actor=finance, order=o, scope="delivered")
    services.invoice_void(actor=finance, invoice=inv, reason="Wrong address")
    again = services.invoice_from_order(actor=finance, order=o, scope="delivered")
    assert again.total == Decimal("50.00")


def test_order_terms_give_the_due_date(personas, finance, settings):
    settings.STEWARD_STANDARD_PAYMENT_TERMS_DAYS = 45
    o = order(personas.account)
    inv = services.invoice_from_order(actor=finance, order=o, scope="all", issued_on=dt.date(2026, 1, 10))
    expected = getattr(o, "payment_terms_days", None) or 45
    assert inv.payment_terms_days == expected and inv.due_on == dt.date(2026, 1, 10) + dt.timedelta(days=expected)


def test_who_may_invoice(personas, finance):
    o = order(personas.account)
    for who in (personas.owner, personas.teammate, personas.manager, personas.sponsor):
        with pytest.raises(PermissionDenied):
            services.invoice_from_order(actor=who, order=o, scope="all")
    with pytest.raises(PermissionDenied):
        services.invoice_from_order(actor=personas.outsider, order=o, scope="all")
    personas.account.operations_manager = personas.teammate
    personas.account.save()
    assert services.invoice_from_order(actor=personas.teammate, order=o, scope="all").total == Decimal("125.00")
    assert Invoice.objects.count() == 1


def test_manual_invoice_with_tax_and_refusals(personas, finance):
    inv = services.invoice_create(
        actor=finance, account=personas.account, data={"issued_on": dt.date(2026, 3, 1), "payment_terms_days": 14, "tax_rate": Decimal("19")},
        lines=[services.LineInput("Setup", Decimal(1), Decimal("100.00")), services.LineInput("Training day", Decimal("2.5"), Decimal("800.00"))],
    )
    assert (inv.subtotal, inv.tax_amount, inv.total, inv.balance) == (Decimal("2100.00"), Decimal("399.00"), Decimal("2499.00"), Decimal("2499.00"))
    assert inv.due_on == dt.date(2026, 3, 15) and inv.number.startswith("INV-2026-")
    with pytest.raises(ValidationFailed) as exc:
        services.invoice_create(actor=finance, account=personas.account, data={}, lines=[])
    assert "lines" in exc.value.field_errors
    with pytest.raises(ValidationFailed) as exc:
        services.invoice_create(actor=finance, account=personas.account, data={"payment_terms_days": 400}, lines=[services.LineInput("x", Decimal(1), Decimal(1))])
    assert "payment_terms_days" in exc.value.field_errors
    with pytest.raises(ValidationFailed):
        services.invoice_create(actor=finance, account=personas.account, data={}, lines=[services.LineInput("x", Decimal(-1), Decimal(1))])
    assert Invoice.objects.count() == 1


def test_numbers_are_unique_and_sequential(personas, finance):
    a = manual_invoice(finance, personas.account, issue=False)
    b = manual_invoice(finance, personas.account, issue=False)
    assert a.number != b.number and int(b.number[-6:]) == int(a.number[-6:]) + 1


def test_partial_payments_settle_the_invoice_and_record_days_to_pay(personas, finance):
    inv = manual_invoice(finance, personas.account, amount="1000.00", issued_on=TODAY - dt.timedelta(days=50), terms=30)
    services.payment_record(actor=finance, invoice=inv, data={"amount": Decimal("400.00"), "received_on": TODAY - dt.timedelta(days=10)})
    inv.refresh_from_db()
    assert inv.status == InvoiceStatus.PARTIALLY_PAID and inv.balance == Decimal("600.00") and inv.paid_on is None
    services.payment_record(actor=finance, invoice=inv, data={"amount": Decimal("600.00"), "received_on": TODAY})
    inv.refresh_from_db()
    assert inv.status == InvoiceStatus.PAID and inv.balance == 0 and inv.paid_on == TODAY
    assert inv.days_to_pay == 50 and inv.days_late == 20


def test_never_more_than_the_balance(personas, finance):
    inv = manual_invoice(finance, personas.account, amount="100.00")
    with pytest.raises(ValidationFailed) as exc:
        services.payment_record(actor=finance, invoice=inv, data={"amount": Decimal("100.01")})
    assert "amount" in exc.value.field_errors
    for bad in ("0", "-5", "abc", "1.005"):
        with pytest.raises(ValidationFailed):
            services.payment_record(actor=finance, invoice=inv, data={"amount": bad})
    with pytest.raises(ValidationFailed):
        services.payment_record(actor=finance, invoice=inv, data={"amount": "10", "received_on": TODAY + dt.timedelta(days=1)})
    inv.refresh_from_db()
    assert inv.amount_paid == 0 and inv.payments.count() == 0


def test_payments_go_against_issued_invoices_only(personas, finance):
    draft = manual_invoice(finance, personas.account, issue=False)
    with pytest.raises(services.InvoiceStateError):
        services.payment_record(actor=finance, invoice=draft, data={"amount": "10"})


def test_who_records_and_reverses_payments(personas, finance):
    inv = manual_invoice(finance, personas.account, amount="100.00")
    with pytest.raises(PermissionDenied):
        services.payment_record(actor=personas.owner, invoice=inv, data={"amount": "10"})
    personas.account.operations_manager = personas.teammate
    personas.account.save()
    payment = services.payment_record(actor=personas.teammate, invoice=inv, data={"amount": "100"})
    with pytest.raises(PermissionDenied):
        services.payment_reverse(actor=personas.teammate, payment=payment, reason="bounced")
    with pytest.raises(ValidationFailed):
        services.payment_reverse(actor=finance, payment=payment, reason=" ")
    services.payment_reverse(actor=finance, payment=payment, reason="Transfer bounced")
    inv.refresh_from_db()
    assert inv.status == InvoiceStatus.ISSUED and inv.balance == Decimal("100.00") and inv.paid_on is None and inv.days_to_pay is None
    with pytest.raises(services.InvoiceStateError):
        services.payment_reverse(actor=finance, payment=payment, reason="again")


def test_void_only_unpaid_with_a_reason_by_finance(personas, finance):
    inv = manual_invoice(finance, personas.account, amount="100.00")
    with pytest.raises(ValidationFailed):
        services.invoice_void(actor=finance, invoice=inv, reason="")
    with pytest.raises(PermissionDenied):
        services.invoice_void(actor=personas.owner, invoice=inv, reason="x")
    services.payment_record(actor=finance, invoice=inv, data={"amount": "10"})
    with pytest.raises(services.InvoiceStateError, match="payments"):
        services.invoice_void(actor=finance, invoice=inv, reason="Duplicate")
    other = manual_invoice(finance, personas.account)
    with pytest.raises(StaleVersion):
        services.invoice_void(actor=finance, invoice=other, reason="Duplicate", expected_version=1)
    voided = services.invoice_void(actor=finance, invoice=other, reason="Duplicate", expected_version=other.version)
    assert voided.status == InvoiceStatus.VOID


def test_issue_only_drafts_and_audited(personas, finance):
    inv = manual_invoice(finance, personas.account, issue=False)
    inv = services.invoice_issue(actor=finance, invoice=inv)
    assert inv.status == InvoiceStatus.ISSUED and inv.issued_at is not None
    with pytest.raises(services.InvoiceStateError):
        services.invoice_issue(actor=finance, invoice=inv)
    assert AuditEvent.objects.filter(object_type="billing.invoice", object_id=str(inv.public_id)).count() == 2


def test_ageing_in_the_database_matches_the_engine(personas, finance):
    from steward.billing.engine import ageing

    for days_past, amount in ((-5, "10"), (0, "20"), (1, "40"), (30, "80"), (31, "160"), (60, "320"), (61, "640"), (90, "1280"), (91, "2560")):
        manual_invoice(finance, personas.account, amount=amount, issued_on=TODAY - dt.timedelta(days=days_past + 30), terms=30)
    draft = manual_invoice(finance, personas.account, amount="99999", issued_on=TODAY - dt.timedelta(days=200), issue=False)
    assert draft.status == "draft"
    items = [ageing.OpenItem(i.due_on, i.balance) for i in Invoice.objects.filter(status="issued")]
    expected = ageing.age(items, TODAY)
    portfolio = selectors.portfolio_ageing(user=finance, as_of=TODAY)
    assert portfolio.buckets == expected.buckets
    assert portfolio.buckets == {"current": Decimal(30), "d1_30": Decimal(120), "d31_60": Decimal(480), "d61_90": Decimal(1920), "d90_plus": Decimal(2560)}
    (row,) = list(selectors.receivables_by_account(user=finance, as_of=TODAY))
    assert {k: row[k] for k in ageing.BUCKET_KEYS} == portfolio.buckets and row["overdue"] == portfolio.overdue and row["is_late"]
    account = selectors.account_receivables(account=personas.account, as_of=TODAY)
    assert account.ageing_by_currency["EUR"].buckets == expected.buckets and account.behaviour.max_days_overdue == 91


def test_other_currencies_convert_at_the_rate_or_stay_apart(personas, finance):
    from steward.accounts.models import ExchangeRate
    from steward.accounts.tests.factories import AccountFactory

    us = AccountFactory(currency="USD", owner=personas.owner)
    jp = AccountFactory(currency="JPY", owner=personas.owner)
    ExchangeRate.objects.create(currency="USD", rate=Decimal("0.5"), as_of=TODAY)
    manual_invoice(finance, us, amount="100.00", issued_on=TODAY - dt.timedelta(days=40))
    manual_invoice(finance, jp, amount="5000.00", issued_on=TODAY - dt.timedelta(days=40))
    manual_invoice(finance, personas.account, amount="10.00", issued_on=TODAY - dt.timedelta(days=40))
    portfolio = selectors.portfolio_ageing(user=finance, as_of=TODAY)
    assert portfolio.buckets["d1_30"] == Decimal("60.00") and portfolio.unconverted == {"JPY": Decimal("5000.00")}
    rows = {r["account_id"]: r for r in selectors.receivables_by_account(user=finance, as_of=TODAY)}
    assert rows[us.pk]["overdue"] == Decimal("50.00") and rows[jp.pk]["overdue"] is None


def test_days_to_pay_and_late_flag_per_account(personas, finance):
    for late in (10, 30):
        inv = manual_invoice(finance, personas.account, amount="100", issued_on=TODAY - dt.timedelta(days=100), terms=30)
        services.payment_record(actor=finance, invoice=inv, data={"amount": "100", "received_on": inv.due_on + dt.timedelta(days=late)})
    (row,) = list(selectors.receivables_by_account(user=finance, as_of=TODAY, owing_only=False))
    assert float(row["avg_days_late"]) == 20 and float(row["avg_days_to_pay"]) == 50 and row["is_late"]
    assert selectors.account_receivables(account=personas.account, as_of=TODAY).behaviour.is_late_payer
    assert list(selectors.receivables_by_account(user=finance, as_of=TODAY)) == []  # owes nothing


def test_visibility_of_receivables(personas, finance):
    manual_invoice(finance, personas.account, amount="100", issued_on=TODAY - dt.timedelta(days=60))
    assert selectors.portfolio_ageing(user=personas.outsider, as_of=TODAY).total == 0
    assert selectors.portfolio_ageing(user=personas.owner, as_of=TODAY).total == Decimal(100)
    assert selectors.overdue_panel(user=personas.outsider, as_of=TODAY).worst == []
    assert selectors.overdue_panel(user=personas.manager, as_of=TODAY).total == Decimal(100)
    assert timezone.now()
