"""Test data for orders: products, and orders booked through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from steward.accounts.models import Contact
from steward.catalogue.models import Product
from steward.orders import services

ORDERED = dt.date(2025, 3, 3)
REQUESTED = dt.date(2025, 3, 20)
PROMISED = dt.date(2025, 3, 24)


def product(
    sku: str = "PAL-1200", list_price: str = "100.00", currency: str = "EUR", **extra
) -> Product:
    return Product.objects.create(
        sku=sku,
        name=extra.pop("name", f"Product {sku}"),
        list_price=Decimal(list_price),
        currency=currency,
        **extra,
    )


def contact(account, email: str = "buyer@acme.example", **extra) -> Contact:
    return Contact.objects.create(
        account=account,
        first_name=extra.pop("first_name", "Bea"),
        last_name=extra.pop("last_name", "Buyer"),
        email=email,
        **extra,
    )


def line(
    item: Product,
    quantity: str = "10",
    unit_price: str | None = None,
    discount: str = "0",
    description: str = "",
) -> dict:
    return {
        "product": item,
        "quantity": Decimal(quantity),
        "unit_price": None if unit_price is None else Decimal(unit_price),
        "discount_percent": Decimal(discount),
        "description": description,
    }


def order(personas, *items: Product, actor=None, lines=None, **extra):
    """An order of 10 of each product at list price, booked 3 March 2025, promised 24 March."""
    data = {"ordered_on": ORDERED, "requested_date": REQUESTED, "promised_date": PROMISED, **extra}
    return services.order_create(
        actor=actor or personas.owner,
        account=personas.account,
        lines=lines or [line(item) for item in items],
        **data,
    )
