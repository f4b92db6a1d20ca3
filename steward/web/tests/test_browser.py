"""End-to-end: real chromium (Debian's) driven by Playwright against the live server."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone

from steward.accounts.tests.factories import AccountFactory, ContactFactory, tier
from steward.core.tests.browser import launch
from steward.users.choices import Role
from steward.users.tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("STEWARD_SCREENSHOT_DIR")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert errors == [], f"browser errors: {errors}"


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.fixture
def portfolio(db):
    director = UserFactory(username="dana", first_name="Dana", last_name="Director", role=Role.DIRECTOR)
    manager = UserFactory(username="milo", first_name="Milo", last_name="Manager", role=Role.MANAGER, manager=director)
    peer = UserFactory(username="petra", first_name="Petra", last_name="Peer", role=Role.MANAGER, manager=director)
    now = timezone.now()
    acme = AccountFactory(name="Acme Logistics", owner=manager, tier=tier("Strategic"), annual_contract_value=480000)
    AccountFactory(name="Borealis Foods", owner=manager, tier=tier("Key"), lifecycle_stage="at_risk")
    AccountFactory(name="Cobalt Mining", owner=peer, tier=tier("Growth"))
    ceo = ContactFactory(account=acme, first_name="Clara", last_name="Chen", title="COO", buying_role="decision_maker", influence=5, last_touched_at=now - dt.timedelta(days=2))
    ContactFactory(account=acme, first_name="Sam", last_name="Ortiz", title="Head of Supply Chain", buying_role="champion", reports_to=ceo)
    return {"director": director, "manager": manager, "acme": acme}


def test_manager_filters_opens_360_logs_interaction_and_sees_it(page, live_server, portfolio):
    login(page, live_server, "milo")
    assert page.get_by_test_id("kpi-accounts").inner_text() == "2"
    page.wait_for_function(
        "() => window.Chart && window.Chart.getChart(document.querySelector('canvas[data-chart]'))?.data.labels.length === 4"
    )
    shot(page, "dashboard-manager")

    page.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_label("Tier", exact=True).select_option("Key")
    page.wait_for_url("**tier=Key**")
    assert page.get_by_test_id("result-count").inner_text() == "1 account"
    assert page.get_by_role("link", name="Borealis Foods").is_visible()
    assert page.get_by_role("link", name="Acme Logistics").count() == 0
    shot(page, "account-list")

    page.goto(f"{live_server.url}/accounts/?q=acme")
    page.get_by_role("link", name="Acme Logistics").click()
    page.wait_for_url(f"**/accounts/{portfolio['acme'].public_id}/")
    assert page.get_by_role("heading", name="Acme Logistics").is_visible()
    shot(page, "account-360")

    page.get_by_role("link", name="Contacts & stakeholder map").click()
    chart = page.get_by_test_id("org-chart")
    assert chart.get_by_text("Clara Chen").is_visible()
    assert chart.get_by_text("Sam Ortiz").is_visible()
    assert page.get_by_test_id("single-threaded-warning").is_visible()
    shot(page, "stakeholder-map")

    page.get_by_role("link", name="Log interaction").first.click()
    page.get_by_label("Kind").select_option("meeting")
    page.get_by_label("Subject").fill("Quarterly planning with Sam")
    page.get_by_label("Summary").fill("Walked through the Q3 delivery plan.")
    page.get_by_label("Sam Ortiz").check()
    page.get_by_label("Clara Chen").check()
    page.get_by_role("button", name="Log interaction").click()
    page.wait_for_url("**/timeline/")
    timeline = page.get_by_test_id("timeline")
    assert timeline.get_by_text("Quarterly planning with Sam").first.is_visible()
    shot(page, "timeline")

    # Two engaged senior contacts now: the warning is gone.
    page.get_by_role("link", name="Contacts & stakeholder map").click()
    assert page.get_by_test_id("single-threaded-warning").count() == 0


def test_director_sees_the_teams_portfolio(page, live_server, portfolio):
    login(page, live_server, "dana")
    assert page.get_by_test_id("kpi-accounts").inner_text() == "3"
    shot(page, "dashboard-director")
    page.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_label("Search", exact=True).fill("Cobalt")
    page.wait_for_url("**q=Cobalt**")
    assert page.get_by_test_id("result-count").inner_text() == "1 account"
    page.get_by_role("link", name="Cobalt Mining").click()
    assert page.get_by_role("heading", name="Cobalt Mining").is_visible()


def test_outsider_cannot_open_someone_elses_account(page, live_server, portfolio):
    UserFactory(username="otto", role=Role.MANAGER)
    login(page, live_server, "otto")
    # Through the browser's own session (cookies), without rendering the error page.
    response = page.request.get(f"{live_server.url}/accounts/{portfolio['acme'].public_id}/")
    assert response.status == 404


def test_pages_fit_a_phone_and_work_by_keyboard(browser, live_server, portfolio):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        login(page, live_server, "milo")
        acme = portfolio["acme"]
        for path in ["/", "/accounts/", f"/accounts/{acme.public_id}/", f"/accounts/{acme.public_id}/contacts/", "/tasks/"]:
            page.goto(f"{live_server.url}{path}")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
            if path.endswith("/contacts/"):
                shot(page, "account-contacts-phone")
        # The menu opens from the toggle; "/" focuses search from the keyboard.
        page.get_by_role("button", name="Open menu").click()
        assert page.get_by_role("link", name="My tasks").is_visible()
        page.keyboard.press("Escape")
        page.goto(f"{live_server.url}/accounts/")
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.id") == "global-search"
    finally:
        context.close()
