"""End to end in chromium: a quote with a 25 % discount on Net 90 through approval, a voiding edit,
approval again, sending and acceptance; the accepted quote becomes an order, whose shipment arrives
late, and OTIF and the account's order progress report show it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from steward.accounts.tests.factories import AccountFactory, tier
from steward.core.tests.browser import Session, launch
from steward.orders.models import Order
from steward.quotes.models import Quote
from steward.quotes.tests.factories import product
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
def team(db):
    director = UserFactory(username="dana", first_name="Dana", last_name="Director", role=Role.DIRECTOR)
    manager = UserFactory(username="milo", first_name="Milo", last_name="Manager", role=Role.MANAGER, manager=director)
    rep = UserFactory(username="eve", first_name="Eve", last_name="Exec", role=Role.EXECUTIVE, manager=manager)
    acme = AccountFactory(name="Acme Logistics", owner=rep, tier=tier("Strategic"), currency="EUR")
    pallet = product("PAL-1200", list_price="12.50", unit_cost="6.00", name="Euro pallet 1200x800")
    return {"director": director, "manager": manager, "rep": rep, "acme": acme, "pallet": pallet}


def approve(browser, live_server, username: str, quote: Quote, comment: str = "") -> None:
    s = Session(browser, live_server, username, PASSWORD)
    page = s.go("/quotes/approvals/")
    page.get_by_role("link", name=quote.label).click()
    if comment:
        page.get_by_label("Comment").fill(comment)
    page.get_by_test_id("approve").click()
    page.wait_for_load_state()
    assert page.get_by_text("Approved.").first.is_visible()
    s.close()


def test_a_discounted_quote_goes_through_approval_and_an_edit_voids_it(browser, live_server, team):
    eve = Session(browser, live_server, "eve", PASSWORD)
    page = eve.go(f"/accounts/{team['acme'].public_id}/quotes/")
    page.get_by_test_id("new-quote").click()
    page.get_by_label("Title").fill("Pallets for 2027")
    page.get_by_label("Product, line 1").select_option(label="PAL-1200 Euro pallet 1200x800")
    page.get_by_label("Quantity, line 1").fill("1000")
    page.get_by_label("Discount, line 1").fill("25")
    page.get_by_label("Payment terms (Net days)").fill("90")
    page.get_by_test_id("save-quote").click()
    page.wait_for_url("**/quotes/*/")
    assert page.get_by_test_id("quote-total").inner_text() == "9,375.00 EUR"
    page.get_by_test_id("submit-quote").click()
    page.wait_for_load_state()
    assert page.get_by_text("Submitted for approval.").is_visible()
    assert page.get_by_test_id("send-disabled").is_disabled()
    quote = Quote.objects.get()
    # Even a hand-made request to send it is refused.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    forged = page.request.post(f"{live_server.url}/quotes/{quote.public_id}/send/", form={"csrfmiddlewaretoken": token})
    assert "not approved" in forged.text()
    eve.shot("quote-pending")

    approve(browser, live_server, "milo", quote, comment="Fine for a 3-year volume deal")
    approve(browser, live_server, "dana", quote)
    quote.refresh_from_db()
    assert quote.status == "approved"

    # An edit to the discount voids the approval.
    page = eve.go(f"/quotes/{quote.public_id}/")
    assert page.get_by_test_id("step-1").get_by_text("Fine for a 3-year volume deal").is_visible()
    page.get_by_test_id("edit-quote").click()
    page.get_by_label("Discount, line 1").fill("24")
    page.get_by_test_id("save-quote").click()
    page.wait_for_url(f"**/quotes/{quote.public_id}/")
    assert page.get_by_text("voided the approval").is_visible()
    assert page.get_by_test_id("send-quote").count() == 0
    page.get_by_test_id("submit-quote").click()
    page.wait_for_load_state()

    approve(browser, live_server, "milo", quote)
    approve(browser, live_server, "dana", quote)

    page = eve.go(f"/quotes/{quote.public_id}/")
    page.get_by_test_id("send-quote").click()
    page.wait_for_load_state()
    assert page.get_by_text("Marked as sent").is_visible()
    page.get_by_test_id("accept-quote").click()
    page.wait_for_load_state()
    assert page.get_by_text("Recorded as accepted").is_visible()
    eve.shot("quote-accepted")
    quote.refresh_from_db()
    assert quote.status == "accepted" and quote.approval_requests.count() == 2

    # The accepted quote becomes the customer's order, promised for ten days from now.
    today = timezone.localdate()
    promised = today + dt.timedelta(days=10)
    page.get_by_label("Requested delivery").fill((today + dt.timedelta(days=7)).isoformat())
    page.get_by_label("Promised delivery").fill(promised.isoformat())
    page.get_by_label("Customer PO").fill("PO-4711")
    page.get_by_test_id("convert-quote").click()
    page.wait_for_url("**/orders/*/")
    order = Order.objects.get()
    assert page.get_by_role("heading", name=f"Order {order.number}").is_visible()
    assert (order.total_amount, order.payment_terms_days, order.promised_date) == (quote.total, 90, promised)
    page = eve.go(f"/quotes/{quote.public_id}/")
    assert page.get_by_test_id("quote-order").inner_text() == order.number
    assert page.get_by_test_id("convert-quote").count() == 0

    eve.close()

    # Two weeks on (a new working day, a new login), the pallets leave and arrive four days late.
    with time_machine.travel(timezone.now() + dt.timedelta(days=14), tick=True):
        arrived = timezone.localdate()
        eve = Session(browser, live_server, "eve", PASSWORD)
        page = eve.go(f"/orders/{order.public_id}/")
        assert page.get_by_test_id("late-badge").is_visible()
        page.get_by_test_id("record-shipment").first.click()
        page.wait_for_url("**/shipments/new/")
        assert page.get_by_label("PAL-1200 (line 1, 1000 open)").input_value() == "1000"
        page.get_by_label("Delivered on").fill(arrived.isoformat())
        page.get_by_test_id("save-shipment").click()
        page.wait_for_url(f"**/orders/{order.public_id}/")
        assert page.get_by_text("Shipment recorded").is_visible()
        otif = page.get_by_test_id("otif").inner_text()
        assert "Late" in otif and "In full" in otif

        page = eve.go("/orders/otif/")
        assert page.get_by_test_id("otif-total").inner_text().strip() == "0.0 %"
        assert page.get_by_text("0 of 1 delivered orders").is_visible()

        page = eve.go(f"/accounts/{team['acme'].public_id}/orders/progress/")
        assert order.number in page.get_by_test_id("progress-shipped").inner_text()
        assert page.get_by_test_id("delivered-late").inner_text() == "4\xa0days late"
        assert "0.0 %" in page.get_by_test_id("progress-otif").inner_text()
        eve.shot("order-progress-late")
        eve.close()
