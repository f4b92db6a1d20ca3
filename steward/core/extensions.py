"""Where domain apps plug into shared pages (the account 360, the dashboard) without being imported by them.

An app registers its tab or panel in its ``AppConfig.ready()``; the accounts and dashboard pages read
these lists. The registry holds plain callables, so ``core`` still depends on no domain app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AccountTab:
    """A tab on the account 360, served by the registering app under its own URL."""

    key: str
    label: str
    url_name: str  # reversed with the account's public_id
    order: int = 100
    # (account, user) -> the number shown on the tab, or None for none; one cheap indexed query.
    count: Callable[[Any, Any], int | None] | None = None
    # What the number counts, for its tooltip ("open", "active"); a zero is not shown, the tab's
    # page lists the closed history.
    count_means: str = "open"


@dataclass(frozen=True)
class DashboardPanel:
    """A card on the dashboard: a template and the context it needs, or None to leave it out for this user."""

    key: str
    template: str
    context: Callable[[Any, datetime], dict[str, Any] | None]
    order: int = 100
    wide: bool = False  # spans the whole row instead of one column


_account_tabs: dict[str, AccountTab] = {}
_dashboard_panels: dict[str, DashboardPanel] = {}


def register_account_tab(tab: AccountTab) -> None:
    """Add (or replace, on a second ready()) a tab on the account 360."""
    _account_tabs[tab.key] = tab


def register_dashboard_panel(panel: DashboardPanel) -> None:
    """Add (or replace) a card on the dashboard."""
    _dashboard_panels[panel.key] = panel


def account_tabs() -> list[AccountTab]:
    """Registered account tabs in display order."""
    return sorted(_account_tabs.values(), key=lambda t: (t.order, t.key))


def dashboard_panels() -> list[DashboardPanel]:
    """Registered dashboard panels in display order."""
    return sorted(_dashboard_panels.values(), key=lambda p: (p.order, p.key))
