"""Order changes: reasons required, recorded and told to the customer; holds, cancellation, shipments and their limits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from steward.accounts.models import Interaction
from steward.core.errors import NotFound, StaleVersion, ValidationFailed
from steward.orders import selectors, services
from steward.orders.choices import ChangeKind, LineStatus, OrderStatus
from steward.orders.engine import otif
from steward.orders.models import OrderChange
from steward.orders.tests.factories import ORDERED, PROMISED, contact, line, order, product

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 3, 10, 9, tzinfo=dt.UTC)


@pytest.fixture
def booked(personas):
    buyer = contact(personas.account)
    return order(personas, product("A-1"), product("B-2", "20.00"), contact=buyer)


def test_a_new_promised_date_needs_a_reason_and_the_customer_is_emailed(
    personas, booked, django_capture_on_commit_callbacks
):
    later = PROMISED + dt.timedelta(days=7)
    with pytest.raises(ValidationFailed) as exc:
        services.order_update(actor=personas.owner, order=booked, data={"promised_date": later})
    assert "reason" in exc.value.field_errors
    booked.refresh_from_db()
    assert booked.promised_date == PROMISED and not OrderChange.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.order_update(
            actor=personas.owner,
            order=booked,
            data={"promised_date": later},
            reason="Carrier strike in Rotterdam",
            now=NOW,
        )
    change = OrderChange.objects.get()
    assert (change.kind, change.old_value, change.new_value, change.reason, change.actor) == (
        ChangeKind.PROMISED_DATE,
        "2025-03-24",
        "2025-03-31",
        "Carrier strike in Rotterdam",
        personas.owner,
    )
    assert change.notified_to == "buyer@acme.example"
    assert (
        len(mail.outbox) == 1
        and mail.outbox[0].to == ["buyer@acme.example"]
        and "Carrier strike" in mail.outbox[0].body
    )
    logged = Interaction.objects.get(account=personas.account)
    assert logged.kind == "email" and booked.number in logged.subject


def test_without_a_contact_the_change_is_logged_as_not_emailed(
    personas, django_capture_on_commit_callbacks
):
    o = order(personas, product())
    with django_capture_on_commit_callbacks(execute=True):
        services.order_hold(actor=personas.owner, order=o, reason="Credit check", now=NOW)
    assert not mail.outbox
    assert Interaction.objects.get().kind == "note"
    assert OrderChange.objects.get().notified_to == ""


def test_line_change_needs_a_reason_and_cannot_go_below_what_shipped(personas, booked):
    ln = booked.lines.get(position=1)
    with pytest.raises(ValidationFailed):
        services.order_line_change(
            actor=personas.owner, order=booked, line=ln, data={"quantity": Decimal(5)}, reason=""
        )
    services.shipment_record(
        actor=personas.owner, order=booked, quantities={ln: "4"}, shipped_on=ORDERED, now=NOW
    )
    with pytest.raises(ValidationFailed, match="already shipped"):
        services.order_line_change(
            actor=personas.owner,
            order=booked,
            line=ln,
            data={"quantity": Decimal(3)},
            reason="Customer needs fewer",
        )
    services.order_line_change(
        actor=personas.owner,
        order=booked,
        line=ln,
        data={"quantity": Decimal(6)},
        reason="Customer needs fewer",
        now=NOW,
    )
    booked.refresh_from_db()
    assert booked.total_amount == Decimal("600.00") + Decimal("200.00")
    assert (
        OrderChange.objects.filter(kind=ChangeKind.LINE_CHANGED).get().reason
        == "Customer needs fewer"
    )


def test_a_line_added_and_a_line_cancelled_are_recorded(personas, booked):
    services.order_line_add(
        actor=personas.owner,
        order=booked,
        data=line(product("C-3", "5.00"), "2"),
        reason="Forgot the straps",
        now=NOW,
    )
    booked.refresh_from_db()
    assert booked.lines.count() == 3 and booked.total_amount == Decimal("1210.00")
    services.order_line_cancel(
        actor=personas.owner,
        order=booked,
        line=booked.lines.get(position=3),
        reason="Not needed after all",
        now=NOW,
    )
    booked.refresh_from_db()
    assert booked.total_amount == Decimal("1200.00")
    assert list(OrderChange.objects.order_by("id").values_list("kind", flat=True)) == [
        ChangeKind.LINE_ADDED,
        ChangeKind.LINE_CANCELLED,
    ]


def test_cannot_ship_more_than_is_open(personas, booked):
    ln = booked.lines.get(position=1)
    with pytest.raises(ValidationFailed, match="10 open"):
        services.shipment_record(
            actor=personas.owner, order=booked, quantities={ln: "11"}, shipped_on=ORDERED, now=NOW
        )
    services.shipment_record(
        actor=personas.owner, order=booked, quantities={ln: "7"}, shipped_on=ORDERED, now=NOW
    )
    with pytest.raises(ValidationFailed, match="3 open"):
        services.shipment_record(
            actor=personas.owner, order=booked, quantities={ln: "4"}, shipped_on=ORDERED, now=NOW
        )
    with pytest.raises(ValidationFailed, match="at least one line"):
        services.shipment_record(
            actor=personas.owner, order=booked, quantities={ln: "0"}, shipped_on=ORDERED, now=NOW
        )
    with pytest.raises(ValidationFailed, match="future"):
        services.shipment_record(
            actor=personas.owner,
            order=booked,
            quantities={ln: "1"},
            shipped_on=dt.date(2025, 3, 11),
            now=NOW,
        )
    assert booked.shipments.count() == 1


def test_backorder_shows_substitutes_and_release_reopens(personas, booked):
    a = booked.lines.get(position=1)
    alt, retired = product("A-ALT", name="Pallet, heat treated"), product("A-OLD", is_active=False)
    a.product.substitutes.add(alt, retired)
    services.order_line_backorder(
        actor=personas.owner,
        order=booked,
        line=a,
        reason="Supplier short",
        expected_on=dt.date(2025, 4, 2),
        now=NOW,
    )
    booked.refresh_from_db()
    a.refresh_from_db()
    assert booked.status == OrderStatus.BACKORDERED and a.status == LineStatus.BACKORDERED
    assert selectors.substitutes_for(list(booked.lines.all())) == {a.pk: [alt]}
    services.order_line_release_backorder(actor=personas.owner, order=booked, line=a, now=NOW)
    booked.refresh_from_db()
    assert booked.status == OrderStatus.BOOKED


def test_hold_blocks_shipping_until_released(personas, booked):
    services.order_hold(actor=personas.owner, order=booked, reason="Awaiting payment", now=NOW)
    with pytest.raises(services.OrderStateError):
        services.shipment_record(
            actor=personas.owner,
            order=booked,
            quantities={booked.lines.first(): "1"},
            shipped_on=ORDERED,
            now=NOW,
        )
    services.order_release(actor=personas.owner, order=booked, now=NOW)
    booked.refresh_from_db()
    assert booked.status == OrderStatus.BOOKED and booked.hold_reason == ""


def test_cancel_needs_a_reason_and_nothing_shipped(personas, booked):
    with pytest.raises(ValidationFailed):
        services.order_cancel(actor=personas.owner, order=booked, reason=" ")
    services.shipment_record(
        actor=personas.owner,
        order=booked,
        quantities={booked.lines.first(): "1"},
        shipped_on=ORDERED,
        now=NOW,
    )
    with pytest.raises(services.OrderStateError, match="shipped"):
        services.order_cancel(actor=personas.owner, order=booked, reason="Changed their mind")
    other = order(personas, product("Z-9"))
    services.order_cancel(actor=personas.owner, order=other, reason="Changed their mind", now=NOW)
    other.refresh_from_db()
    assert other.status == OrderStatus.CANCELLED and other.total_amount == 0


def test_a_stale_version_is_refused(personas, booked):
    with pytest.raises(StaleVersion):
        services.order_hold(
            actor=personas.owner, order=booked, reason="x", expected_version=booked.version + 5
        )


def test_an_outsider_cannot_change_or_read_the_order(personas, booked):
    with pytest.raises(NotFound):
        services.order_hold(actor=personas.outsider, order=booked, reason="x")
    with pytest.raises(NotFound):
        selectors.order_get(user=personas.outsider, public_id=booked.public_id)
    assert not selectors.orders_visible_to(personas.outsider).exists()
    assert selectors.orders_visible_to(personas.manager).count() == 1


def test_late_at_risk_and_otif_aggregates(personas, booked):
    today = PROMISED + dt.timedelta(days=2)
    assert selectors.flag_counts(personas.owner, today)["late"] == 1
    assert selectors.flag_counts(personas.owner, PROMISED - dt.timedelta(days=3))["at_risk"] == 1
    a, b = booked.lines.order_by("position")
    services.shipment_record(
        actor=personas.owner,
        order=booked,
        quantities={a: "10", b: "10"},
        shipped_on=PROMISED,
        delivered_on=PROMISED + dt.timedelta(days=1),
        now=NOW.replace(month=4),
    )
    on_time = order(personas, product("C-3"))
    services.shipment_record(
        actor=personas.owner,
        order=on_time,
        quantities={on_time.lines.get(): "10"},
        shipped_on=ORDERED,
        delivered_on=ORDERED,
        now=NOW,
    )
    total = selectors.otif_total(user=personas.owner)
    assert (total.delivered, total.on_time_in_full, total.otif_pct) == (2, 1, Decimal("50.0"))
    assert [
        (q.label, q.figures.delivered) for q in selectors.otif_by_quarter(user=personas.owner)
    ] == [("2025-Q1", 2)]
    assert selectors.otif_total(user=personas.outsider).delivered == 0
    rows = list(selectors.otif_by_account(user=personas.owner))
    assert rows[0]["delivered"] == 2 and rows[0]["otif"] == 1
    assert (rows[0]["account_name"], rows[0]["account_public_id"]) == (
        personas.account.name,
        personas.account.public_id,
    )
    by_name = selectors.otif_by_account(user=personas.owner, sort="name")
    assert by_name.count() == 1 and by_name[0:1][0]["account_name"] == personas.account.name
    from steward.core.paging import page_rows

    assert page_rows(by_name, 250, 300) == []  # a deep API page of a grouped list (was a 500)
    assert selectors.otif_account_count(user=personas.owner) == len(rows) == 1
    assert selectors.otif_account_count(user=personas.outsider) == 0
    assert otif.combine(q.figures for q in selectors.otif_by_quarter(user=personas.owner)) == total
    revenue = selectors.revenue_by_account_and_quarter(user=personas.owner)
    assert revenue == [
        {
            "account_id": personas.account.pk,
            "quarter": "2025-Q1",
            "amount": Decimal("2200.00"),
            "orders": 2,
            "unconverted": {},
        }
    ]
