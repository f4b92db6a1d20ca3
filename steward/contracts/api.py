"""REST endpoints for contracts and renewals: the same services as the pages, so the same rules."""

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from steward.accounts.selectors import accounts_visible_to
from steward.api.auth import current_user
from steward.api.conditional import IfMatch, created, expected_version, read
from steward.api.errors import ERROR_RESPONSES, ErrorOut
from steward.api.pagination import LimitOffset
from steward.api.schemas import Payload, Text, optional
from steward.catalogue.models import Product
from steward.contracts import selectors, services
from steward.contracts.choices import ServiceLevelKind, ServiceLevelUnit
from steward.contracts.models import Contract, ContractServiceLevel
from steward.core.errors import ValidationFailed
from steward.users.models import User

router = Router(tags=["contracts"])
RESPONSES = {**ERROR_RESPONSES, 409: ErrorOut}


class ServiceLevelIn(Payload):
    metric: Text = Field(description='What is measured, e.g. "on-time delivery".')
    target: Decimal
    unit: Text = Field(ServiceLevelUnit.PERCENT.value, description=", ".join(ServiceLevelUnit.values))
    kind: Text = Field(ServiceLevelKind.OTHER.value, description=", ".join(ServiceLevelKind.values))
    notes: Text = ""


class ContractPatch(Payload):
    name: Text = optional()
    owner: Text = optional("Username of the owner.")
    start_on: dt.date = optional()
    end_on: dt.date = optional("The last day the contract runs.")
    currency: Text = optional()
    annual_value: Decimal = optional()
    total_value: Decimal | None = Field(None, description="A negotiated total; null computes it from annual value x term.")
    auto_renew: bool = optional()
    renewal_term_months: int = optional()
    notice_period_days: int = optional()
    warranty_terms: Text = optional()
    description: Text = optional()
    products: list[Text] = optional("SKUs; replaces them all.")
    service_levels: list[ServiceLevelIn] = optional("Replaces them all.")


class ContractIn(ContractPatch):
    account_id: UUID
    start_on: dt.date
    end_on: dt.date


class ServiceLevelOut(Schema):
    position: int
    kind: str
    metric: str
    target: Decimal
    unit: str
    notes: str


class ContractOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    version: int
    number: str
    name: str
    account_id: UUID = Field(validation_alias="account.public_id")
    owner: str = Field(validation_alias="owner.username")
    status: str
    start_on: dt.date
    end_on: dt.date
    currency: str
    annual_value: Decimal
    total_value: Decimal
    total_value_given: bool
    auto_renew: bool
    renewal_term_months: int
    notice_period_days: int
    notice_deadline: dt.date
    products: list[str]
    warranty_terms: str
    description: str
    service_levels: list[ServiceLevelOut]
    renewal_opportunity_id: UUID | None = None
    previous_id: UUID | None = None
    activated_at: dt.datetime | None
    terminated_at: dt.datetime | None
    termination_reason: str

    @staticmethod
    def resolve_products(obj: Contract) -> list[str]:
        return [p.sku for p in obj.products.all()]

    @staticmethod
    def resolve_service_levels(obj: Contract) -> list[Any]:
        return list(obj.service_levels.all())

    @staticmethod
    def resolve_renewal_opportunity_id(obj: Contract) -> UUID | None:
        return obj.renewal_opportunity.public_id if obj.renewal_opportunity_id else None

    @staticmethod
    def resolve_previous_id(obj: Contract) -> UUID | None:
        return obj.previous.public_id if obj.previous_id else None


class RenewalOut(Schema):
    contract_id: UUID = Field(validation_alias="public_id")
    number: str
    account: str = Field(validation_alias="account.name")
    owner: str = Field(validation_alias="owner.username")
    end_on: dt.date
    notice_deadline: dt.date
    band: str = Field(description="30, 60, 90 or 120: the days-left band")
    notice_passed: bool = Field(description="The notice deadline is behind us while the contract still runs.")
    days_left: int
    auto_renew: bool
    annual_value: Decimal
    currency: str
    renewal_opportunity_id: UUID | None = None

    @staticmethod
    def resolve_days_left(obj: Contract) -> int:
        return (obj.end_on - timezone.localdate()).days

    @staticmethod
    def resolve_renewal_opportunity_id(obj: Contract) -> UUID | None:
        return obj.renewal_opportunity.public_id if obj.renewal_opportunity_id else None


