"""REST endpoints for quotes and their approval: the same services as the pages, so the same rules."""

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from steward.accounts.selectors import accounts_visible_to, contacts_visible_to
from steward.api.auth import current_user
from steward.api.conditional import IfMatch, created, expected_version, read
from steward.api.errors import ERROR_RESPONSES, ErrorOut
from steward.api.pagination import LimitOffset
from steward.api.schemas import Payload, Text, When, optional
from steward.catalogue.models import Product
from steward.core.errors import NotFound, ValidationFailed
from steward.core.pdf import pdf_response
from steward.quotes import documents, rules, selectors, services
from steward.quotes.models import ApprovalRule, ApprovalStep, Delegation, Quote
from steward.users.models import User

router = Router(tags=["quotes"])
RESPONSES = {**ERROR_RESPONSES, 409: ErrorOut}


class LineIn(Payload):
    sku: Text = Field(description="The product's SKU.")
    quantity: Decimal
    unit_price: Decimal | None = Field(None, description="Leave out for the list price.")
    discount_pct: Decimal = Decimal(0)
    description: Text = ""


class QuotePatch(Payload):
    title: Text = optional()
    contact_id: UUID | None = None
    currency: Text = optional("ISO currency code; lines are re-priced from the catalogue when it changes.")
    valid_until: dt.date = optional()
    payment_terms_days: int = optional("Net N days.")
    extra_discount_pct: Decimal | None = None
    sla_credit_pct: Decimal | None = None
    liability_cap: Decimal | None = None
    delivery_terms: Text = optional()
    customer_note: Text = optional()
    internal_note: Text = optional()
    lines: list[LineIn] = optional("Replaces every line.")
    clauses: list[Text] = optional("Free-text nonstandard clauses; replaces them all.")


class QuoteIn(QuotePatch):
    account_id: UUID
    opportunity_id: UUID | None = None


class LineOut(Schema):
    position: int
    sku: str = Field(validation_alias="product.sku")
    product: str = Field(validation_alias="product.name")
    quantity: Decimal
    list_price: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    effective_discount_pct: Decimal
    net_amount: Decimal
    description: str


class QuoteOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    version: int
    number: str
    revision: int
    account_id: UUID = Field(validation_alias="account.public_id")
    owner: str = Field(validation_alias="owner.username")
    title: str
    status: str
    approval_state: str
    currency: str
    valid_until: dt.date
    payment_terms_days: int
    extra_discount_pct: Decimal | None
    sla_credit_pct: Decimal | None
    liability_cap: Decimal | None
    delivery_terms: str
    customer_note: str
    internal_note: str
    list_total: Decimal
    total: Decimal
    overall_discount_pct: Decimal
    max_line_discount_pct: Decimal
    margin_pct: Decimal | None
    nonstandard_terms: list[str]
    lines: list[LineOut]
    clauses: list[str]
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    sent_at: dt.datetime | None
    accepted_at: dt.datetime | None
    rejected_by: str
    rejection_reason: str
    order_id: UUID | None = Field(None, description="The order the accepted quote became.")
    order_number: str | None = None

    @staticmethod
    def resolve_order_id(obj: Quote) -> UUID | None:
        return obj.order.public_id if obj.order_id else None

    @staticmethod
    def resolve_order_number(obj: Quote) -> str | None:
        return obj.order.number if obj.order_id else None

    @staticmethod
    def resolve_lines(obj: Quote) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_clauses(obj: Quote) -> list[str]:
        return [c.text for c in obj.clauses.all()]


class StepOut(Schema):
    index: int
    level: int
    approver_role: str
    status: str
    reasons: list[str]
    approvers: list[str]
    decided_by: str | None = Field(None, validation_alias="decided_by.username")
    on_behalf_of: str | None = Field(None, validation_alias="on_behalf_of.username")
    decided_at: dt.datetime | None
    comment: str

    @staticmethod
    def resolve_approvers(obj: ApprovalStep) -> list[str]:
        return [u.username for u in obj.approvers.all()]


class ApprovalOut(Schema):
    status: str
    submitted_by: str = Field(validation_alias="submitted_by.username")
    created_at: dt.datetime
    closed_at: dt.datetime | None
    facts: dict[str, Any]
    steps: list[StepOut]

    @staticmethod
    def resolve_steps(obj: Any) -> list[Any]:
        return list(obj.steps.all())


class DecisionIn(Payload):
    comment: Text = ""


class DeclineIn(Payload):
    reason: Text


