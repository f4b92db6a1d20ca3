"""The quotes API enforces exactly what the pages do: approval cannot be bypassed through it."""

from __future__ import annotations

import pytest

from steward.api.tests.client import ApiClient
from steward.quotes.tests.factories import product

pytestmark = pytest.mark.django_db


@pytest.fixture
def pallet():
    return product()


def body(personas, *, discount="25", terms=90):
    return {
        "account_id": str(personas.account.public_id), "title": "Pallets 2027", "payment_terms_days": terms,
        "lines": [{"sku": "PAL-1200", "quantity": "10", "discount_pct": discount}],
    }


def test_create_submit_approve_send_through_the_api(client, personas, pallet):
    owner = ApiClient(client, personas.owner)
    response = owner.post("/quotes", body(personas))
    assert response.status_code == 201, response.json()
    quote = response.json()
    assert quote["total"] == "750.00" and quote["status"] == "draft" and response["ETag"] == '"1"'
    qid = quote["id"]
    assert owner.post(f"/quotes/{qid}/submit").json()["status"] == "pending"
    refused = owner.post(f"/quotes/{qid}/send")
    assert refused.status_code == 409 and "not approved" in refused.json()["detail"]
    assert owner.post(f"/quotes/{qid}/approve", {}).status_code == 403  # own quote
    assert ApiClient(client, personas.director).post(f"/quotes/{qid}/approve", {}).status_code == 403  # out of turn
    assert ApiClient(client, personas.manager).post(f"/quotes/{qid}/approve", {"comment": "ok"}).json()["status"] == "pending"
    assert ApiClient(client, personas.director).post(f"/quotes/{qid}/approve", {}).json()["status"] == "approved"
    steps = owner.get(f"/quotes/{qid}/approvals").json()[0]["steps"]
    assert [(s["approver_role"], s["status"], s["decided_by"]) for s in steps] == [("owner_manager", "approved", "manager"), ("director", "approved", "director")]
    assert owner.post(f"/quotes/{qid}/send").json()["status"] == "sent"
    assert owner.post(f"/quotes/{qid}/accept", {"comment": "PO 4711"}).json()["status"] == "accepted"


def test_an_edit_through_the_api_voids_the_approval(client, personas, pallet):
    owner = ApiClient(client, personas.owner)
    qid = owner.post("/quotes", body(personas)).json()["id"]
    owner.post(f"/quotes/{qid}/submit")
    ApiClient(client, personas.manager).post(f"/quotes/{qid}/approve", {})
    approved = ApiClient(client, personas.director).post(f"/quotes/{qid}/approve", {})
    etag = approved["ETag"]
    edited = owner.patch(f"/quotes/{qid}", {"payment_terms_days": 120}, if_match=etag)
    assert edited.status_code == 200 and edited.json()["status"] == "draft" and edited.json()["approval_state"] == ""
    assert owner.post(f"/quotes/{qid}/send").status_code == 409
    assert owner.patch(f"/quotes/{qid}", {"title": "x"}, if_match=etag).status_code == 412


def test_a_duplicate_through_the_api_starts_unapproved(client, personas, pallet):
    owner = ApiClient(client, personas.owner)
    qid = owner.post("/quotes", body(personas, discount="5", terms=30)).json()["id"]
    assert owner.post(f"/quotes/{qid}/submit").json()["status"] == "approved"
    copy = owner.post(f"/quotes/{qid}/duplicate")
    assert copy.status_code == 201 and copy.json()["status"] == "draft"
    assert owner.post(f"/quotes/{copy.json()['id']}/send").status_code == 409


def test_outsiders_get_404_and_sponsors_cannot_write(client, personas, pallet):
    qid = ApiClient(client, personas.owner).post("/quotes", body(personas)).json()["id"]
    outsider = ApiClient(client, personas.outsider)
    assert outsider.get(f"/quotes/{qid}").status_code == 404
    assert outsider.post(f"/quotes/{qid}/submit").status_code == 404
    assert outsider.get("/quotes").json()["count"] == 0
    assert outsider.post("/quotes", body(personas)).status_code == 422  # the account is not theirs: "no such account"
    sponsor = ApiClient(client, personas.sponsor)
    assert sponsor.get(f"/quotes/{qid}").status_code == 200
    assert sponsor.post(f"/quotes/{qid}/submit").status_code == 403


def test_bad_input_names_the_field_or_line(client, personas, pallet):
    owner = ApiClient(client, personas.owner)
    bad_sku = owner.post("/quotes", {**body(personas), "lines": [{"sku": "PAL-1200", "quantity": "1"}, {"sku": "NOPE", "quantity": "1"}]})
    assert bad_sku.status_code == 422 and "Line 2" in bad_sku.json()["detail"]
    bad_qty = owner.post("/quotes", {**body(personas), "lines": [{"sku": "PAL-1200", "quantity": "-1"}]})
    assert bad_qty.status_code == 422 and "Line 1: quantity" in bad_qty.json()["detail"]
    unknown = owner.post("/quotes", {**body(personas), "discount": 5})
    assert unknown.status_code == 422
    terms = owner.post("/quotes", {**body(personas), "payment_terms_days": 400})
    assert terms.status_code == 422 and "payment_terms_days" in terms.json()["errors"]
    reject = owner.post("/quotes", body(personas)).json()["id"]
    owner.post(f"/quotes/{reject}/submit")
    no_comment = ApiClient(client, personas.manager).post(f"/quotes/{reject}/reject", {})
    assert no_comment.status_code == 422 and "comment" in no_comment.json()["errors"]


def test_rules_are_admin_only_and_delegations_are_personal(client, personas):
    rule = {"name": "Huge", "metric": "total", "operator": "gt", "threshold": "2000000", "approver": "finance", "level": 3}
    assert ApiClient(client, personas.director).post("/approval-rules", rule).status_code == 403
    created = ApiClient(client, personas.admin).post("/approval-rules", rule)
    assert created.status_code == 201
    bad = ApiClient(client, personas.admin).post("/approval-rules", {**rule, "metric": "mood"})
    assert bad.status_code == 422 and "metric" in bad.json()["errors"]
    manager = ApiClient(client, personas.manager)
    d = manager.post("/delegations", {"to_user": "teammate", "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2026-01-10T00:00:00Z"})
    assert d.status_code == 201 and d.json()["from_user"] == "manager"
    assert ApiClient(client, personas.outsider).delete(f"/delegations/{d.json()['id']}").status_code == 404
    assert manager.delete(f"/delegations/{d.json()['id']}").status_code == 204
