"""The interactive docs page in a real browser: it renders under the CSP and calls the API."""


import pytest

from steward.core.tests.browser import launch
from steward.users.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        yield page
        browser.close()
    assert errors == [], f"browser errors (a CSP violation is one): {errors}"


def test_a_logged_in_user_tries_an_operation_from_the_docs_page(page, live_server, personas):
    page.goto(f"{live_server.url}/api/v1/docs")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url("**/api/v1/docs")

    page.get_by_text("/api/v1/me", exact=True).click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()

    live = page.locator(".live-responses-table .response .response-col_description").first
    live.wait_for()
    assert '"username": "owner"' in live.inner_text()


def test_a_write_from_the_docs_page_carries_the_csrf_token(page, live_server, personas):
    page.goto(f"{live_server.url}/api/v1/docs")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url("**/api/v1/docs")
    operation = page.locator("#operations-tasks-steward_accounts_api_task_create")

    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator("textarea.body-param__text").fill(
        f'{{"account": "{personas.account.public_id}", "title": "Filed from the docs"}}'
    )
    operation.get_by_role("button", name="Execute").click()

    operation.locator(".live-responses-table .response .response-col_status").first.wait_for()
    assert operation.locator(".live-responses-table .response .response-col_status").first.inner_text().strip() == "201"
    assert personas.account.tasks.filter(title="Filed from the docs").exists()
