"""Order pages: who sees what, the new order form, shipments, refusals shown on the page, OTIF, late list, tab, report."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from steward.orders import services
from steward.orders.choices import OrderStatus
from steward.orders.models import Order
from steward.orders.tests.factories import contact, order, product

pytestmark = pytest.mark.django_db


@pytest.fixture
def recent(personas):
    today = timezone.localdate()
    return order(
        personas,
        product(),
        ordered_on=today - dt.timedelta(days=20),
        requested_date=today - dt.timedelta(days=5),
        promised_date=today - dt.timedelta(days=3),
        contact=contact(personas.account),
    )


@pytest.mark.parametrize(
    "who,status",
    [
        ("owner", 200),
        ("teammate", 200),
        ("manager", 200),
        ("director", 200),
        ("admin", 200),
        ("sponsor", 200),
        ("outsider", 404),
    ],
)
def test_who_sees_an_order(client, personas, recent, who, status):
    client.force_login(getattr(personas, who))
    assert client.get(reverse("orders:detail", args=[recent.public_id])).status_code == status
    assert (
        client.get(reverse("orders:account", args=[personas.account.public_id])).status_code
        == status
    )
    assert (
        client.get(reverse("orders:progress", args=[personas.account.public_id])).status_code
        == status
    )


def test_the_list_filters_late_orders_and_hides_others(client, personas, recent):
    order(
        personas,
        product("B-2"),
        ordered_on=timezone.localdate(),
        requested_date=timezone.localdate() + dt.timedelta(days=30),
        promised_date=timezone.localdate() + dt.timedelta(days=30),
    )
    client.force_login(personas.owner)
    page = client.get(reverse("orders:list"), {"flag": "late"}).content.decode()
    assert recent.number in page and "1 order" in page
    client.force_login(personas.outsider)
    assert "No orders match" in client.get(reverse("orders:list")).content.decode()


def test_a_new_order_from_the_account(client, personas):
    item = product()
    client.force_login(personas.owner)
    url = reverse("orders:create", args=[personas.account.public_id])
    assert client.get(url).status_code == 200
    data = {
        "requested_date": "2030-01-10",
        "promised_date": "2030-01-12",
        "customer_reference": "PO 1",
        "contact": "",
        "currency": "EUR",
        "payment_terms_days": "",
        "ship_to": "",
        "notes": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-product": str(item.pk),
        "lines-0-quantity": "4",
        "lines-0-unit_price": "",
        "lines-0-discount_percent": "",
        "lines-0-description": "",
        "lines-1-product": "",
        "lines-1-quantity": "",
        "lines-1-unit_price": "",
        "lines-1-discount_percent": "",
        "lines-1-description": "",
    }
    response = client.post(url, data)
    o = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "orders:detail", args=[o.public_id]
    )
    assert o.total_amount == 400
    data["promised_date"] = "2000-01-01"
    response = client.post(url, data)
    assert (
        response.status_code == 422
        and "cannot be before the order date" in response.content.decode()
    )


def test_a_date_change_without_a_reason_is_shown_on_the_form(client, personas, recent):
    client.force_login(personas.owner)
    url = reverse("orders:edit", args=[recent.public_id])
    data = {
        "version": recent.version,
        "requested_date": recent.requested_date.isoformat(),
        "promised_date": "2031-01-01",
        "customer_reference": "",
        "contact": "",
        "reason": "",
    }
    response = client.post(url, data)
    assert response.status_code == 422 and "say why" in response.content.decode()
    response = client.post(url, {**data, "reason": "Truck broke down"})
    assert response.status_code == 302
    recent.refresh_from_db()
    assert recent.promised_date == dt.date(2031, 1, 1)
    assert (
        "Truck broke down"
        in client.get(reverse("orders:detail", args=[recent.public_id])).content.decode()
    )


def test_record_a_partial_shipment_then_the_rest(client, personas, recent):
    client.force_login(personas.owner)
    line = recent.lines.get()
    url = reverse("orders:ship", args=[recent.public_id])
    assert client.get(url).status_code == 200
    today = timezone.localdate().isoformat()
    response = client.post(
        url,
        {
            "version": recent.version,
            "shipped_on": today,
            "delivered_on": "",
            f"qty_{line.pk}": "11",
            "carrier": "",
            "tracking_number": "",
        },
    )
    assert response.status_code == 422 and "10 open" in response.content.decode()
    response = client.post(
        url,
        {
            "version": recent.version,
            "shipped_on": today,
            "delivered_on": today,
            f"qty_{line.pk}": "4",
            "carrier": "DHL",
            "tracking_number": "",
        },
    )
    assert response.status_code == 302
    recent.refresh_from_db()
    assert recent.status == OrderStatus.PARTIALLY_SHIPPED
    response = client.post(
        url,
        {
            "version": recent.version,
            "shipped_on": today,
            "delivered_on": today,
            f"qty_{line.pk}": "6",
            "carrier": "",
            "tracking_number": "",
        },
    )
    recent.refresh_from_db()
    assert (recent.status, recent.is_on_time, recent.is_in_full) == (
        OrderStatus.DELIVERED,
        False,
        True,
    )
    page = client.get(reverse("orders:otif")).content.decode()
    assert 'data-testid="otif-total">0.0 %' in page
    account_link = reverse("orders:account", args=[recent.account.public_id])
    for sort in ("otif", "name", "-delivered"):  # the by-account table names the account, every sort
        page = client.get(reverse("orders:otif"), {"sort": sort}).content.decode()
        assert f'href="{account_link}">{recent.account.name}</a>' in page, sort


def test_a_sponsor_cannot_act_on_an_order(client, personas, recent):
    client.force_login(personas.sponsor)
    assert (
        client.post(
            reverse("orders:action", args=[recent.public_id, "hold"]), {"reason": "x"}
        ).status_code
        == 404
    )
    assert client.get(reverse("orders:ship", args=[recent.public_id])).status_code == 404


def test_late_list_tab_dashboard_and_progress_report(client, personas, recent):
    client.force_login(personas.owner)
    late = client.get(reverse("orders:late") + "?mine=0").content.decode()
    assert recent.number in late and "Not shipped yet" in late
    tab = client.get(reverse("orders:account", args=[personas.account.public_id])).content.decode()
    assert recent.number in tab and 'data-testid="late-count">1<' in tab
    assert "Late orders" in client.get("/").content.decode()
    report = client.get(
        reverse("orders:progress", args=[personas.account.public_id])
    ).content.decode()
    assert recent.number in report and "Late, and why (1)" in report
    pdf = client.get(reverse("orders:progress_pdf", args=[personas.account.public_id]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_email_the_progress_report(client, personas, recent, django_capture_on_commit_callbacks):
    client.force_login(personas.owner)
    buyer = recent.contact
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("orders:progress_email", args=[personas.account.public_id]),
            {"contact": str(buyer.public_id)},
        )
    assert response.status_code == 302
    assert (
        mail.outbox[-1].to == [buyer.email]
        and mail.outbox[-1].attachments[0][2] == "application/pdf"
    )
    assert personas.account.interactions.filter(
        kind="email", subject__startswith="Order progress"
    ).exists()


def test_backordered_line_shows_substitutes(client, personas, recent):
    line = recent.lines.get()
    alt = product("ALT-1", name="Heat-treated pallet")
    line.product.substitutes.add(alt)
    services.order_line_backorder(
        actor=personas.owner, order=recent, line=line, reason="Supplier out of stock"
    )
    client.force_login(personas.owner)
    page = client.get(reverse("orders:detail", args=[recent.public_id])).content.decode()
    assert "Offer a substitute" in page and "Heat-treated pallet" in page


def test_the_order_page_leads_to_invoicing_its_deliveries(client, personas, recent):
    from steward.billing.models import Invoice

    client.force_login(personas.admin)  # finance, admins and the account's operations manager invoice
    page = client.get(reverse("orders:detail", args=[recent.public_id])).content.decode()
    link = f'{reverse("billing:from_order")}?order={recent.public_id}'
    assert link in page
    assert client.get(link).status_code == 200
    response = client.post(reverse("billing:from_order"), {"order": str(recent.public_id), "scope": "all"})
    assert response.status_code == 302
    invoice = Invoice.objects.get(order=recent)
    assert invoice.total > 0 and invoice.account == recent.account
