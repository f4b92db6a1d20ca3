"""Reads of the catalogue. Products are company-wide: everyone who logs in may see them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from steward.catalogue.models import Product
from steward.core.errors import NotFound
from steward.users.models import User

PRODUCT_SORTS = {
    "sku": ("sku",), "-sku": ("-sku",), "name": ("name", "sku"), "-name": ("-name", "sku"),
    "family": ("family", "sku"), "-family": ("-family", "sku"),
    "price": ("list_price", "sku"), "-price": ("-list_price", "sku"),
}


@dataclass(frozen=True)
class ProductFilters:
    q: str = ""
    family: str = ""
    active: bool | None = None


def products_visible_to(user: User) -> QuerySet[Product]:
    """The catalogue for a logged-in, active user; nothing otherwise."""
    if not user.is_authenticated or not user.is_active:
        return Product.objects.none()
    return Product.objects.all()


def product_list(*, user: User, filters: ProductFilters, sort: str = "sku") -> QuerySet[Product]:
    qs = products_visible_to(user)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(Q(sku__icontains=term) | Q(name__icontains=term))
    if filters.family:
        qs = qs.filter(family__iexact=filters.family)
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    return qs.annotate(n_substitutes=Count("substitutes")).order_by(*PRODUCT_SORTS.get(sort, PRODUCT_SORTS["sku"]))


def product_get(*, user: User, public_id: Any) -> Product:
    try:
        return products_visible_to(user).prefetch_related("substitutes", "substitute_for").get(public_id=public_id)
    except (Product.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such product.") from exc


def product_families(user: User) -> list[str]:
    return list(products_visible_to(user).exclude(family="").order_by("family").values_list("family", flat=True).distinct())


def substitutes_for(product: Product) -> list[Product]:
    """Active products that can replace `product`, cheapest first."""
    return list(product.substitutes.filter(is_active=True).order_by("list_price", "sku"))
