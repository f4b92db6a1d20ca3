"""End to end in chromium: finance invoices an order's delivered lines, issues the invoice, records a partial
payment, and sees the receivables and the account's ageing change."""

from __future__ import annotations

import pytest

from steward.accounts.tests.factories import AccountFactory, tier
from steward.billing.models import Invoice
from steward.billing.tests.factories import order
from steward.core.tests.browser import Session, launch
from steward.users.choices import Role
from steward.users.tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        yield browser
        browser.close()


@pytest.fixture
def setup(db):
    fay = UserFactory(username="fay", first_name="Fay", last_name="Finance", role=Role.FINANCE)
    rep = UserFactory(username="eve", first_name="Eve", last_name="Exec", role=Role.EXECUTIVE)
    acme = AccountFactory(name="Acme Logistics", owner=rep, tier=tier("Strategic"), currency="EUR")
    so = order(acme, lines=[("100", "40", "12.50", "0"), ("10", "0", "80.00", "0")])
    return {"fay": fay, "acme": acme, "order": so}


def test_invoice_an_order_and_record_a_partial_payment(browser, live_server, setup):
    fay = Session(browser, live_server, "fay", PASSWORD)
    page = fay.go(f"/invoices/from-order/?order={setup['order'].public_id}")
    page.get_by_test_id("invoice-delivered").click()
    page.wait_for_url("**/invoices/*/")
    assert page.get_by_text("was created as a draft").is_visible()
    assert page.get_by_test_id("invoice-total").inner_text() == "500.00 EUR"
    page.get_by_test_id("issue-invoice").click()
    page.wait_for_load_state()
    assert page.get_by_text("is issued, due on").is_visible()
    invoice = Invoice.objects.get()

    page = fay.go("/receivables/")
    assert page.get_by_test_id("receivables-total").inner_text() == "500 EUR"
    assert page.get_by_test_id("bucket-current").inner_text() == "500.00"

    page = fay.go(f"/invoices/{invoice.public_id}/")
    page.get_by_label("Amount").fill("200")
    page.get_by_test_id("record-payment").click()
    page.wait_for_load_state()
    assert page.get_by_text("still owed").is_visible()
    assert page.get_by_test_id("invoice-balance").inner_text() == "300.00"
    # More than the balance is refused on the page, and nothing is saved.
    page.get_by_label("Amount").fill("301")
    page.get_by_test_id("record-payment").click()
    page.wait_for_load_state()
    assert page.get_by_text("More than the balance (300.00 EUR).", exact=True).is_visible()
    assert fay.errors == ["Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"]
    fay.errors.clear()  # the refused form answers 422 on purpose
    fay.shot("invoice-partially-paid")

    page = fay.go("/receivables/")
    assert page.get_by_test_id("receivables-total").inner_text() == "300 EUR"
    page = fay.go(f"/accounts/{setup['acme'].public_id}/invoices/")
    assert page.get_by_test_id("account-bucket-current").inner_text() == "300.00"
    assert page.get_by_text(invoice.number).is_visible()
    fay.shot("account-invoices")

    # The rest of the order can still be invoiced; what was invoiced cannot be invoiced again.
    page = fay.go(f"/invoices/from-order/?order={setup['order'].public_id}")
    assert page.get_by_text("Nothing delivered to invoice").is_visible()
    invoice.refresh_from_db()
    assert invoice.status == "partially_paid" and str(invoice.balance) == "300.00"
    fay.close()
