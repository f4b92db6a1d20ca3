"""REST endpoints for the product catalogue: list, read, create, update, delete."""

from decimal import Decimal
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from steward.api.auth import current_user
from steward.api.conditional import IfMatch, created, expected_version, read
from steward.api.errors import ERROR_RESPONSES, ErrorOut
from steward.api.pagination import LimitOffset
from steward.api.schemas import Payload, Text, optional
from steward.catalogue import selectors, services
from steward.catalogue.models import Product
from steward.core.errors import ValidationFailed
from steward.users.models import User

router = Router(tags=["products"])


class ProductPatch(Payload):
    sku: Text = optional("Capital letters, digits, dots, dashes or underscores; unique.")
    name: Text = optional()
    family: Text = optional()
    unit: Text = optional()
    list_price: Decimal = optional()
    unit_cost: Decimal | None = None
    currency: Text = optional("ISO currency code.")
    is_active: bool = optional()
    description: Text = optional()
    substitutes: list[Text] = optional("SKUs of products that can replace this one; replaces the list.")


class ProductIn(ProductPatch):
    sku: Text
    name: Text
    list_price: Decimal


class ProductOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    version: int
    sku: str
    name: str
    family: str
    unit: str
    list_price: str
    unit_cost: str | None
    currency: str
    is_active: bool
    description: str
    substitutes: list[str] = Field(description="SKUs of products that can replace this one.")

    @staticmethod
    def resolve_list_price(obj: Product) -> str:
        return f"{Decimal(obj.list_price):.2f}"

    @staticmethod
    def resolve_unit_cost(obj: Product) -> str | None:
        return None if obj.unit_cost is None else f"{Decimal(obj.unit_cost):.2f}"

    @staticmethod
    def resolve_substitutes(obj: Product) -> list[str]:
        return sorted(p.sku for p in obj.substitutes.all())


class ProductQuery(Schema):
    q: Text = Field("", description="Part of the SKU or name.")
    family: Text = ""
    active: bool | None = None
    sort: Text = Field("sku", description="sku, name, family or price; prefix - to reverse.")


def _split(user: User, payload: Payload) -> tuple[dict, list[Product] | None]:
    data = payload.model_dump(exclude_unset=True)
    skus = data.pop("substitutes", None)
    if skus is None:
        return data, None
    wanted = {s.strip().upper() for s in skus}
    found = list(selectors.products_visible_to(user).filter(sku__in=wanted))
    missing = sorted(wanted - {p.sku for p in found})
    if missing:
        raise ValidationFailed(f"substitutes: no product with SKU {missing[0]}.", field_errors={"substitutes": [f"No product with SKU {', '.join(missing)}."]})
    return data, found


@router.get("/products", response={200: list[ProductOut], 401: ErrorOut, 422: ErrorOut})
@paginate(LimitOffset)
def product_list(request: HttpRequest, filters: Query[ProductQuery]) -> QuerySet[Product]:
    """The catalogue, narrowed and sorted."""
    wanted = selectors.ProductFilters(q=filters.q, family=filters.family, active=filters.active)
    return selectors.product_list(user=current_user(request), filters=wanted, sort=filters.sort).prefetch_related("substitutes")


@router.post("/products", response={201: ProductOut, **ERROR_RESPONSES})
def product_create(request: HttpRequest, payload: ProductIn, response: HttpResponse) -> Status:
    """Add a product (admins, directors and operations managers)."""
    user = current_user(request)
    data, subs = _split(user, payload)
    return created(request, response, services.product_create(actor=user, data=data, substitutes=subs))


@router.get("/products/{public_id}", response={200: ProductOut, **ERROR_RESPONSES})
def product_read(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Product:
    return read(response, selectors.product_get(user=current_user(request), public_id=public_id))


@router.patch("/products/{public_id}", response={200: ProductOut, **ERROR_RESPONSES})
def product_update(
    request: HttpRequest, public_id: UUID, payload: ProductPatch, response: HttpResponse, if_match: str | None = IfMatch
) -> Product:
    """Change the fields sent; `If-Match` with a stale ETag answers 412 and writes nothing."""
    user = current_user(request)
    product = selectors.product_get(user=user, public_id=public_id)
    data, subs = _split(user, payload)
    product = services.product_update(actor=user, product=product, data=data, substitutes=subs, expected_version=expected_version(if_match))
    return read(response, product)


@router.delete("/products/{public_id}", response={204: None, **ERROR_RESPONSES})
def product_delete(request: HttpRequest, public_id: UUID, if_match: str | None = IfMatch) -> Status:
    user = current_user(request)
    product = selectors.product_get(user=user, public_id=public_id)
    services.product_delete(actor=user, product=product, expected_version=expected_version(if_match))
    return Status(204, None)
