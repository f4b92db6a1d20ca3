"""End to end in chromium: a manager opens an opportunity on an account, moves it on the board,
closes it won and sees their quota attainment go up."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from steward.accounts.tests.factories import AccountFactory, tier
from steward.core.tests.browser import launch
from steward.pipeline.engine.periods import period_start
from steward.pipeline.models import Quota
from steward.pipeline.tests.factories import ensure_default_stages
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


def test_manager_opens_moves_and_wins_an_opportunity_and_attainment_goes_up(page, live_server):
    ensure_default_stages()
    director = UserFactory(username="dana", first_name="Dana", last_name="Director", role=Role.DIRECTOR)
    manager = UserFactory(username="milo", first_name="Milo", last_name="Manager", role=Role.MANAGER, manager=director)
    acme = AccountFactory(name="Acme Logistics", owner=manager, tier=tier("Strategic"), currency="EUR")
    today = dt.date.today()
    Quota.objects.create(user=manager, kind="quarter", period_start=period_start("quarter", today), amount=Decimal(100000), currency="EUR")

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("milo")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert "0.0 %" in page.locator('[data-panel="quota"]').inner_text()

    # From the account's Opportunities tab.
    page.goto(f"{live_server.url}/accounts/{acme.public_id}/")
    page.get_by_role("link", name="Opportunities").click()
    page.get_by_role("link", name="New opportunity").click()
    page.get_by_label("Name").fill("Cold-chain rollout")
    page.get_by_label("Amount").fill("25000")
    page.get_by_label("Close date").fill((today + dt.timedelta(days=20)).isoformat())
    page.get_by_label("Next step").fill("Send the proposal")
    page.get_by_role("button", name="Save opportunity").click()
    page.get_by_text("Opportunity “Cold-chain rollout” created.").wait_for()
    assert "Prospecting" in page.get_by_test_id("stage-badge").inner_text()

    # On the board: move the card to Negotiation with its Move control (HTMX swaps the board).
    page.get_by_role("link", name="Pipeline", exact=True).click()
    card = page.locator(".board-card", has_text="Cold-chain rollout")
    card.get_by_label("Move Cold-chain rollout to").select_option(label="Negotiation")
    card.get_by_role("button", name="Move").click()
    page.get_by_text("“Cold-chain rollout” moved to Negotiation.").wait_for()
    column = page.locator(".board-col", has_text="Negotiation")
    assert "Cold-chain rollout" in column.inner_text()
    assert page.get_by_test_id("board-weighted").inner_text() == "18.8k EUR"  # 25,000 at 75 %
    shot(page, "pipeline-board")

    # Close it won from its page.
    column.get_by_role("link", name="Cold-chain rollout").click()
    page.get_by_role("button", name="Close won").click()
    page.get_by_text("Closed won.").wait_for()
    assert "Closed won" in page.get_by_test_id("stage-badge").inner_text()
    assert "Negotiation</strong> → <strong>Closed won" in page.content()

    # Attainment went from 0 to 25 %.
    page.get_by_role("link", name="Pipeline", exact=True).click()
    page.get_by_role("link", name="Quota attainment").click()
    row = page.get_by_test_id("row-milo")
    assert "25.0 %" in row.get_by_test_id("own-pct").inner_text()
    shot(page, "quota-attainment")
    page.goto(f"{live_server.url}/")
    assert "25.0 %" in page.locator('[data-panel="quota"]').inner_text()