class QuoteQuery(Schema):
    q: Text = ""
    status: Text = ""
    owner: Text = Field("", description='A username, or "me".')
    awaiting_me: bool = False
    account_id: UUID | None = None
    sort: Text = Field("-created", description="number, account, total, valid, status or created; prefix - to reverse.")


def _lines(payload_lines: list[LineIn] | None) -> list[services.LineInput] | None:
    if payload_lines is None:
        return None
    skus = {ln.sku.strip().upper() for ln in payload_lines}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    result = []
    for row, ln in enumerate(payload_lines, start=1):
        product = products.get(ln.sku.strip().upper())
        if product is None:
            raise ValidationFailed(f"Line {row}: no product with SKU {ln.sku}.", field_errors={"lines": [f"Line {row}: no product with SKU {ln.sku}."]})
        result.append(services.LineInput(product=product, quantity=ln.quantity, unit_price=ln.unit_price, discount_pct=ln.discount_pct, description=ln.description))
    return result


def _header(user: User, payload: QuotePatch, account_pk: int | None) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True, exclude={"lines", "clauses", "account_id", "opportunity_id"})
    if "contact_id" in data:
        ref = data.pop("contact_id")
        contact = None
        if ref is not None:
            contact = contacts_visible_to(user).filter(public_id=ref, account_id=account_pk).first()
            if contact is None:
                raise ValidationFailed("contact_id: no such contact on this account.", field_errors={"contact_id": ["No such contact on this account."]})
        data["contact"] = contact
    return data


def _fresh(user: User, quote: Quote) -> Quote:
    return selectors.quote_get(user=user, public_id=quote.public_id)


@router.get("/quotes", response={200: list[QuoteOut], 401: ErrorOut, 422: ErrorOut})
@paginate(LimitOffset)
def quote_list(request: HttpRequest, filters: Query[QuoteQuery]) -> QuerySet[Quote]:
    """Quotes the caller may see, filtered and sorted."""
    user = current_user(request)
    wanted = selectors.QuoteFilters(q=filters.q, status=filters.status, owner=filters.owner, awaiting_me=filters.awaiting_me)
    qs = selectors.quote_list(user=user, filters=wanted, sort=filters.sort)
    if filters.account_id:
        qs = qs.filter(account__public_id=filters.account_id)
    return qs.select_related("order").prefetch_related("lines__product", "clauses")


@router.post("/quotes", response={201: QuoteOut, **RESPONSES})
def quote_create(request: HttpRequest, payload: QuoteIn, response: HttpResponse) -> Status:
    """Start a draft quote on an account (optionally for one of its opportunities)."""
    user = current_user(request)
    account = accounts_visible_to(user).filter(public_id=payload.account_id).first()
    if account is None:
        raise ValidationFailed("account_id: no such account.", field_errors={"account_id": ["No such account."]})
    data = _header(user, payload, account.pk)
    if payload.opportunity_id is not None:
        opportunity = account.opportunities.filter(public_id=payload.opportunity_id).first()
        if opportunity is None:
            raise ValidationFailed("opportunity_id: no such opportunity on this account.", field_errors={"opportunity_id": ["No such opportunity on this account."]})
        data["opportunity"] = opportunity
    quote = services.quote_create(actor=user, account=account, data=data, lines=_lines(payload.lines) or [], clauses=payload.clauses or [])
    return created(request, response, _fresh(user, quote))


