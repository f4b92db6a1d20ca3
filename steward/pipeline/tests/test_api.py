"""The pipeline API: the same rules as the pages, JSON errors naming the field, ETags, 404 for outsiders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from steward.api.tests.client import ApiClient
from steward.catalogue.models import Product
from steward.pipeline import services
from steward.pipeline.models import Opportunity, OpportunityStage, Quota
from steward.pipeline.tests.factories import OpportunityFactory, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def opp(personas):
    return OpportunityFactory(account=personas.account, name="Sensors for Hamburg", amount=Decimal("40000"))


def test_create_with_lines_then_read_with_etag(client, personas):
    Product.objects.create(sku="SW-PLAT", name="Platform", list_price=Decimal("45.00"))
    api = ApiClient(client, personas.owner)
    response = api.post("/opportunities", {"account": str(personas.account.public_id), "name": "Platform seats", "close_date": "2027-01-31",
                                           "type": "upsell", "lines": [{"product": "sw-plat", "quantity": "120"}]})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount"] == "5400.00" and body["stage"] == "Prospecting" and body["owner"] == "owner" and body["lines"][0]["product"] == "SW-PLAT"
    got = api.get(f"/opportunities/{body['id']}")
    assert got.status_code == 200 and got["ETag"] == '"1"'


def test_bad_input_answers_422_naming_the_field(client, personas):
    api = ApiClient(client, personas.owner)
    account = str(personas.account.public_id)
    cases = [
        ({"account": account, "name": "x", "close_date": "2027-13-01"}, "close_date"),
        ({"account": account, "name": "x", "close_date": "2027-01-01", "stage": "Nowhere"}, "stage"),
        ({"account": account, "name": "x", "close_date": "2027-01-01", "stage": "Closed won"}, "stage"),
        ({"account": account, "name": "x", "close_date": "2027-01-01", "currency": "euro"}, "currency"),
        ({"account": account, "name": "x", "close_date": "2027-01-01", "owner": "ghost"}, "owner"),
        ({"account": account, "name": "x", "close_date": "2027-01-01", "lines": [{"product": "NOPE", "quantity": 1}]}, "lines"),
        ({"account": account, "name": "x", "close_date": "2027-01-01", "amount": "-1"}, "amount"),
        ({"account": account, "name": "x", "close_date": "2027-01-01", "colour": "red"}, "colour"),
        ({"account": "5b0e7c9e-4d3b-4a55-9b43-9f3cfbd1b9a1", "name": "x", "close_date": "2027-01-01"}, "account"),
    ]
    for body, field in cases:
        response = api.post("/opportunities", body)
        assert response.status_code == 422, (body, response.json())
        assert field in response.json()["errors"], (field, response.json())
    assert not Opportunity.objects.exists()


def test_outsider_gets_404_everywhere_and_sponsor_403(client, personas, opp):
    api = ApiClient(client, personas.outsider)
    base = f"/opportunities/{opp.public_id}"
    assert api.get(base).status_code == 404
    assert api.patch(base, {"name": "mine"}).status_code == 404
    assert api.post(base + "/close-won", {}).status_code == 404
    assert api.post(base + "/move", {"stage": "Negotiation"}).status_code == 404
    assert api.delete(base).status_code == 404
    assert api.get("/opportunities").json()["count"] == 0
    sponsor = ApiClient(client, personas.sponsor)
    assert sponsor.get(base).status_code == 200
    assert sponsor.post(base + "/close-won", {}).status_code == 403
    assert Opportunity.objects.get(pk=opp.pk).closed_at is None


def test_patch_with_a_stale_etag_is_refused(client, personas, opp):
    api = ApiClient(client, personas.owner)
    base = f"/opportunities/{opp.public_id}"
    assert api.patch(base, {"next_step": "Call"}, if_match='"1"').status_code == 200
    response = api.patch(base, {"next_step": "Again"}, if_match='"1"')
    assert response.status_code == 412
    assert Opportunity.objects.get(pk=opp.pk).next_step == "Call"


def test_move_close_lost_needs_a_reason_and_reopen(client, personas, opp):
    api = ApiClient(client, personas.teammate)
    base = f"/opportunities/{opp.public_id}"
    assert api.post(base + "/move", {"stage": "Negotiation"}).json()["stage"] == "Negotiation"
    response = api.post(base + "/move", {"stage": "Closed lost"})
    assert response.status_code == 422 and "loss_reason" in response.json()["errors"]
    assert api.post(base + "/close-lost", {"loss_reason": "maybe"}).status_code == 422
    body = api.post(base + "/close-lost", {"loss_reason": "price", "note": "Too dear"}).json()
    assert body["outcome"] == "lost" and body["loss_reason"] == "price" and body["closed_at"]
    body = api.post(base + "/move", {"stage": "Proposal"}).json()
    assert body["outcome"] == "open" and body["closed_at"] is None
    body = api.post(base + "/close-won", {}).json()
    assert body["outcome"] == "won"


def test_list_filters_and_paginates(client, personas, opp):
    OpportunityFactory(account=personas.account, name="Renewal", type="renewal", stage=stage("Negotiation"))
    api = ApiClient(client, personas.manager)
    assert api.get("/opportunities", type="renewal").json()["count"] == 1
    assert api.get("/opportunities", status="open", limit=1).json()["next"]
    assert api.get("/opportunities", account=str(personas.account.public_id)).json()["count"] == 2
    assert api.get("/opportunities", close_from="not-a-date").status_code == 422


def test_stages_are_listed_for_all_and_written_by_admins(client, personas, opp):
    assert [s["name"] for s in ApiClient(client, personas.owner).get("/opportunity-stages").json()][:2] == ["Prospecting", "Qualification"]
    assert ApiClient(client, personas.manager).post("/opportunity-stages", {"name": "Demo", "probability": 30}).status_code == 403
    admin = ApiClient(client, personas.admin)
    created = admin.post("/opportunity-stages", {"name": "Demo", "probability": 30})
    assert created.status_code == 201
    assert admin.post("/opportunity-stages", {"name": "Odd", "probability": 130}).status_code == 422
    won = stage("Closed won")
    response = admin.patch(f"/opportunity-stages/{won.public_id}", {"is_active": False})
    assert response.status_code == 422 and "outcome" in response.json()["errors"]
    response = admin.delete(f"/opportunity-stages/{stage('Proposal').public_id}")
    assert response.status_code == 422 and "deactivate" in response.json()["detail"]
    assert admin.delete(f"/opportunity-stages/{created.json()['id']}").status_code == 204
    assert not OpportunityStage.objects.filter(name="Demo").exists()


def test_quotas_crud_for_directors_and_attainment(client, personas, opp):
    director = ApiClient(client, personas.director)
    response = director.post("/quotas", {"user": "owner", "kind": "quarter", "period_start": "2026-11-23", "amount": "80000"})
    assert response.status_code == 201 and response.json()["period_start"] == "2026-10-01"
    quota_id = response.json()["id"]
    assert director.post("/quotas", {"user": "outsider", "period_start": "2026-11-23", "amount": "1"}).status_code == 422
    assert director.post("/quotas", {"user": "owner", "kind": "week", "period_start": "2026-11-23", "amount": "1"}).status_code == 422
    assert ApiClient(client, personas.manager).get("/quotas").status_code == 404
    assert director.get("/quotas", kind="quarter", period_start="2026-12-01").json()["count"] == 1
    assert director.patch(f"/quotas/{quota_id}", {"amount": "100000"}, if_match='"1"').json()["amount"] == "100000.00"
    services.opportunity_close_won(actor=personas.owner, opportunity=opp, now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    body = ApiClient(client, personas.manager).get("/quota-attainment", kind="quarter", start="2026-10-01").json()
    rows = {r["user"]: r for r in body["rows"]}
    assert body["label"] == "Q4 2026" and rows["owner"]["own_attainment_pct"] == "40.0" and rows["manager"]["team_booked"] == "40000.00"
    assert rows["owner"]["manager"] == "manager" and rows["manager"]["reports"] == ["owner"]
    assert "director" not in rows
    assert ApiClient(client, personas.manager).get("/quota-attainment", kind="quarter", start="soon").status_code == 422
    assert ApiClient(client, personas.sponsor).get("/quota-attainment").status_code == 404
    assert director.delete(f"/quotas/{quota_id}").status_code == 204 and not Quota.objects.exists()
