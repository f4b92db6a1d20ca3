"""Test data for quotes: a product with a cost, a finance user, a quote built through the services."""

from __future__ import annotations

from decimal import Decimal

from steward.catalogue.models import Product
from steward.quotes import services
from steward.users.choices import Role
from steward.users.tests.factories import UserFactory


def product(sku: str = "PAL-1200", list_price: str = "100.00", unit_cost: str | None = "40.00", currency: str = "EUR", **extra) -> Product:
    return Product.objects.create(
        sku=sku, name=extra.pop("name", f"Product {sku}"), list_price=Decimal(list_price),
        unit_cost=None if unit_cost is None else Decimal(unit_cost), currency=currency, **extra,
    )


def finance_user(username: str = "finance"):
    return UserFactory(username=username, role=Role.FINANCE)


def line(item: Product, quantity: str = "10", discount: str = "0", unit_price: str | None = None) -> services.LineInput:
    return services.LineInput(
        product=item, quantity=Decimal(quantity), discount_pct=Decimal(discount), unit_price=None if unit_price is None else Decimal(unit_price)
    )


def quote(personas, item: Product, *, discount: str = "0", terms: int = 30, actor=None, **data):
    return services.quote_create(
        actor=actor or personas.owner, account=personas.account,
        data={"title": "Pallets 2027", "payment_terms_days": terms, **data}, lines=[line(item, discount=discount)],
    )
