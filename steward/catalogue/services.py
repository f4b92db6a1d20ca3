"""Writes to the catalogue: admins, directors and operations managers keep it; audited."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import F

from steward.catalogue.models import Product
from steward.core import audit
from steward.core.errors import PermissionDenied, ValidationFailed
from steward.core.services import apply_fields, check_version, full_clean_or_fail
from steward.users.choices import Role
from steward.users.models import User

PRODUCT_FIELDS = frozenset({"sku", "name", "family", "unit", "list_price", "unit_cost", "currency", "is_active", "description"})
EDITORS = frozenset({Role.ADMIN, Role.DIRECTOR, Role.OPERATIONS})


def can_edit_catalogue(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or user.role in EDITORS))


def _require_editor(actor: User) -> None:
    if not can_edit_catalogue(actor):
        raise PermissionDenied("Only admins, directors and operations managers change the catalogue.")


def _normalise(data: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(data)
    for key in ("sku", "currency"):
        if isinstance(clean.get(key), str):
            clean[key] = clean[key].strip().upper()
    return clean


def _set_substitutes(product: Product, substitutes: Iterable[Product] | None) -> list[str] | None:
    if substitutes is None:
        return None
    chosen = list(dict.fromkeys(substitutes))
    if any(s.pk == product.pk for s in chosen):
        raise ValidationFailed("substitutes: a product cannot substitute itself.", field_errors={"substitutes": ["A product cannot substitute itself."]})
    product.substitutes.set(chosen)
    return sorted(s.sku for s in chosen)


def _snapshot(product: Product) -> dict[str, Any]:
    return {**audit.snapshot(product), "substitutes": sorted(product.substitutes.values_list("sku", flat=True))}


@transaction.atomic
def product_create(*, actor: User, data: Mapping[str, Any], substitutes: Iterable[Product] | None = None) -> Product:
    _require_editor(actor)
    product = Product()
    apply_fields(product, _normalise(data), allowed=PRODUCT_FIELDS)
    full_clean_or_fail(product, exclude=["public_id"])
    product.save()
    _set_substitutes(product, substitutes)
    audit.record(actor=actor, action="create", instance=product, before=None, after=_snapshot(product))
    return product


@transaction.atomic
def product_update(
    *, actor: User, product: Product, data: Mapping[str, Any], substitutes: Iterable[Product] | None = None,
    expected_version: int | None = None,
) -> Product:
    _require_editor(actor)
    product = Product.objects.select_for_update().get(pk=product.pk)
    check_version(product, expected_version)
    before = _snapshot(product)
    changed = apply_fields(product, _normalise(data), allowed=PRODUCT_FIELDS)
    if changed:
        full_clean_or_fail(product)
    new_subs = _set_substitutes(product, substitutes)
    if not changed and (new_subs is None or new_subs == before["substitutes"]):
        return product
    product.version = F("version") + 1
    product.save()
    product.refresh_from_db()
    audit.record(actor=actor, action="update", instance=product, before=before, after=_snapshot(product))
    return product


@transaction.atomic
def product_delete(*, actor: User, product: Product, expected_version: int | None = None) -> None:
    _require_editor(actor)
    product = Product.objects.select_for_update().get(pk=product.pk)
    check_version(product, expected_version)
    before = _snapshot(product)
    audit.record(actor=actor, action="delete", instance=product, before=before, after=None)
    product.delete()
