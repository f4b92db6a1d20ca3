"""Other apps add tabs to the account 360 and panels to the dashboard through core.extensions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from steward.core import extensions

pytestmark = pytest.mark.django_db


def test_a_registered_tab_shows_on_the_account_360_with_its_count(client, personas, monkeypatch):
    seen = []

    def count(account, user):
        seen.append((account.pk, user.pk))
        return 7

    tab = extensions.AccountTab(key="widgets", label="Widgets", url_name="accounts:tasks", order=5, count=count)
    monkeypatch.setitem(extensions._account_tabs, "widgets", tab)
    client.force_login(personas.owner)
    html = client.get(reverse("accounts:detail", args=[personas.account.public_id])).content.decode()
    assert "Widgets" in html and '<span class="count" title="7 open">7</span>' in html
    assert seen == [(personas.account.pk, personas.owner.pk)]


def test_a_zero_count_is_not_shown_on_the_tab(client, personas, monkeypatch):
    tab = extensions.AccountTab(key="widgets", label="Widgets", url_name="accounts:tasks", order=5, count=lambda a, u: 0, count_means="active")
    monkeypatch.setitem(extensions._account_tabs, "widgets", tab)
    client.force_login(personas.owner)
    html = client.get(reverse("accounts:detail", args=[personas.account.public_id])).content.decode()
    widgets = html.split(">Widgets", 1)[1].split("</a>", 1)[0]
    assert widgets == "" and "Widgets" in html


def test_a_panel_shows_on_the_dashboard_unless_its_context_is_none(client, personas, monkeypatch, tmp_path, settings):
    panel = extensions.DashboardPanel(key="p", template="accounts/_form_errors.html", context=lambda user, now: {"x": 1})
    hidden = extensions.DashboardPanel(key="q", template="accounts/_form_errors.html", context=lambda user, now: None)
    monkeypatch.setitem(extensions._dashboard_panels, "p", panel)
    monkeypatch.setitem(extensions._dashboard_panels, "q", hidden)
    client.force_login(personas.owner)
    html = client.get(reverse("dashboard")).content.decode()
    assert 'data-panel="p"' in html
    assert 'data-panel="q"' not in html
