"""End to end in chromium: a contract ending in 100 days, the renewal job, the renewal opportunity
on the contract page and the alert on the owner's dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from steward.accounts.tests.factories import AccountFactory, tier
from steward.contracts.engine.term import add_months
from steward.contracts.models import Contract
from steward.contracts.tasks import run_renewals
from steward.core.tests.browser import Session, launch
from steward.pipeline.tests.factories import ensure_default_stages
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
    ensure_default_stages()
    manager = UserFactory(username="milo", first_name="Milo", last_name="Manager", role=Role.MANAGER)
    rep = UserFactory(username="eve", first_name="Eve", last_name="Exec", role=Role.EXECUTIVE, manager=manager)
    acme = AccountFactory(name="Acme Logistics", owner=rep, tier=tier("Strategic"), currency="EUR")
    pallet = product("PAL-1200", list_price="12.50", unit_cost="6.00", name="Euro pallet 1200x800")
    return {"rep": rep, "acme": acme, "pallet": pallet}


def test_a_contract_ending_in_100_days_gets_its_renewal_opportunity_and_dashboard_alert(browser, live_server, team):
    today = timezone.localdate()
    end = today + dt.timedelta(days=100)
    start = add_months(end + dt.timedelta(days=1), -12)
    eve = Session(browser, live_server, "eve", PASSWORD)
    page = eve.go(f"/accounts/{team['acme'].public_id}/contracts/")
    assert page.get_by_text("No contracts yet").is_visible()
    page.get_by_test_id("new-contract").click()
    page.get_by_label("Name").fill("Pallet pooling 2026")
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("End date").fill(end.isoformat())
    page.get_by_label("Annual value").fill("240000")
    page.get_by_label("Notice period (days)").fill("60")
    page.get_by_label("Products").select_option(label="PAL-1200 Euro pallet 1200x800")
    page.get_by_label("Measure, service level 1").fill("On-time delivery")
    page.get_by_label("Target, service level 1").fill("98")
    page.get_by_test_id("save-contract").click()
    page.wait_for_url("**/contracts/*/")
    assert page.get_by_test_id("total-value").inner_text().startswith("240,000.00 EUR")
    page.get_by_test_id("activate-contract").click()
    page.wait_for_load_state()
    assert page.get_by_text("The contract is active.").is_visible()
    assert page.get_by_test_id("renewal-opportunity").inner_text() == "not opened yet"

    # The periodic job, as the worker runs it.
    run_renewals.call()
    contract = Contract.objects.get()
    assert contract.renewal_opportunity is not None

    page = eve.go(f"/contracts/{contract.public_id}/")
    link = page.get_by_test_id("renewal-opportunity").get_by_role("link", name="Renewal: Pallet pooling 2026")
    assert link.is_visible()
    assert page.get_by_test_id("open-renewal").count() == 0
    eve.shot("contract-detail")
    link.click()
    page.wait_for_url(f"**/opportunities/{contract.renewal_opportunity.public_id}/")
    assert page.get_by_text("Renewal: Pallet pooling 2026").first.is_visible()

    page = eve.go("/")
    card = page.locator("[data-panel=renewals]")
    assert card.get_by_role("heading", name="Renewals due").is_visible()
    assert card.get_by_test_id("band-120").inner_text().startswith("1")
    assert card.get_by_role("link", name="Acme Logistics").is_visible()
    eve.shot("dashboard-renewals")
    eve.close()
