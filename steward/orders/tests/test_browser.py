"""End to end in chromium: a late order shipped in two parts; OTIF and the progress report follow."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from steward.accounts.tests.factories import AccountFactory
from steward.core.tests.browser import Session, launch
from steward.orders import services
from steward.orders.tests.factories import contact, line, product
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
def late_order(db):
    ops = UserFactory(username="olga", first_name="Olga", last_name="Ops", role=Role.OPERATIONS)
    acme = AccountFactory(name="Acme Logistics", owner=ops, operations_manager=ops, currency="EUR")
    today = timezone.localdate()
    pallet = product("PAL-1200", list_price="12.50", name="Euro pallet 1200x800")
    order = services.order_create(
        actor=ops,
        account=acme,
        lines=[line(pallet, "10")],
        ordered_on=today - dt.timedelta(days=20),
        requested_date=today - dt.timedelta(days=5),
        promised_date=today - dt.timedelta(days=3),
        contact=contact(acme),
    )
    return order


def test_a_late_partial_shipment_then_the_rest_shows_in_otif_and_the_progress_report(
    browser, live_server, late_order
):
    olga = Session(browser, live_server, "olga", PASSWORD)
    page = olga.go(f"/accounts/{late_order.account.public_id}/orders/progress/")
    assert page.get_by_text("Late, and why (1)").is_visible()
    assert page.get_by_text("Not shipped yet").first.is_visible()

    page = olga.go(f"/orders/{late_order.public_id}/")
    assert page.get_by_test_id("late-badge").is_visible()
    page.get_by_test_id("record-shipment").first.click()
    page.wait_for_url("**/shipments/new/")
    page.get_by_label("PAL-1200 (line 1, 10 open)").fill("4")
    page.get_by_label("Delivered on").fill(timezone.localdate().isoformat())
    page.get_by_label("Carrier").fill("DHL")
    page.get_by_test_id("save-shipment").click()
    page.wait_for_url(f"**/orders/{late_order.public_id}/")
    assert page.get_by_text("Shipment recorded").is_visible()
    assert page.get_by_text("Partially shipped").first.is_visible()

    page.get_by_test_id("record-shipment").first.click()
    page.wait_for_url("**/shipments/new/")
    assert page.get_by_label("PAL-1200 (line 1, 6 open)").input_value() == "6"
    page.get_by_test_id("save-shipment").click()
    page.wait_for_url(f"**/orders/{late_order.public_id}/")
    page.get_by_test_id("mark-delivered-2").click()
    page.wait_for_load_state()
    assert page.get_by_text("Delivery recorded").is_visible()
    otif = page.get_by_test_id("otif")
    assert "Late" in otif.inner_text() and "In full" in otif.inner_text()

    page = olga.go("/orders/otif/")
    assert page.get_by_test_id("otif-total").inner_text().strip() == "0.0 %"
    assert page.get_by_text("0 of 1 delivered orders").is_visible()

    page = olga.go(f"/accounts/{late_order.account.public_id}/orders/progress/")
    assert page.get_by_text("Late, and why (0)").is_visible()
    assert page.get_by_text("Nothing is late.").is_visible()
    shipped = page.get_by_test_id("progress-shipped").inner_text()
    assert shipped.count(late_order.number) == 2
    assert "0.0 %" in page.get_by_test_id("progress-otif").inner_text()
    olga.close()
