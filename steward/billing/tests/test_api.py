"""The billing API enforces what the pages do: visibility, who may write, never twice, never more than the balance."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from steward.api.tests.client import BASE, ApiClient
from steward.billing.models import Invoice
from steward.billing.tests.factories import finance_user, manual_invoice, order

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def finance(db):
    return finance_user()


def post(api: ApiClient, path: str, body=None, *, if_match: str | None = None):
    headers = {**api.headers, **({"If-Match": if_match} if if_match else {})}
    return api.client.post(BASE + path, json.dumps(body or {}), content_type="application/json", headers=headers)


def test_invoice_an_order_issue_and_pay_through_the_api(client, personas, finance):
    o = order(personas.account, lines=[("10", "4", "12.50", "0")])
    api = ApiClient(client, finance)
    response = api.post("/invoices/from-order", {"order_id": str(o.public_id), "scope": "delivered"})
    assert response.status_code == 201, response.json()
    inv = response.json()
    assert inv["total"] == "50.00" and inv["status"] == "draft" and response["ETag"] == '"1"' and inv["order_id"] == str(o.public_id)
    twice = api.post("/invoices/from-order", {"order_id": str(o.public_id), "scope": "delivered"})
    assert twice.status_code == 409
    assert post(api, f"/invoices/{inv['id']}/issue", if_match='"7"').status_code == 412
    issued = post(api, f"/invoices/{inv['id']}/issue", if_match='"1"')
    assert issued.json()["status"] == "issued" and issued["ETag"] == '"2"'
    over = post(api, f"/invoices/{inv['id']}/payments", {"amount": "50.01"})
    assert over.status_code == 422 and "amount" in over.json()["errors"]
    paid = post(api, f"/invoices/{inv['id']}/payments", {"amount": "20.00", "method": "card"}, if_match='"2"')
    assert paid.status_code == 201 and paid.json()["amount"] == "20.00"
    assert api.get(f"/invoices/{inv['id']}").json()["balance"] == "30.00"
    assert len(api.get(f"/invoices/{inv['id']}/payments").json()) == 1
    reversed_ = api.post(f"/payments/{paid.json()['id']}/reverse", {"reason": "Chargeback"})
    assert reversed_.status_code == 200 and reversed_.json()["reversal_reason"] == "Chargeback"
    assert api.get(f"/invoices/{inv['id']}").json()["status"] == "issued"


def test_manual_invoice_and_void(client, personas, finance):
    api = ApiClient(client, finance)
    body = {"account_id": str(personas.account.public_id), "issued_on": "2026-02-01", "payment_terms_days": 10, "tax_rate": "20",
            "lines": [{"description": "Audit", "quantity": "1", "unit_price": "500"}]}
    response = api.post("/invoices", body)
    assert response.status_code == 201, response.json()
    inv = response.json()
    assert inv["total"] == "600.00" and inv["due_on"] == "2026-02-11"
    assert api.post("/invoices", {**body, "lines": []}).status_code == 422
    assert api.post("/invoices", {**body, "bogus": 1}).status_code == 422
    assert post(api, f"/invoices/{inv['id']}/void", {"reason": ""}).status_code == 422
    assert post(api, f"/invoices/{inv['id']}/void", {"reason": "Duplicate"}, if_match='"1"').json()["status"] == "void"


def test_visibility_404_and_write_refusals(client, personas, finance):
    inv = manual_invoice(finance, personas.account)
    outsider = ApiClient(client, personas.outsider)
    assert outsider.get(f"/invoices/{inv.public_id}").status_code == 404
    assert outsider.get(f"/invoices/{inv.public_id}/payments").status_code == 404
    assert post(outsider, f"/invoices/{inv.public_id}/payments", {"amount": "1"}).status_code == 404
    assert outsider.get(f"/accounts/{personas.account.public_id}/receivables").status_code == 404
    assert outsider.get("/invoices").json()["count"] == 0
    assert outsider.get("/receivables/ageing").json()["total"] == "0.00"
    o = order(personas.account)
    assert outsider.post("/invoices/from-order", {"order_id": str(o.public_id)}).status_code == 422
    owner = ApiClient(client, personas.owner)
    assert owner.get(f"/invoices/{inv.public_id}").status_code == 200
    assert post(owner, f"/invoices/{inv.public_id}/payments", {"amount": "1"}).status_code == 403
    assert owner.post("/invoices/from-order", {"order_id": str(o.public_id)}).status_code == 403
    assert post(owner, f"/invoices/{inv.public_id}/void", {"reason": "x"}).status_code == 403
    assert Invoice.objects.count() == 1


def test_receivables_endpoints(client, personas, finance):
    manual_invoice(finance, personas.account, amount="300", issued_on=TODAY - dt.timedelta(days=100), terms=30)
    manual_invoice(finance, personas.account, amount="50")
    api = ApiClient(client, finance)
    ageing = api.get("/receivables/ageing").json()
    assert ageing["d61_90"] == "300.00" and ageing["current"] == "50.00" and ageing["overdue"] == "300.00" and ageing["overdue_invoices"] == 1
    rows = api.get("/receivables/accounts", sort="-total").json()
    assert rows["count"] == 1 and rows["results"][0]["is_late_payer"] is True and rows["results"][0]["account"] == "Acme Logistics"
    account = api.get(f"/accounts/{personas.account.public_id}/receivables").json()
    assert account["ageing"]["EUR"]["d61_90"] == "300.00" and account["max_days_overdue"] == 70 and account["is_late_payer"]
    listed = api.get("/invoices", overdue="true").json()
    assert listed["count"] == 1