class OpportunityRef(Schema):
    id: UUID = Field(validation_alias="public_id")
    name: str
    amount: Decimal
    currency: str
    close_date: dt.date


class TerminateIn(Payload):
    reason: Text


class RenewIn(Payload):
    annual_value: Decimal = optional("Defaults to the current annual value.")
    activate: bool = Field(False, description="Put the follow-on in force at once instead of leaving it a draft.")


class ContractQuery(Schema):
    q: Text = ""
    status: Text = ""
    owner: Text = Field("", description='A username, or "me".')
    ending_within: int | None = Field(None, description="Days from today.")
    auto_renew: bool | None = None
    account_id: UUID | None = None
    sort: Text = Field("end", description="number, account, end, start, value, notice or status; prefix - to reverse.")


class RenewalQuery(Schema):
    band: Text = Field("", description="30, 60, 90 or 120 (days left), or notice (notice deadline passed)")
    owner: Text = Field("", description='A username, or "me".')


def _products(skus: list[str] | None) -> list[Product] | None:
    if skus is None:
        return None
    wanted = {s.strip().upper() for s in skus}
    found = {p.sku: p for p in Product.objects.filter(sku__in=wanted)}
    missing = sorted(wanted - set(found))
    if missing:
        raise ValidationFailed(f"products: no product with SKU {missing[0]}.", field_errors={"products": [f"No product with SKU {missing[0]}."]})
    return list(found.values())


def _levels(levels: list[ServiceLevelIn] | None) -> list[services.ServiceLevelInput] | None:
    if levels is None:
        return None
    return [services.ServiceLevelInput(metric=s.metric, target=s.target, unit=s.unit, kind=s.kind, notes=s.notes) for s in levels]


def _data(payload: ContractPatch) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True, exclude={"products", "service_levels", "account_id"})
    if "owner" in data:
        owner = User.objects.filter(username=data["owner"], is_active=True).first()
        if owner is None:
            raise ValidationFailed("owner: no active user with this username.", field_errors={"owner": ["No active user with this username."]})
        data["owner"] = owner
    return data


def _fresh(user: User, contract: Contract) -> Contract:
    return selectors.contract_get(user=user, public_id=contract.public_id)


@router.get("/contracts", response={200: list[ContractOut], 401: ErrorOut, 422: ErrorOut})
@paginate(LimitOffset)
def contract_list(request: HttpRequest, filters: Query[ContractQuery]) -> QuerySet[Contract]:
    """Contracts the caller may see, filtered and sorted."""
    user = current_user(request)
    wanted = selectors.ContractFilters(
        q=filters.q, status=filters.status, owner=filters.owner, ending_within=filters.ending_within, auto_renew=filters.auto_renew,
        account=str(filters.account_id) if filters.account_id else "",
    )
    qs = selectors.contract_list(user=user, filters=wanted, sort=filters.sort, today=timezone.localdate())
    return qs.select_related("renewal_opportunity", "previous").prefetch_related("products", "service_levels")


@router.post("/contracts", response={201: ContractOut, **RESPONSES})
def contract_create(request: HttpRequest, payload: ContractIn, response: HttpResponse) -> Status:
    """A draft contract on an account; the total follows from annual value x term unless given."""
    user = current_user(request)
    account = accounts_visible_to(user).filter(public_id=payload.account_id).first()
    if account is None:
        raise ValidationFailed("account_id: no such account.", field_errors={"account_id": ["No such account."]})
    contract = services.contract_create(
        actor=user, account=account, data=_data(payload), products=_products(payload.products), service_levels=_levels(payload.service_levels),
    )
    return created(request, response, _fresh(user, contract))


