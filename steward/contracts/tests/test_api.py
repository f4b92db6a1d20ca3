"""The contracts API enforces exactly what the pages do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from steward.api.tests.client import ApiClient
from steward.contracts.engine.term import add_months
from steward.contracts.tests.factories import contract
from steward.pipeline.tests.factories import ensure_default_stages
from steward.quotes.tests.factories import product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _stages():
    ensure_default_stages()


def body(personas, **extra):
    today = timezone.localdate()
    return {
        "account_id": str(personas.account.public_id), "name": "Pallet pooling", "start_on": str(add_months(today + dt.timedelta(days=101), -12)),
        "end_on": str(today + dt.timedelta(days=100)), "annual_value": "120000", "notice_period_days": 60, "products": ["PAL-1"],
        "service_levels": [{"metric": "On-time delivery", "target": "98", "kind": "on_time_delivery"}], **extra,
    }


def test_create_patch_activate_renewal_and_renew(client, personas):
    product("PAL-1")
    owner = ApiClient(client, personas.owner)
    response = owner.post("/contracts", body(personas))
    assert response.status_code == 201, response.json()
    c = response.json()
    assert c["status"] == "draft" and c["total_value"] == "120000.00" and c["products"] == ["PAL-1"] and response["ETag"] == '"1"'
    assert c["service_levels"][0]["target"] == "98.00"
    cid = c["id"]
    assert owner.patch(f"/contracts/{cid}", {"annual_value": "130000"}, if_match='"7"').status_code == 412
    patched = owner.patch(f"/contracts/{cid}", {"annual_value": "130000"}, if_match='"1"')
    assert patched.status_code == 200 and patched.json()["total_value"] == "130000.00"
    assert owner.post(f"/contracts/{cid}/activate").json()["status"] == "active"
    opened = owner.post(f"/contracts/{cid}/renewal-opportunity")
    assert opened.status_code == 201 and opened.json()["name"] == "Renewal: Pallet pooling"
    assert owner.post(f"/contracts/{cid}/renewal-opportunity").status_code == 409
    assert owner.get(f"/contracts/{cid}").json()["renewal_opportunity_id"] == opened.json()["id"]
    renewed = owner.post(f"/contracts/{cid}/renew", {"activate": True})
    assert renewed.status_code == 201 and renewed.json()["previous_id"] == cid and renewed.json()["status"] == "active"
    assert owner.get(f"/contracts/{cid}").json()["status"] == "renewed"
    assert owner.post(f"/contracts/{cid}/terminate", {"reason": "x"}).status_code == 409


def test_refusals_are_422_naming_the_field(client, personas):
    owner = ApiClient(client, personas.owner)
    bad = owner.post("/contracts", body(personas, end_on="2000-01-01", products=[]))
    assert bad.status_code == 422 and "end_on" in bad.json()["detail"]
    bad = owner.post("/contracts", body(personas, products=["NOPE"]))
    assert bad.status_code == 422
    c = contract(personas)
    bad = owner.post(f"/contracts/{c.public_id}/terminate", {"reason": ""})
    assert bad.status_code == 422


def test_someone_elses_contract_answers_404(client, personas):
    c = contract(personas)
    outsider = ApiClient(client, personas.outsider)
    assert outsider.get(f"/contracts/{c.public_id}").status_code == 404
    assert outsider.patch(f"/contracts/{c.public_id}", {"name": "x"}).status_code == 404
    assert outsider.post(f"/contracts/{c.public_id}/terminate", {"reason": "x"}).status_code == 404
    assert outsider.get("/contracts").json()["results"] == []
    assert outsider.post("/contracts", body(personas, products=[])).status_code == 422
    sponsor = ApiClient(client, personas.sponsor)
    assert sponsor.get(f"/contracts/{c.public_id}").status_code == 200
    assert sponsor.patch(f"/contracts/{c.public_id}", {"name": "x"}).status_code == 403


def test_service_levels_and_renewals_due(client, personas):
    c = contract(personas, ends_in=80, notice_period_days=90)
    owner = ApiClient(client, personas.owner)
    put = owner.client.put(
        f"/api/v1/contracts/{c.public_id}/service-levels", '[{"metric": "First response", "target": "4", "unit": "business_hours", "kind": "first_response"}]',
        content_type="application/json", headers=owner.headers,
    )
    assert put.status_code == 200 and put.json()[0]["unit"] == "business_hours"
    assert owner.get(f"/contracts/{c.public_id}/service-levels").json()[0]["metric"] == "First response"
    due = owner.get("/renewals").json()["results"]
    assert (due[0]["band"], due[0]["notice_passed"], due[0]["days_left"]) == ("90", True, 80)
    assert len(owner.get("/renewals", band="notice").json()["results"]) == 1
    assert owner.get("/renewals", band="30").json()["results"] == []
    listed = owner.get("/contracts", ending_within=90).json()["results"]
    assert [x["number"] for x in listed] == [c.number]
