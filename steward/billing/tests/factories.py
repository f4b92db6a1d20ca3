"""Test data for billing: an order with lines (made with the order models directly), invoices through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from steward.billing import services
from steward.catalogue.models import Product
from steward.orders.models import Order, OrderLine
from steward.users.choices import Role
from steward.users.tests.factories import UserFactory

_serial = iter(range(1, 10**6))


def product(sku: str = "PAL-1200", list_price: str = "12.50") -> Product:
    return Product.objects.get_or_create(sku=sku, defaults={"name": f"Product {sku}", "list_price": Decimal(list_price), "currency": "EUR"})[0]


def finance_user(username: str = "finance"):
    return UserFactory(username=username, role=Role.FINANCE)


def order(account, *, lines=(("10", "4", "12.50", "0"),), ordered_on: dt.date | None = None, currency: str = "EUR", **extra) -> Order:
    """An order with lines given as (quantity, delivered, unit price, discount %)."""
    ordered_on = ordered_on or dt.date.today() - dt.timedelta(days=20)
    o = Order.objects.create(
        number=f"SO-{next(_serial):06d}", account=account, currency=currency, ordered_on=ordered_on,
        requested_date=ordered_on + dt.timedelta(days=10), promised_date=ordered_on + dt.timedelta(days=12), **extra,
    )
    total = Decimal(0)
    for position, (quantity, delivered, price, discount) in enumerate(lines, start=1):
        q, d, p, disc = Decimal(quantity), Decimal(delivered), Decimal(price), Decimal(discount)
        amount = (q * p * (100 - disc) / 100).quantize(Decimal("0.01"))
        OrderLine.objects.create(order=o, position=position, product=product(f"SKU-{position}"), quantity=q, unit_price=p, discount_percent=disc,
                                 amount=amount, delivered_quantity=d, shipped_quantity=d)
        total += amount
    o.total_amount = total
    o.save(update_fields=["total_amount"])
    return o


def manual_invoice(actor, account, *, amount: str = "1000.00", issued_on: dt.date | None = None, terms: int = 30, issue: bool = True):
    invoice = services.invoice_create(
        actor=actor, account=account, data={"issued_on": issued_on or dt.date.today(), "payment_terms_days": terms},
        lines=[services.LineInput(description="Consulting", quantity=Decimal(1), unit_price=Decimal(amount))],
    )
    if issue:
        invoice = services.invoice_issue(actor=actor, invoice=invoice)
    return invoice
