"""Take the README/docs screenshots from a running Steward with the demo portfolio.

    make run                       # in one terminal (or any server with the demo loaded)
    .venv/bin/python scripts/screenshots.py --url http://127.0.0.1:8000 --password <demo password>

Writes PNGs to docs/screenshots/ with Debian's chromium driven by Playwright.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

# The revenue cycle's portfolio pages, as the director sees them.
REVENUE_PAGES = [
    ("pipeline-board", "/pipeline/"),
    ("pipeline-weighted", "/pipeline/weighted/"),
    ("quota-attainment", "/pipeline/attainment/"),
    ("quotes", "/quotes/"),
    ("approvals", "/quotes/approvals/"),
    ("orders-late", "/orders/late/"),
    ("otif", "/orders/otif/"),
    ("receivables", "/receivables/"),
    ("renewals", "/contracts/renewals/"),
]


# Service levels and improvement plans, as the operations manager sees them.
SLA_PAGES = [
    ("sla-cases", "/cases/"),
    ("sla-attainment", "/sla/attainment/"),
    ("sla-policies", "/sla/policies/"),
    ("sla-escalation-levels", "/sla/escalation-levels/"),
    ("sla-delivery-goals", "/sla/delivery-goals/"),
    ("improvement-plans", "/improvement/"),
]


def login(page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/$"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--password", required=True)
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        login(page, args.url, "director", args.password)
        page.wait_for_timeout(500)
        page.screenshot(path=str(out / "dashboard-director.png"))
        page.goto(f"{args.url}/accounts/?tier=Strategic&sort=-acv")
        page.screenshot(path=str(out / "account-list.png"))
        first = page.locator("table .row-title").first
        first.click()
        page.wait_for_load_state()
        page.screenshot(path=str(out / "account-360.png"), full_page=True)
        page.get_by_role("link", name=re.compile("Contacts & stakeholder map")).click()
        page.screenshot(path=str(out / "stakeholder-map.png"), full_page=True)
        page.get_by_role("link", name="Timeline", exact=True).click()
        page.screenshot(path=str(out / "timeline.png"))
        account_url = page.url.rsplit("/timeline/", 1)[0]
        for tab in ("opportunities", "quotes", "orders", "invoices", "contracts"):
            page.goto(f"{account_url}/{tab}/")
            page.screenshot(path=str(out / f"account-{tab}.png"), full_page=True)
        for name, path in REVENUE_PAGES:
            page.goto(f"{args.url}{path}")
            page.wait_for_timeout(300)
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
        page.context.clear_cookies()
        login(page, args.url, "ops", args.password)
        for name, path in SLA_PAGES:
            page.goto(f"{args.url}{path}")
            page.wait_for_timeout(300)
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
        page.goto(f"{args.url}/cases/?view=breached")
        page.locator("table .row-title").first.click()
        page.wait_for_load_state()
        page.screenshot(path=str(out / "sla-case.png"), full_page=True)
        page.goto(f"{args.url}/improvement/")
        page.locator("table .row-title").first.click()
        page.wait_for_load_state()
        page.wait_for_timeout(500)
        page.screenshot(path=str(out / "improvement-plan.png"), full_page=True)
        page.context.clear_cookies()
        login(page, args.url, "manager", args.password)
        page.wait_for_timeout(500)
        page.screenshot(path=str(out / "dashboard-manager.png"))
        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        login(phone, args.url, "manager", args.password)
        phone.goto(f"{args.url}/accounts/")
        phone.screenshot(path=str(out / "account-list-phone.png"))
        browser.close()
    print(f"screenshots written to {out}/")


if __name__ == "__main__":
    main()
