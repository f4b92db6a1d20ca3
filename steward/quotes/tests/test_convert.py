"""An accepted quote becomes an order with exactly the approved content, once, through the page and the API alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from steward.api.tests.client import ApiClient
from steward.core.errors import ValidationFailed
from steward.quotes import services
from steward.quotes.choices import QuoteStatus
from steward.quotes.models import Quote
from steward.quotes.tests.factories import product, quote

pytestmark = pytest.mark.django_db

REQUESTED = dt.date.today() + dt.timedelta(days=90)
PROMISED = REQUESTED + dt.timedelta(days=4)


@pytest.fixture
def pallet():
    return product()


def accepted(personas, pallet, **data):
    """A 25 % / Net 90 quote approved by the manager and the director, sent and accepted."""
    q = services.quote_submit(actor=personas.owner, quote=quote(personas, pallet, discount="25", terms=90, **data))
    q = services.quote_decide(actor=personas.manager, quote=q, approve=True)
    q = services.quote_decide(actor=personas.director, quote=q, approve=True)
    q = services.quote_send(actor=personas.owner, quote=q)
    return services.quote_accept(actor=personas.owner, quote=q)


def test_an_accepted_quote_becomes_an_order_with_its_approved_lines_and_terms(personas, pallet):
    q = accepted(personas, pallet)
    order = services.quote_convert_to_order(actor=personas.owner, quote=q, requested_date=REQUESTED, promised_date=PROMISED, customer_reference="PO 4711")
    q.refresh_from_db()
    assert q.order == order and q.status == QuoteStatus.ACCEPTED
    assert (order.account, order.requested_date, order.promised_date, order.payment_terms_days) == (personas.account, REQUESTED, PROMISED, 90)
    assert order.customer_reference == "PO 4711" and order.currency == q.currency
    lines = list(order.lines.all())
    assert [(ln.product, ln.quantity, ln.unit_price, ln.discount_percent) for ln in lines] == [
        (pallet, ql.quantity, ql.unit_price, ql.discount_pct) for ql in q.lines.all()
    ]
    assert order.total_amount == q.total


def test_the_quote_wide_extra_discount_carries_into_the_order_lines(personas, pallet):
    q = accepted(personas, pallet, extra_discount_pct=Decimal("4"))
    order = services.quote_convert_to_order(actor=personas.owner, quote=q, requested_date=REQUESTED, promised_date=PROMISED)
    assert [ln.discount_percent for ln in order.lines.all()] == [Decimal("28.00")]  # 1 - 0.75 * 0.96
    assert abs(order.total_amount - q.total) <= Decimal("0.01") * order.lines.count()


def test_a_quote_becomes_an_order_once_and_only_when_accepted(personas, pallet):
    sent = services.quote_send(actor=personas.owner, quote=services.quote_submit(actor=personas.owner, quote=quote(personas, pallet)))
    with pytest.raises(services.QuoteStateError, match="accepted"):
        services.quote_convert_to_order(actor=personas.owner, quote=sent, requested_date=REQUESTED, promised_date=PROMISED)
    q = accepted(personas, pallet)
    services.quote_convert_to_order(actor=personas.owner, quote=q, requested_date=REQUESTED, promised_date=PROMISED)
    with pytest.raises(services.QuoteStateError, match="already order"):
        services.quote_convert_to_order(actor=personas.owner, quote=Quote.objects.get(pk=q.pk), requested_date=REQUESTED, promised_date=PROMISED)


def test_content_changed_after_approval_cannot_become_an_order(personas, pallet):
    q = accepted(personas, pallet)
    q.lines.update(unit_price=Decimal("1"))  # a direct database edit behind the services' back
    with pytest.raises(services.QuoteStateError, match="changed after it was approved"):
        services.quote_convert_to_order(actor=personas.owner, quote=q, requested_date=REQUESTED, promised_date=PROMISED)
    assert not Quote.objects.get(pk=q.pk).order_id


def test_dates_are_required_and_outsiders_cannot_convert(personas, pallet):
    q = accepted(personas, pallet)
    with pytest.raises(ValidationFailed, match="promised_date"):
        services.quote_convert_to_order(actor=personas.owner, quote=q, requested_date=REQUESTED, promised_date=None)
    with pytest.raises(services.PermissionDenied):
        services.quote_convert_to_order(actor=personas.sponsor, quote=q, requested_date=REQUESTED, promised_date=PROMISED)


def test_the_api_converts_with_the_same_rules(client, personas, pallet):
    q = accepted(personas, pallet)
    outsider = ApiClient(client, personas.outsider)
    assert outsider.post(f"/quotes/{q.public_id}/convert", {"requested_date": REQUESTED.isoformat(), "promised_date": PROMISED.isoformat()}).status_code == 404
    owner = ApiClient(client, personas.owner)
    assert owner.post(f"/quotes/{q.public_id}/convert", {"requested_date": REQUESTED.isoformat()}).status_code == 422
    response = owner.post(f"/quotes/{q.public_id}/convert", {"requested_date": REQUESTED.isoformat(), "promised_date": PROMISED.isoformat(), "customer_reference": "PO 1"})
    assert response.status_code == 201, response.json()
    assert response.json()["order_number"] and response.json()["order_id"]
    again = owner.post(f"/quotes/{q.public_id}/convert", {"requested_date": REQUESTED.isoformat(), "promised_date": PROMISED.isoformat()})
    assert again.status_code == 409


def test_the_page_converts_and_names_missing_fields(client, personas, pallet):
    q = accepted(personas, pallet)
    client.force_login(personas.owner)
    page = client.get(f"/quotes/{q.public_id}/")
    assert b"Create order" in page.content
    response = client.post(f"/quotes/{q.public_id}/convert/", {"requested_date": REQUESTED.isoformat()}, follow=True)
    assert b"Promised delivery" in response.content and not Quote.objects.get(pk=q.pk).order_id
    response = client.post(f"/quotes/{q.public_id}/convert/", {"requested_date": REQUESTED.isoformat(), "promised_date": PROMISED.isoformat()})
    order = Quote.objects.get(pk=q.pk).order
    assert response.status_code == 302 and str(order.public_id) in response["Location"]
