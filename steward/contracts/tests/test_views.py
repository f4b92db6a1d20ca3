"""Contract pages: who sees what, the editor, the workflow buttons, renewals and the dashboard card."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from steward.contracts.choices import ContractStatus
from steward.contracts.engine.term import add_months
from steward.contracts.models import Contract
from steward.contracts.tests.factories import contract
from steward.pipeline.tests.factories import ensure_default_stages
from steward.quotes.tests.factories import product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _stages():
    ensure_default_stages()


def form_data(**extra):
    today = timezone.localdate()
    data = {
        "name": "Pallet pooling 2027", "owner": "", "start_on": (add_months(today + dt.timedelta(days=101), -12)).isoformat(),
        "end_on": (today + dt.timedelta(days=100)).isoformat(), "currency": "EUR", "annual_value": "120000", "total_value": "",
        "renewal_term_months": "12", "notice_period_days": "60", "warranty_terms": "Two years on parts.", "description": "",
        "levels-TOTAL_FORMS": "2", "levels-INITIAL_FORMS": "0", "levels-MIN_NUM_FORMS": "0", "levels-MAX_NUM_FORMS": "30",
        "levels-0-kind": "on_time_delivery", "levels-0-metric": "On-time delivery", "levels-0-target": "98", "levels-0-unit": "percent", "levels-0-notes": "",
        "levels-1-kind": "", "levels-1-metric": "", "levels-1-target": "", "levels-1-unit": "", "levels-1-notes": "",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize("who,status", [("owner", 200), ("teammate", 200), ("manager", 200), ("director", 200), ("admin", 200), ("sponsor", 200), ("outsider", 404)])
def test_who_sees_a_contract(client, personas, who, status):
    c = contract(personas)
    client.force_login(getattr(personas, who))
    assert client.get(reverse("contracts:detail", args=[c.public_id])).status_code == status
    assert client.get(reverse("contracts:account", args=[personas.account.public_id])).status_code == status
    listed = client.get(reverse("contracts:list")).content.decode()
    assert (c.number in listed) == (status == 200)
    renewals = client.get(reverse("contracts:renewals")).content.decode()
    assert (c.number in renewals) == (status == 200)


def test_create_from_the_account_tab_then_activate(client, personas):
    pallet = product("PAL-1")
    client.force_login(personas.owner)
    tab = client.get(reverse("contracts:account", args=[personas.account.public_id])).content.decode()
    assert "No contracts yet" in tab and "New contract" in tab
    blank = client.get(reverse("contracts:create", args=[personas.account.public_id])).content.decode()
    assert 'name="total_value" step="0.01" id="id_total_value"' in blank or 'value="0' not in blank.split('name="total_value"')[1][:60]
    response = client.post(reverse("contracts:create", args=[personas.account.public_id]), form_data(products=[str(pallet.pk)]))
    c = Contract.objects.get()
    assert response.status_code == 302 and c.status == ContractStatus.DRAFT and c.total_value == Decimal("120000.00")
    assert list(c.products.values_list("sku", flat=True)) == ["PAL-1"] and c.service_levels.get().target == Decimal("98.00")
    page = client.get(reverse("contracts:detail", args=[c.public_id])).content.decode()
    assert "On-time delivery" in page and "Two years on parts." in page and "Activate" in page
    client.post(reverse("contracts:action", args=[c.public_id, "activate"]))
    c.refresh_from_db()
    assert c.status == ContractStatus.ACTIVE


def test_a_bad_form_shows_the_error_and_saves_nothing(client, personas):
    client.force_login(personas.owner)
    today = timezone.localdate()
    response = client.post(reverse("contracts:create", args=[personas.account.public_id]), form_data(end_on=(today - dt.timedelta(days=400)).isoformat()))
    assert response.status_code == 422 and "on or after the start date" in response.content.decode()
    assert not Contract.objects.exists()


def test_edit_with_a_stale_version_is_refused(client, personas):
    c = contract(personas)
    client.force_login(personas.owner)
    old = c.version
    client.post(reverse("contracts:edit", args=[c.public_id]), form_data(version=str(old), name="First"))
    response = client.post(reverse("contracts:edit", args=[c.public_id]), form_data(version=str(old), name="Second"))
    assert response.status_code == 422 and "changed by someone else" in response.content.decode()
    c.refresh_from_db()
    assert c.name == "First"


def test_the_renewal_button_links_the_opportunity(client, personas):
    c = contract(personas, ends_in=200)
    client.force_login(personas.owner)
    client.post(reverse("contracts:action", args=[c.public_id, "renewal-opportunity"]))
    c.refresh_from_db()
    page = client.get(reverse("contracts:detail", args=[c.public_id])).content.decode()
    assert reverse("pipeline:detail", args=[c.renewal_opportunity.public_id]) in page
    again = client.post(reverse("contracts:action", args=[c.public_id, "renewal-opportunity"]), follow=True).content.decode()
    assert "already has a renewal opportunity" in again


def test_terminate_and_renew_buttons(client, personas):
    c = contract(personas)
    client.force_login(personas.owner)
    response = client.post(reverse("contracts:action", args=[c.public_id, "renew"]))
    follow = Contract.objects.get(previous=c)
    assert response.url == reverse("contracts:detail", args=[follow.public_id])
    client.post(reverse("contracts:action", args=[follow.public_id, "terminate"]), {"reason": "Lost to a competitor"})
    follow.refresh_from_db()
    assert follow.status == ContractStatus.TERMINATED
    client.force_login(personas.outsider)
    assert client.post(reverse("contracts:action", args=[c.public_id, "terminate"]), {"reason": "x"}).status_code == 404


def test_list_filters_and_sorts(client, personas):
    soon = contract(personas, ends_in=20, name="Soon")
    late = contract(personas, ends_in=300, name="Late", auto_renew=True)
    client.force_login(personas.owner)
    html = client.get(reverse("contracts:list"), {"ending": "30"}).content.decode()
    assert soon.number in html and late.number not in html
    html = client.get(reverse("contracts:list"), {"auto_renew": "1"}).content.decode()
    assert late.number in html and soon.number not in html
    html = client.get(reverse("contracts:list"), {"sort": "-end"}).content.decode()
    assert html.index(late.number) < html.index(soon.number)
    html = client.get(reverse("contracts:list"), {"account": str(personas.account.public_id), "owner": "me", "status": "active"}).content.decode()
    assert soon.number in html


def test_the_list_query_count_does_not_grow_with_rows(client, personas):
    client.force_login(personas.manager)
    contract(personas)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("contracts:list"))
    for days in range(10, 30):
        contract(personas, ends_in=days)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("contracts:list"))
    assert len(many) == len(few)


def test_dashboard_card_and_account_tab_count(client, personas):
    contract(personas, ends_in=100)
    contract(personas, ends_in=80, notice_period_days=90)
    contract(personas, ends_in=400)
    client.force_login(personas.owner)
    html = client.get(reverse("dashboard")).content.decode()
    assert "Renewals due" in html and "Notice deadline passed" in html and 'data-testid="band-120"' in html
    tab = client.get(reverse("contracts:account", args=[personas.account.public_id])).content.decode()
    assert "Contracts" in tab
    renewals = client.get(reverse("contracts:renewals"), {"band": "notice"}).content.decode()
    assert renewals.count("Notice passed") >= 1


def test_the_dashboard_card_says_what_to_do_when_empty(client, personas):
    client.force_login(personas.owner)
    assert "No renewals in the next 120 days" in client.get(reverse("dashboard")).content.decode()