@router.get("/contracts/{public_id}", response={200: ContractOut, **RESPONSES})
def contract_read(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Contract:
    return read(response, selectors.contract_get(user=current_user(request), public_id=public_id))


@router.patch("/contracts/{public_id}", response={200: ContractOut, **RESPONSES})
def contract_update(request: HttpRequest, public_id: UUID, payload: ContractPatch, response: HttpResponse, if_match: str | None = IfMatch) -> Contract:
    """Change a draft or active contract; send the ETag in If-Match to refuse lost updates (412)."""
    user = current_user(request)
    contract = selectors.contract_get(user=user, public_id=public_id)
    contract = services.contract_update(
        actor=user, contract=contract, data=_data(payload), products=_products(payload.products), service_levels=_levels(payload.service_levels),
        expected_version=expected_version(if_match),
    )
    return read(response, _fresh(user, contract))


@router.post("/contracts/{public_id}/activate", response={200: ContractOut, **RESPONSES})
def contract_activate(request: HttpRequest, public_id: UUID, response: HttpResponse, if_match: str | None = IfMatch) -> Contract:
    """Put a draft in force."""
    user = current_user(request)
    contract = services.contract_activate(actor=user, contract=selectors.contract_get(user=user, public_id=public_id), expected_version=expected_version(if_match))
    return read(response, _fresh(user, contract))


@router.post("/contracts/{public_id}/terminate", response={200: ContractOut, **RESPONSES})
def contract_terminate(request: HttpRequest, public_id: UUID, payload: TerminateIn, response: HttpResponse, if_match: str | None = IfMatch) -> Contract:
    """End a draft or active contract early; a reason is required."""
    user = current_user(request)
    contract = services.contract_terminate(
        actor=user, contract=selectors.contract_get(user=user, public_id=public_id), reason=payload.reason, expected_version=expected_version(if_match),
    )
    return read(response, _fresh(user, contract))


@router.post("/contracts/{public_id}/renew", response={201: ContractOut, **RESPONSES})
def contract_renew(request: HttpRequest, public_id: UUID, response: HttpResponse, payload: RenewIn | None = None) -> Status:
    """The follow-on contract, from the day after this one ends, for the renewal term; this one becomes renewed."""
    user = current_user(request)
    data = {"annual_value": payload.annual_value} if payload is not None and payload.annual_value is not None else {}
    follow = services.contract_renew(
        actor=user, contract=selectors.contract_get(user=user, public_id=public_id), data=data, activate=bool(payload and payload.activate),
    )
    return created(request, response, _fresh(user, follow))


@router.post("/contracts/{public_id}/renewal-opportunity", response={201: OpportunityRef, **RESPONSES})
def contract_renewal_opportunity(request: HttpRequest, public_id: UUID) -> Status:
    """Open the renewal opportunity now (409 when it already has one)."""
    user = current_user(request)
    opportunity = services.contract_create_renewal_opportunity(actor=user, contract=selectors.contract_get(user=user, public_id=public_id))
    return Status(201, opportunity)


@router.get("/contracts/{public_id}/service-levels", response={200: list[ServiceLevelOut], **RESPONSES})
def service_level_list(request: HttpRequest, public_id: UUID) -> list[ContractServiceLevel]:
    """The service levels the contract promises (SLA policies read these)."""
    return list(selectors.contract_get(user=current_user(request), public_id=public_id).service_levels.all())


@router.put("/contracts/{public_id}/service-levels", response={200: list[ServiceLevelOut], **RESPONSES})
def service_level_replace(request: HttpRequest, public_id: UUID, payload: list[ServiceLevelIn], if_match: str | None = IfMatch) -> list[ContractServiceLevel]:
    """Replace every service level of a draft or active contract."""
    user = current_user(request)
    contract = services.contract_update(
        actor=user, contract=selectors.contract_get(user=user, public_id=public_id), service_levels=_levels(payload) or [],
        expected_version=expected_version(if_match),
    )
    return list(contract.service_levels.order_by("position"))


@router.get("/renewals", response={200: list[RenewalOut], 401: ErrorOut, 422: ErrorOut}, tags=["contracts"])
@paginate(LimitOffset)
def renewals_due(request: HttpRequest, filters: Query[RenewalQuery]) -> QuerySet[Contract]:
    """Active contracts of visible accounts ending within 120 days, with their alert band; notice deadlines first."""
    return selectors.renewals_due(user=current_user(request), today=timezone.localdate(), owner=filters.owner, band=filters.band)
