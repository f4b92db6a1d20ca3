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
