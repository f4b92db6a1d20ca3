"""End to end in chromium: a quote with a 25 % discount on Net 90 through approval, a voiding edit,
approval again, sending and acceptance."""

from __future__ import annotations

import pytest

from steward.accounts.tests.factories import AccountFactory, tier
from steward.core.tests.browser import Session, launch
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
    eve.close()
