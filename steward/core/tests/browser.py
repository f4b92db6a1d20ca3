"""What every browser test launches: Debian's chromium, with the flags these machines need."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def launch(pw):
    """A chromium browser for Playwright `pw`; fails the test clearly when chromium is missing."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # for set-up are synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required for the browser tests: run scripts/ensure-chromium.sh")
    return pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)


class Session:
    """One person's browser context: log in once, collect console errors, screenshot on demand."""

    def __init__(self, browser, live_server, username: str, password: str):
        self.context = browser.new_context(viewport={"width": 1360, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.base = live_server.url
        self.page.goto(f"{self.base}/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(f"{self.base}/")

    def go(self, path: str):
        self.page.goto(f"{self.base}{path}")
        return self.page

    def shot(self, name: str) -> None:
        folder = os.environ.get("STEWARD_SCREENSHOT_DIR")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()
        assert self.errors == [], f"browser errors: {self.errors}"
