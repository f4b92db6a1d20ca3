"""End to end in chromium: a Strategic account's case opened on Friday evening is due on Monday, a
pause holds the clock, the customer's answer resumes it, and a breach escalates the case to L2 and
notifies its people once; an improvement plan opened from the breach links the case and shows its
effectiveness chart, and the account's Cases tab shows attainment by quarter and the open plan."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from steward.accounts.tests.factories import AccountFactory, tier
from steward.core.models import Notification
from steward.core.tests.browser import Session, launch
from steward.sla import services
from steward.sla.services import Scope, TargetInput
from steward.users.choices import Role
from steward.users.tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UTC = dt.UTC
FRIDAY_EVENING = dt.datetime(2026, 11, 20, 16, 30, tzinfo=UTC)  # 17:30 in Berlin


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        yield browser
        browser.close()


@pytest.fixture
def desk(db):
    admin = UserFactory(username="ada", role=Role.ADMIN)
    olga = UserFactory(username="olga", first_name="Olga", last_name="Ops", role=Role.OPERATIONS, email="olga@example.com")
    strategic = tier("Strategic")
    acme = AccountFactory(name="Acme Logistics", owner=olga, operations_manager=olga, tier=strategic)
    berlin = services.calendar_create(actor=admin, data={"name": "Berlin desk", "time_zone": "Europe/Berlin", "week": ["09:00-18:00"] * 5 + ["", ""]})
    services.policy_create(
        actor=admin, data={"name": "Strategic accounts", "calendar": berlin}, scope=Scope(tiers=[strategic]),
        targets=[TargetInput("high", "first_response", 4 * 60), TargetInput("high", "resolution", 16 * 60)],
        now=FRIDAY_EVENING - dt.timedelta(days=30),
    )
    return {"olga": olga, "acme": acme}


def test_a_friday_evening_case_is_due_monday_pauses_and_escalates_on_breach(browser, live_server, desk):
    acme = desk["acme"]
    with time_machine.travel(FRIDAY_EVENING, tick=True):
        olga = Session(browser, live_server, "olga", PASSWORD)
        page = olga.go(f"/accounts/{acme.public_id}/cases/")
        page.get_by_test_id("new-case").click()
        page.get_by_label("Subject").fill("Pallets damaged on arrival")
        page.get_by_label("Priority").select_option("high")
        page.get_by_test_id("open-case").click()
        page.wait_for_url("**/cases/*/")
        case_url = page.url
        # 30 minutes on Friday until 18:00, three and a half hours on Monday from 09:00.
        assert page.get_by_test_id("due-first_response").inner_text() == "Mon 23 Nov 2026, 12:30"
        olga.close()

    with time_machine.travel(dt.datetime(2026, 11, 23, 9, tzinfo=UTC), tick=True):  # Monday 10:00 Berlin
        olga = Session(browser, live_server, "olga", PASSWORD)
        page = olga.go(case_url.removeprefix(live_server.url))
        page.get_by_label("Message").fill("Sorry about this: could you send photos of the damaged pallets?")
        page.get_by_test_id("send-reply").click()
        page.wait_for_load_state()
        assert page.get_by_test_id("target-first_response").get_by_text("Met", exact=True).is_visible()
        page.get_by_label("Status").select_option("waiting_on_customer")
        page.get_by_test_id("set-status").click()
        page.wait_for_load_state()
        assert page.get_by_test_id("target-resolution").get_by_text("Paused", exact=True).is_visible()
        olga.close()

    with time_machine.travel(dt.datetime(2026, 11, 25, 8, tzinfo=UTC), tick=True):  # Wednesday 09:00 Berlin
        olga = Session(browser, live_server, "olga", PASSWORD)
        page = olga.go(case_url.removeprefix(live_server.url))
        page.get_by_label("Log the customer's reply").check()
        page.get_by_label("Message").fill("Photos attached.")
        page.get_by_test_id("send-reply").click()
        page.wait_for_load_state()
        # 1 h 30 of the 16 were used before the pause (Friday 30 min, Monday 09:00-10:00); the clock was
        # held until now, so 14 h 30 remain: Wednesday 09:00-18:00 and Thursday 09:00-14:30.
        assert page.get_by_test_id("due-resolution").inner_text() == "Thu 26 Nov 2026, 14:30"
        olga.close()

    friday = dt.datetime(2026, 11, 27, 10, tzinfo=UTC)
    with time_machine.travel(friday, tick=True):
        services.cases_recompute_open(now=friday)  # the periodic job
        services.cases_recompute_open(now=friday + dt.timedelta(minutes=5))  # and its next run
        olga = Session(browser, live_server, "olga", PASSWORD)
        page = olga.go(case_url.removeprefix(live_server.url))
        assert page.get_by_test_id("escalation-level").inner_text() == "Escalated: L2"
        assert page.get_by_test_id("target-resolution").get_by_text("Breached", exact=True).is_visible()
        page = olga.go("/notifications/")
        assert page.get_by_role("link", name=re.compile("resolution was breached")).count() == 1  # told once
        assert page.get_by_role("link", name=re.compile("escalated to L2")).count() == 1

        # From the breach on the case page to an improvement plan with the case linked and its effectiveness chart.
        page = olga.go(case_url.removeprefix(live_server.url))
        number = page.locator("h1").inner_text().split()[0]
        page.get_by_test_id("plan-from-resolution").click()
        page.wait_for_url("**/improvement/new/**")
        assert page.get_by_label("Title").input_value() == f"Resolution breached on {number}"
        page.get_by_test_id("save-plan").click()
        page.wait_for_url(re.compile(r".*/improvement/[0-9a-f-]{36}/$"))
        assert page.get_by_test_id("plan-status").inner_text() == "Open"
        plan_number = page.get_by_test_id("plan-title").inner_text().split()[0]
        assert plan_number.startswith("IP-2026-")
        assert page.get_by_test_id("linked").get_by_role("link", name=number).is_visible()
        assert page.get_by_test_id("source").get_by_text(number).is_visible()
        chart = page.get_by_test_id("effect-chart")
        chart.wait_for(state="visible")
        assert chart.is_visible() and chart.bounding_box()["height"] > 50
        assert page.get_by_test_id("verdict").is_visible()
        # The five whys and a first action, through HTMX: the plan moves to "actions in progress".
        page.get_by_label("Why 1?").fill("The case waited over the weekend")
        page.get_by_label("Why 2?").fill("Nobody covers the queue after 16:00 on Fridays")
        page.get_by_test_id("save-rca").click()
        page.get_by_test_id("rca").get_by_text("Saved").wait_for()
        page.get_by_role("textbox", name="Action").fill("Extend the Friday shift to 18:00")
        page.get_by_test_id("add-action").click()
        page.get_by_test_id("action-row").wait_for()
        page.wait_for_load_state()
        page.get_by_test_id("plan-status").get_by_text("Actions in progress").wait_for()
        assert page.get_by_test_id("effect-chart").is_visible()

        # The account 360 Cases tab: attainment by quarter, and the new plan among the account's open plans.
        page = olga.go(f"/accounts/{acme.public_id}/cases/")
        assert page.get_by_role("heading", name="SLA attainment by quarter").is_visible()
        assert page.get_by_test_id("account-attainment").is_visible()
        page.get_by_test_id("account-plans").wait_for(state="visible")
        assert page.get_by_test_id("account-plans").get_by_role("link", name=plan_number).is_visible()
        assert not olga.errors, olga.errors
        olga.close()
    assert Notification.objects.filter(user=desk["olga"], subject__contains="resolution was breached").count() == 1
