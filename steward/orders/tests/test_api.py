"""The orders API: the same rules as the pages (reasons, open quantities, visibility, If-Match)."""

from __future__ import annotations

import pytest

from steward.api.tests.client import ApiClient
from steward.orders.tests.factories import contact, product

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, personas):
    return ApiClient(client, personas.owner)


def _create(api, personas, **extra):
    product("PAL-1")
    body = {
        "account_id": str(personas.account.public_id),
        "ordered_on": "2025-03-03",
        "requested_date": "2025-03-20",
        "promised_date": "2025-03-24",
        "lines": [{"sku": "PAL-1", "quantity": "10"}],
        **extra,
    }
    return api.post("/orders", body)


def test_create_read_and_patch_with_if_match(api, personas):
    buyer = contact(personas.account)
    response = _create(api, personas, contact_id=str(buyer.public_id))
    assert response.status_code == 201, response.content
    order = response.json()
    assert (
        order["number"].startswith("SO-2025-")
        and order["total_amount"] == "1000.00"
        and order["effective_payment_terms_days"] == 30
    )
    path = f"/orders/{order['id']}"
    read = api.get(path)
    assert read.status_code == 200 and read["ETag"] == '"1"'
    refused = api.patch(path, {"promised_date": "2025-03-30"}, if_match='"1"')
    assert refused.status_code == 422 and "reason" in refused.json()["errors"]
    stale = api.patch(path, {"promised_date": "2025-03-30", "reason": "Late truck"}, if_match='"7"')
    assert stale.status_code == 412
    ok = api.patch(path, {"promised_date": "2025-03-30", "reason": "Late truck"}, if_match='"1"')
    assert ok.status_code == 200 and ok.json()["promised_date"] == "2025-03-30"
    changes = api.get(f"{path}/changes").json()
    assert (
        changes[0]["kind"] == "promised_date"
        and changes[0]["reason"] == "Late truck"
        and changes[0]["notified_to"] == buyer.email
    )


def test_shipments_cannot_exceed_open_quantity_and_otif_follows(api, personas):
    order = _create(api, personas).json()
    path = f"/orders/{order['id']}"
    too_much = api.post(
        f"{path}/shipments", {"shipped_on": "2025-03-20", "lines": [{"line": 1, "quantity": "12"}]}
    )
    assert too_much.status_code == 422
    part = api.post(
        f"{path}/shipments",
        {
            "shipped_on": "2025-03-20",
            "delivered_on": "2025-03-21",
            "lines": [{"line": 1, "quantity": "4"}],
        },
    )
    assert part.status_code == 201 and part.json()["status"] == "partially_shipped"
    rest = api.post(
        f"{path}/shipments", {"shipped_on": "2025-03-26", "lines": [{"line": 1, "quantity": "6"}]}
    )
    shipment = rest.json()["shipments"][-1]["id"]
    done = api.post(f"{path}/shipments/{shipment}/delivered", {"delivered_on": "2025-03-27"})
    assert done.status_code == 200 and (
        done.json()["status"],
        done.json()["is_on_time"],
        done.json()["is_in_full"],
    ) == ("delivered", False, True)
    otif = api.get("/otif").json()
    assert (
        otif["total"]["delivered"] == 1
        and otif["total"]["on_time_in_full"] == 0
        and otif["quarters"][0]["period"] == "2025-Q1"
    )
    (row,) = api.get("/otif/accounts").json()["results"]
    assert (row["account"], row["delivered"], row["otif_pct"]) == ("Acme Logistics", 1, "0.0")
    (revenue,) = api.get("/revenue/accounts-by-quarter").json()["results"]
    assert revenue["quarters"][0]["amount"] == "1000.00"


