"""Billing pages: who sees what, invoicing an order, payments on the page, import, receivables and the shared pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from steward.billing.models import Invoice
from steward.billing.tests.factories import finance_user, manual_invoice, order

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def finance(db):
    return finance_user()


@pytest.mark.parametrize("who,status", [("owner", 200), ("teammate", 200), ("manager", 200), ("director", 200), ("admin", 200), ("sponsor", 200), ("outsider", 404)])
def test_who_sees_an_invoice(client, personas, finance, who, status):
    inv = manual_invoice(finance, personas.account)
    client.force_login(getattr(personas, who))
    assert client.get(reverse("billing:detail", args=[inv.public_id])).status_code == status
    assert client.get(reverse("billing:pdf", args=[inv.public_id])).status_code == status
    assert client.get(reverse("billing:account", args=[personas.account.public_id])).status_code == status
    assert (inv.number in client.get(reverse("billing:list")).content.decode()) == (status == 200)
    assert (personas.account.name in client.get(reverse("billing:receivables")).content.decode()) == (status == 200)


def test_an_outsider_cannot_pay_or_invoice_by_crafted_requests(client, personas, finance):
    inv = manual_invoice(finance, personas.account)
    o = order(personas.account)
    client.force_login(personas.outsider)
    assert client.post(reverse("billing:payment_create", args=[inv.public_id]), {"amount": "10", "received_on": TODAY, "method": "cash"}).status_code == 404
    assert client.post(reverse("billing:from_order"), {"order": str(o.public_id), "scope": "all"}).status_code == 404
    assert client.post(reverse("billing:action", args=[inv.public_id, "void"]), {"reason": "x"}).status_code == 404
    inv.refresh_from_db()
    assert inv.amount_paid == 0 and inv.status == "issued" and Invoice.objects.count() == 1


def test_invoice_an_order_from_its_button_then_issue_and_pay_in_part(client, personas, finance):
    o = order(personas.account, lines=[("10", "4", "12.50", "0")])
    client.force_login(finance)
    page = client.get(reverse("billing:from_order") + f"?order={o.public_id}").content.decode()
    assert "50.00" in page and "125.00" in page
    response = client.post(reverse("billing:from_order"), {"order": str(o.public_id), "scope": "delivered"})
    inv = Invoice.objects.get()
    assert response.status_code == 302 and inv.total == Decimal("50.00") and inv.order == o
    again = client.post(reverse("billing:from_order"), {"order": str(o.public_id), "scope": "delivered"}, follow=True)
    assert "delivered and not yet invoiced" in again.content.decode() and Invoice.objects.count() == 1
    client.post(reverse("billing:action", args=[inv.public_id, "issue"]), {"version": inv.version})
    inv.refresh_from_db()
    assert inv.status == "issued"
    too_much = client.post(reverse("billing:payment_create", args=[inv.public_id]), {"amount": "60", "received_on": TODAY, "method": "bank_transfer", "version": inv.version})
    assert too_much.status_code == 422 and "More than the balance" in too_much.content.decode()
    ok = client.post(reverse("billing:payment_create", args=[inv.public_id]), {"amount": "20", "received_on": TODAY, "method": "bank_transfer", "version": inv.version}, follow=True)
    assert "30.00 EUR still owed" in ok.content.decode()
    inv.refresh_from_db()
    assert inv.status == "partially_paid" and inv.balance == Decimal("30.00")


def test_a_stale_payment_form_is_refused(client, personas, finance):
    inv = manual_invoice(finance, personas.account, amount="100")
    client.force_login(finance)
    response = client.post(reverse("billing:payment_create", args=[inv.public_id]), {"amount": "20", "received_on": TODAY, "method": "cash", "version": inv.version - 1})
    assert response.status_code == 422 and "changed by someone else" in response.content.decode()


def test_owner_sees_but_cannot_invoice_or_pay(client, personas, finance):
    inv = manual_invoice(finance, personas.account)
    client.force_login(personas.owner)
    html = client.get(reverse("billing:detail", args=[inv.public_id])).content.decode()
    assert 'data-testid="record-payment"' not in html and 'data-testid="void-invoice"' not in html
    assert client.get(reverse("billing:create", args=[personas.account.public_id])).status_code == 404
    response = client.post(reverse("billing:payment_create", args=[inv.public_id]), {"amount": "10", "received_on": TODAY, "method": "cash"})
    assert response.status_code == 422 and "finance" in response.content.decode()


def test_manual_invoice_form(client, personas, finance):
    client.force_login(finance)
    data = {
        "issued_on": "2026-05-01", "payment_terms_days": "45", "currency": "EUR", "tax_rate": "0", "contact": "", "customer_reference": "PO-1", "note": "",
        "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "200",
        "lines-0-description": "Workshop", "lines-0-quantity": "2", "lines-0-unit_price": "750", "lines-1-description": "", "lines-1-quantity": "", "lines-1-unit_price": "",
    }
    response = client.post(reverse("billing:create", args=[personas.account.public_id]), data)
    inv = Invoice.objects.get()
    assert response.status_code == 302 and inv.total == Decimal("1500.00") and inv.due_on == dt.date(2026, 6, 15) and inv.status == "draft"


def test_void_and_reverse_on_the_page(client, personas, finance):
    inv = manual_invoice(finance, personas.account, amount="100")
    client.force_login(finance)
    client.post(reverse("billing:payment_create", args=[inv.public_id]), {"amount": "100", "received_on": TODAY, "method": "cash", "version": inv.version})
    payment = inv.payments.get()
    client.post(reverse("billing:payment_reverse", args=[payment.public_id]), {"reason": "Bounced"})
    inv.refresh_from_db()
    assert inv.status == "issued" and inv.balance == Decimal("100.00")
    client.post(reverse("billing:action", args=[inv.public_id, "void"]), {"reason": "Billed the wrong entity", "version": inv.version})
    inv.refresh_from_db()
    assert inv.status == "void"


def test_receivables_page_and_late_payers(client, personas, finance):
    manual_invoice(finance, personas.account, amount="500", issued_on=TODAY - dt.timedelta(days=130), terms=30)
    client.force_login(finance)
    html = client.get(reverse("billing:receivables")).content.decode()
    assert "late payer" in html and "ageing-data" in html and "500" in html
    assert client.get(reverse("billing:receivables") + "?late=1&sort=-d90_plus").status_code == 200
    for sort in ("name", "-total", "days", "-late", "oldest", "d1_30"):
        assert client.get(reverse("billing:receivables") + f"?sort={sort}").status_code == 200


def test_empty_pages_say_what_to_do(client, personas, finance):
    client.force_login(finance)
    assert "Nothing is owed" in client.get(reverse("billing:receivables")).content.decode()
    assert "No invoices match" in client.get(reverse("billing:list")).content.decode()
    assert "No invoices yet" in client.get(reverse("billing:account", args=[personas.account.public_id])).content.decode()


def test_list_filters_and_sorts(client, personas, finance):
    overdue = manual_invoice(finance, personas.account, amount="100", issued_on=TODAY - dt.timedelta(days=60))
    current = manual_invoice(finance, personas.account, amount="200")
    client.force_login(finance)
    html = client.get(reverse("billing:list") + "?overdue=1").content.decode()
    assert overdue.number in html and current.number not in html
    html = client.get(reverse("billing:list") + f"?account={personas.account.public_id}&sort=-balance&status=issued").content.decode()
    assert html.index(current.number) < html.index(overdue.number)
    for sort in ("number", "-account", "due", "total", "status"):
        assert client.get(reverse("billing:list") + f"?sort={sort}").status_code == 200


def test_list_query_count_does_not_grow_with_rows(client, personas, finance, django_assert_max_num_queries):
    for _ in range(30):
        manual_invoice(finance, personas.account, issue=False)
    client.force_login(finance)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("billing:list")).status_code == 200


def test_import_page_all_or_nothing(client, personas, finance):
    client.force_login(finance)
    bad = "account,number,issued_on,description,quantity,unit_price\nAcme Logistics,A-1,2026-01-05,Service,1,100\nAcme Logistics,A-2,2026-13-01,Service,1,100\n"
    response = client.post(reverse("billing:import"), {"file": SimpleUploadedFile("i.csv", bad.encode())})
    assert response.status_code == 422 and "Row 3, issued_on" in response.content.decode() and Invoice.objects.count() == 0
    good = bad.replace("2026-13-01", "2026-01-07")
    response = client.post(reverse("billing:import"), {"file": SimpleUploadedFile("i.csv", good.encode())})
    assert response.status_code == 302 and Invoice.objects.count() == 2


def test_dashboard_card_and_account_tab(client, personas, finance):
    manual_invoice(finance, personas.account, amount="700", issued_on=TODAY - dt.timedelta(days=45))
    client.force_login(personas.owner)
    html = client.get(reverse("dashboard")).content.decode()
    assert "Overdue receivables" in html and "Acme Logistics" in html
    tab = client.get(reverse("billing:account", args=[personas.account.public_id])).content.decode()
    assert "Invoices" in tab and "700.00" in tab
    client.force_login(personas.sponsor)
    assert "Overdue receivables" not in client.get(reverse("dashboard")).content.decode()
    client.force_login(personas.outsider)
    assert "Overdue receivables" not in client.get(reverse("dashboard")).content.decode()


def test_email_logs_on_the_timeline(client, personas, finance, mailoutbox):
    from steward.accounts.tests.factories import ContactFactory

    ContactFactory(account=personas.account, is_primary=True, email="ap@acme.example")
    inv = manual_invoice(finance, personas.account)
    client.force_login(finance)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("steward.billing.documents.invoice_pdf", lambda invoice: b"%PDF-1.4")
        client.post(reverse("billing:action", args=[inv.public_id, "email"]))
    assert personas.account.interactions.filter(subject=f"Invoice {inv.number}").exists()


def test_receivables_queries_do_not_grow_with_accounts(client, personas, finance, django_assert_max_num_queries):
    from steward.accounts.tests.factories import AccountFactory

    for _ in range(30):
        manual_invoice(finance, AccountFactory(owner=personas.owner), amount="100", issued_on=TODAY - dt.timedelta(days=45))
    client.force_login(finance)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("billing:receivables")).status_code == 200
    from django.utils import timezone

    from steward.billing import panels

    with django_assert_max_num_queries(5):
        assert len(panels.overdue_panel(finance, timezone.now())["overdue"].worst) == 5