@router.get("/quotes/{public_id}", response={200: QuoteOut, **RESPONSES})
def quote_read(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Quote:
    return read(response, selectors.quote_get(user=current_user(request), public_id=public_id))


@router.patch("/quotes/{public_id}", response={200: QuoteOut, **RESPONSES})
def quote_update(request: HttpRequest, public_id: UUID, payload: QuotePatch, response: HttpResponse, if_match: str | None = IfMatch) -> Quote:
    """Change what is sent; a change to lines, prices or terms voids any approval (the quote returns to draft)."""
    user = current_user(request)
    quote = selectors.quote_get(user=user, public_id=public_id)
    data = _header(user, payload, quote.account_id)
    quote = services.quote_update(
        actor=user, quote=quote, data=data, lines=_lines(payload.lines), clauses=payload.clauses, expected_version=expected_version(if_match)
    )
    return read(response, _fresh(user, quote))


@router.delete("/quotes/{public_id}", response={204: None, **RESPONSES})
def quote_delete(request: HttpRequest, public_id: UUID) -> Status:
    """Delete a draft that was never submitted."""
    user = current_user(request)
    services.quote_delete(actor=user, quote=selectors.quote_get(user=user, public_id=public_id))
    return Status(204, None)


def _act(request: HttpRequest, public_id: UUID, response: HttpResponse, service: Any, **kwargs: Any) -> Quote:
    user = current_user(request)
    quote = service(actor=user, quote=selectors.quote_get(user=user, public_id=public_id), **kwargs)
    return read(response, _fresh(user, quote))


@router.post("/quotes/{public_id}/submit", response={200: QuoteOut, **RESPONSES})
def quote_submit(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Quote:
    """Route to the approvers the rules call for; approved at once when none are needed."""
    return _act(request, public_id, response, services.quote_submit)


@router.post("/quotes/{public_id}/withdraw", response={200: QuoteOut, **RESPONSES})
def quote_withdraw(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Quote:
    return _act(request, public_id, response, services.quote_withdraw)


@router.post("/quotes/{public_id}/approve", response={200: QuoteOut, **RESPONSES})
def quote_approve(request: HttpRequest, public_id: UUID, payload: DecisionIn, response: HttpResponse) -> Quote:
    """Approve the step awaiting the caller's decision (409 when someone decided it first)."""
    return _act(request, public_id, response, services.quote_decide, approve=True, comment=payload.comment)


@router.post("/quotes/{public_id}/reject", response={200: QuoteOut, **RESPONSES})
def quote_reject(request: HttpRequest, public_id: UUID, payload: DecisionIn, response: HttpResponse) -> Quote:
    """Reject the step awaiting the caller's decision; a comment is required."""
    return _act(request, public_id, response, services.quote_decide, approve=False, comment=payload.comment)


class SendIn(Payload):
    email: bool = Field(False, description="Email the PDF to the quote's contact and log it on the account timeline.")


@router.post("/quotes/{public_id}/send", response={200: QuoteOut, **RESPONSES})
def quote_send(request: HttpRequest, public_id: UUID, response: HttpResponse, payload: SendIn | None = None) -> Quote:
    """Mark as sent (optionally emailing the PDF); refused (409) unless the current content is approved."""
    return _act(request, public_id, response, services.quote_send, email=bool(payload and payload.email))


@router.post("/quotes/{public_id}/accept", response={200: QuoteOut, **RESPONSES})
def quote_accept(request: HttpRequest, public_id: UUID, payload: DecisionIn, response: HttpResponse) -> Quote:
    return _act(request, public_id, response, services.quote_accept, note=payload.comment)


class ConvertIn(Payload):
    requested_date: dt.date = Field(description="When the customer wants it.")
    promised_date: dt.date = Field(description="What we commit to; on time means delivered by this date.")
    customer_reference: str = Field("", max_length=80, description="The customer's PO number.")


@router.post("/quotes/{public_id}/convert", response={201: QuoteOut, **RESPONSES})
def quote_convert(request: HttpRequest, public_id: UUID, payload: ConvertIn, response: HttpResponse) -> Status:
    """Turn an accepted quote into an order (refused, 409, unless its content is the approved content; once only)."""
    user = current_user(request)
    quote = selectors.quote_get(user=user, public_id=public_id)
    services.quote_convert_to_order(
        actor=user, quote=quote, requested_date=payload.requested_date, promised_date=payload.promised_date,
        customer_reference=payload.customer_reference,
    )
    return Status(201, read(response, _fresh(user, quote)))


@router.post("/quotes/{public_id}/decline", response={200: QuoteOut, **RESPONSES})
def quote_decline(request: HttpRequest, public_id: UUID, payload: DeclineIn, response: HttpResponse) -> Quote:
    return _act(request, public_id, response, services.quote_decline, reason=payload.reason)


@router.post("/quotes/{public_id}/duplicate", response={201: QuoteOut, **RESPONSES})
def quote_duplicate(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Status:
    """A new quote with the same content and a new number, unapproved."""
    user = current_user(request)
    copy = services.quote_duplicate(actor=user, quote=selectors.quote_get(user=user, public_id=public_id))
    return created(request, response, _fresh(user, copy))


@router.post("/quotes/{public_id}/revise", response={201: QuoteOut, **RESPONSES})
def quote_revise(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Status:
    """The next revision (same number), unapproved."""
    user = current_user(request)
    copy = services.quote_revise(actor=user, quote=selectors.quote_get(user=user, public_id=public_id))
    return created(request, response, _fresh(user, copy))


@router.get("/quotes/{public_id}/approvals", response={200: list[ApprovalOut], **RESPONSES})
def quote_approvals(request: HttpRequest, public_id: UUID) -> list[Any]:
    """Every submission of the quote with its steps and decisions, newest first."""
    return selectors.approval_history(selectors.quote_get(user=current_user(request), public_id=public_id))


@router.get("/quotes/{public_id}/pdf", response={200: None, **RESPONSES})
def quote_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The quote as a PDF document."""
    quote = selectors.quote_get(user=current_user(request), public_id=public_id)
    return pdf_response(documents.quote_pdf(quote), f"{quote.label}.pdf")


@router.get("/approvals", response={200: list[QuoteOut], 401: ErrorOut})
def approvals_awaiting_me(request: HttpRequest) -> QuerySet[Quote]:
    """Quotes whose current step awaits the caller (also as a delegate), oldest first."""
    return selectors.awaiting_decision(current_user(request)).prefetch_related("lines__product", "clauses")[:200]


# Approval rules ------------------------------------------------------------------------------------


class RuleIn(Payload):
    name: Text
    metric: Text = Field(description="line_discount_pct, overall_discount_pct, total, payment_term_days, margin_pct or nonstandard_terms")
    operator: Text = Field("gt", description="gt, gte, lt or lte")
    threshold: Decimal
    approver: Text = Field(description="owner_manager, director or finance")
    level: int = 1
    is_active: bool = True
    description: Text = ""


class RulePatch(Payload):
    name: Text = optional()
    metric: Text = optional()
    operator: Text = optional()
    threshold: Decimal = optional()
    approver: Text = optional()
    level: int = optional()
    is_active: bool = optional()
    description: Text = optional()


class RuleOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    name: str
    metric: str
    operator: str
    threshold: Decimal
    approver: str
    level: int
    is_active: bool
    description: str


def _rule(public_id: UUID) -> ApprovalRule:
    rule = ApprovalRule.objects.filter(public_id=public_id).first()
    if rule is None:
        raise NotFound("No such rule.")
    return rule


@router.get("/approval-rules", response={200: list[RuleOut], 401: ErrorOut}, tags=["approval rules"])
def rule_list(request: HttpRequest) -> QuerySet[ApprovalRule]:
    """The approval policy (everyone may read it)."""
    current_user(request)
    return selectors.approval_rules()


@router.post("/approval-rules", response={201: RuleOut, **RESPONSES}, tags=["approval rules"])
def rule_create(request: HttpRequest, payload: RuleIn) -> Status:
    """Add a rule (admins)."""
    return Status(201, rules.approval_rule_create(actor=current_user(request), data=payload.model_dump()))


@router.patch("/approval-rules/{public_id}", response={200: RuleOut, **RESPONSES}, tags=["approval rules"])
def rule_update(request: HttpRequest, public_id: UUID, payload: RulePatch) -> ApprovalRule:
    return rules.approval_rule_update(actor=current_user(request), rule=_rule(public_id), data=payload.model_dump(exclude_unset=True))


@router.delete("/approval-rules/{public_id}", response={204: None, **RESPONSES}, tags=["approval rules"])
def rule_delete(request: HttpRequest, public_id: UUID) -> Status:
    rules.approval_rule_delete(actor=current_user(request), rule=_rule(public_id))
    return Status(204, None)


# Delegations ---------------------------------------------------------------------------------------


class DelegationIn(Payload):
    to_user: Text = Field(description="Username of the colleague who decides in your place.")
    starts_at: When
    ends_at: When
    reason: Text = ""


class DelegationOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    from_user: str = Field(validation_alias="from_user.username")
    to_user: str = Field(validation_alias="to_user.username")
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str


@router.get("/delegations", response={200: list[DelegationOut], 401: ErrorOut}, tags=["approval rules"])
def delegation_list(request: HttpRequest) -> QuerySet[Delegation]:
    """Delegations the caller gave or received."""
    return selectors.delegations_of(current_user(request))


@router.post("/delegations", response={201: DelegationOut, **RESPONSES}, tags=["approval rules"])
def delegation_create(request: HttpRequest, payload: DelegationIn) -> Status:
    user = current_user(request)
    to_user = User.objects.filter(username=payload.to_user, is_active=True).first()
    if to_user is None:
        raise ValidationFailed("to_user: no active user with this username.", field_errors={"to_user": ["No active user with this username."]})
    delegation = rules.delegation_create(actor=user, to_user=to_user, starts_at=payload.starts_at, ends_at=payload.ends_at, reason=payload.reason)
    return Status(201, delegation)


@router.delete("/delegations/{public_id}", response={204: None, **RESPONSES}, tags=["approval rules"])
def delegation_delete(request: HttpRequest, public_id: UUID) -> Status:
    user = current_user(request)
    delegation = selectors.delegations_of(user).filter(public_id=public_id).first()
    if delegation is None:
        raise NotFound("No such delegation.")
    rules.delegation_delete(actor=user, delegation=delegation)
    return Status(204, None)