def test_hold_release_cancel_and_backorder_with_substitutes(api, personas):
    order = _create(api, personas).json()
    path = f"/orders/{order['id']}"
    assert api.post(f"{path}/hold", {"reason": ""}).status_code == 422
    assert api.post(f"{path}/hold", {"reason": "Credit check"}).json()["status"] == "on_hold"
    assert api.post(f"{path}/release").json()["status"] == "booked"
    alt = product("PAL-ALT")
    from steward.catalogue.models import Product

    Product.objects.get(sku="PAL-1").substitutes.add(alt)
    assert (
        api.post(f"{path}/lines/1/backorder", {"reason": "Out of stock"}).json()["status"]
        == "backordered"
    )
    assert [s["sku"] for s in api.get(f"{path}/lines/1/substitutes").json()] == ["PAL-ALT"]
    assert (
        api.post(f"{path}/cancel", {"reason": "No longer needed"}).json()["status"] == "cancelled"
    )


def test_someone_elses_order_is_404(client, api, personas):
    order = _create(api, personas).json()
    outsider = ApiClient(client, personas.outsider)
    assert outsider.get(f"/orders/{order['id']}").status_code == 404
    assert outsider.post(f"/orders/{order['id']}/hold", {"reason": "x"}).status_code == 404
    assert outsider.get("/orders").json()["count"] == 0
    assert (
        outsider.get(f"/accounts/{personas.account.public_id}/orders/progress").status_code == 404
    )
    denied = outsider.post(
        "/orders",
        {
            "account_id": str(personas.account.public_id),
            "requested_date": "2025-03-20",
            "promised_date": "2025-03-24",
            "lines": [{"sku": "PAL-1", "quantity": "1"}],
        },
    )
    assert denied.status_code == 422


def test_progress_report_json_and_pdf(api, personas):
    _create(api, personas)
    report = api.get(f"/accounts/{personas.account.public_id}/orders/progress")
    assert report.status_code == 200
    body = report.json()
    assert (
        len(body["open_orders"]) == 1
        and body["open_orders"][0]["late"] is True
        and body["late"] == [body["open_orders"][0]["number"]]
    )
    pdf = api.get(f"/accounts/{personas.account.public_id}/orders/progress.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_revenue_and_otif_by_account_are_paged_by_account_and_visible_only(api, client, personas):
    import dataclasses
    import datetime as dt

    from steward.accounts.tests.factories import AccountFactory
    from steward.orders import services
    from steward.orders.tests.factories import line, order

    pallet = product("PAL-1")
    own = [personas.account] + [AccountFactory(name=f"Own {n}", owner=personas.owner) for n in range(2)]
    for n, account in enumerate(own):
        who = dataclasses.replace(personas, account=account)
        day = dt.date(2025, 1 + 3 * n, 5)  # one quarter each
        order(who, pallet, ordered_on=day, requested_date=day, promised_date=day)
        order(who, lines=[line(pallet, quantity="1")], ordered_on=dt.date(2025, 1, 6))
    cancelled = order(personas, pallet)
    services.order_cancel(actor=personas.owner, order=cancelled, reason="Duplicate")
    elsewhere = AccountFactory(name="Not mine", owner=personas.outsider)
    order(dataclasses.replace(personas, account=elsewhere), pallet, actor=personas.outsider)

    first = api.get("/revenue/accounts-by-quarter?limit=2").json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    rest = api.get("/revenue/accounts-by-quarter?limit=2&offset=2").json()
    rows = {r["account"]: r["quarters"] for r in first["results"] + rest["results"]}
    assert set(rows) == {"Acme Logistics", "Own 0", "Own 1"}  # never the outsider's account
    assert rows["Acme Logistics"] == [
        {"quarter": "2025-Q1", "orders": 2, "amount": "1100.00", "unconverted": {}}
    ]  # the cancelled order is not revenue
    assert [q["quarter"] for q in rows["Own 1"]] == ["2025-Q1", "2025-Q3"]
    one = api.get(f"/revenue/accounts-by-quarter?account_id={own[1].public_id}").json()
    assert one["count"] == 1 and one["results"][0]["account"] == "Own 0"
    assert api.get(f"/revenue/accounts-by-quarter?account_id={elsewhere.public_id}").status_code == 404
    outsider = ApiClient(client, personas.outsider).get("/revenue/accounts-by-quarter").json()
    assert [r["account"] for r in outsider["results"]] == ["Not mine"]

    otif_page = api.get("/otif/accounts?limit=1").json()
    assert otif_page["count"] == 0 and otif_page["results"] == []  # nothing delivered yet
