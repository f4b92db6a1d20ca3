"""REST endpoints for invoices, payments and receivables: the same services as the pages, so the same rules."""

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from steward.accounts.selectors import account_get, accounts_visible_to, contacts_visible_to
from steward.api.auth import current_user
from steward.api.conditional import IfMatch, created, expected_version, read
from steward.api.errors import ERROR_RESPONSES, ErrorOut
from steward.api.pagination import LimitOffset
from steward.api.schemas import Payload, Text, optional
from steward.billing import documents, selectors, services
from steward.billing.models import Invoice, Payment
from steward.core.errors import ValidationFailed
from steward.core.pdf import pdf_response
from steward.orders.models import Order

router = Router(tags=["invoices"])
RESPONSES = {**ERROR_RESPONSES, 409: ErrorOut}


class LineIn(Payload):
    description: Text
    quantity: Decimal
    unit_price: Decimal


class InvoiceIn(Payload):
    account_id: UUID
    issued_on: dt.date = optional("Invoice date; default today.")
    payment_terms_days: int = optional("Net N days; default the standard terms. The due date is the invoice date plus N.")
    currency: Text = optional("Default: the account's currency.")
    tax_rate: Decimal = optional("Percent, default 0.")
    contact_id: UUID | None = None
    customer_reference: Text = ""
    note: Text = ""
    lines: list[LineIn]


class FromOrderIn(Payload):
    order_id: UUID
    scope: Text = Field("delivered", description="delivered: quantities delivered and not yet invoiced; all: everything not yet invoiced.")
    issued_on: dt.date = optional("Invoice date; default today.")


class ReasonIn(Payload):
    reason: Text


class PaymentIn(Payload):
    amount: Decimal = Field(description="At most the invoice's balance.")
    received_on: dt.date = optional("Default today; not before the invoice date, not in the future.")
    method: Text = Field("bank_transfer", description="bank_transfer, direct_debit, card, cheque, cash or other")
    reference: Text = ""


class LineOut(Schema):
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    order_line_id: int | None


class InvoiceOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    version: int
    number: str
    account_id: UUID = Field(validation_alias="account.public_id")
    order_id: UUID | None = Field(None, validation_alias="order.public_id")
    status: str
    currency: str
    issued_on: dt.date
    payment_terms_days: int
    due_on: dt.date
    tax_rate: Decimal
    subtotal: Decimal
    tax_amount: Decimal
    total: Decimal
    amount_paid: Decimal
    balance: Decimal
    paid_on: dt.date | None
    days_to_pay: int | None
    days_late: int | None
    customer_reference: str
    note: str
    issued_at: dt.datetime | None
    voided_at: dt.datetime | None
    void_reason: str
    lines: list[LineOut]

    @staticmethod
    def resolve_lines(obj: Invoice) -> list[Any]:
        return list(obj.lines.all())


class PaymentOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    invoice_id: UUID = Field(validation_alias="invoice.public_id")
    received_on: dt.date
    amount: Decimal
    method: str
    reference: str
    recorded_by: str | None = Field(None, validation_alias="recorded_by.username")
    reversed_at: dt.datetime | None
    reversal_reason: str


class InvoiceQuery(Schema):
    q: Text = ""
    status: Text = Field("", description="draft, issued, partially_paid, paid or void")
    overdue: bool = False
    account_id: UUID | None = None
    sort: Text = Field("-issued", description="number, account, issued, due, total, balance or status; prefix - to reverse.")


class AgeingOut(Schema):
    as_of: dt.date
    currency: str
    current: Decimal
    d1_30: Decimal
    d31_60: Decimal
    d61_90: Decimal
    d90_plus: Decimal
    total: Decimal
    overdue: Decimal
    unconverted: dict[str, Decimal] = Field(description="Amounts in currencies without an exchange rate, left out of the figures above.")
    open_invoices: int
    overdue_invoices: int


class AccountRowOut(Schema):
    account_id: UUID = Field(validation_alias="account_public_id")
    account: str = Field(validation_alias="account_name")
    current: Decimal | None
    d1_30: Decimal | None
    d31_60: Decimal | None
    d61_90: Decimal | None
    d90_plus: Decimal | None
    total: Decimal | None
    overdue: Decimal | None
    avg_days_to_pay: float | None
    avg_days_late: float | None
    oldest_due: dt.date | None
    is_late_payer: bool = Field(validation_alias="is_late")


class AccountReceivablesOut(Schema):
    as_of: dt.date
    ageing: dict[str, dict[str, Decimal]] = Field(description="Per currency: the buckets current, d1_30, d31_60, d61_90, d90_plus.")
    average_days_to_pay: Decimal | None
    average_days_late: Decimal | None
    settled_last_12_months: int
    max_days_overdue: int
    is_late_payer: bool
    late_payer_rule: str


class ReceivablesQuery(Schema):
    sort: Text = Field("-overdue", description="name, total, overdue, current, d1_30, d31_60, d61_90, d90_plus, days, late or oldest; prefix - to reverse.")
    late_only: bool = False


def _fresh(user: Any, invoice: Invoice) -> Invoice:
    return selectors.invoice_get(user=user, public_id=invoice.public_id)


@router.get("/invoices", response={200: list[InvoiceOut], 401: ErrorOut, 422: ErrorOut})
@paginate(LimitOffset)
def invoice_list(request: HttpRequest, filters: Query[InvoiceQuery]) -> QuerySet[Invoice]:
    """Invoices of the accounts the caller sees, filtered and sorted."""
    user = current_user(request)
    wanted = selectors.InvoiceFilters(q=filters.q, status=filters.status, overdue=filters.overdue, account=str(filters.account_id or ""))
    return selectors.invoice_list(user=user, filters=wanted, sort=filters.sort, today=timezone.localdate()).prefetch_related("lines")


@router.post("/invoices", response={201: InvoiceOut, **RESPONSES})
def invoice_create(request: HttpRequest, payload: InvoiceIn, response: HttpResponse) -> Status:
    """A draft invoice entered by hand (finance or the account's operations manager)."""
    user = current_user(request)
    account = accounts_visible_to(user).filter(public_id=payload.account_id).first()
    if account is None:
        raise ValidationFailed("account_id: no such account.", field_errors={"account_id": ["No such account."]})
    data = payload.model_dump(exclude_unset=True, exclude={"account_id", "lines", "contact_id"})
    if payload.contact_id is not None:
        contact = contacts_visible_to(user).filter(public_id=payload.contact_id, account=account).first()
        if contact is None:
            raise ValidationFailed("contact_id: no such contact on this account.", field_errors={"contact_id": ["No such contact on this account."]})
        data["contact"] = contact
    lines = [services.LineInput(description=ln.description, quantity=ln.quantity, unit_price=ln.unit_price) for ln in payload.lines]
    invoice = services.invoice_create(actor=user, account=account, data=data, lines=lines)
    return created(request, response, _fresh(user, invoice))


@router.post("/invoices/from-order", response={201: InvoiceOut, **RESPONSES})
def invoice_from_order(request: HttpRequest, payload: FromOrderIn, response: HttpResponse) -> Status:
    """A draft invoice for what of an order is not invoiced yet (409 when nothing is left to invoice)."""
    user = current_user(request)
    order = Order.objects.filter(public_id=payload.order_id, account__in=accounts_visible_to(user)).first()
    if order is None:
        raise ValidationFailed("order_id: no such order.", field_errors={"order_id": ["No such order."]})
    invoice = services.invoice_from_order(actor=user, order=order, scope=payload.scope, issued_on=payload.issued_on)
    response["Location"] = f"{request.path.rsplit('/from-order', 1)[0]}/{invoice.public_id}"
    return created(request, response, _fresh(user, invoice))


@router.get("/invoices/{public_id}", response={200: InvoiceOut, **RESPONSES})
def invoice_read(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Invoice:
    return read(response, selectors.invoice_get(user=current_user(request), public_id=public_id))


@router.post("/invoices/{public_id}/issue", response={200: InvoiceOut, **RESPONSES})
def invoice_issue(request: HttpRequest, public_id: UUID, response: HttpResponse, if_match: str | None = IfMatch) -> Invoice:
    """Issue a draft: from now on it is owed by its due date."""
    user = current_user(request)
    invoice = services.invoice_issue(actor=user, invoice=selectors.invoice_get(user=user, public_id=public_id), expected_version=expected_version(if_match))
    return read(response, _fresh(user, invoice))


@router.post("/invoices/{public_id}/void", response={200: InvoiceOut, **RESPONSES})
def invoice_void(request: HttpRequest, public_id: UUID, payload: ReasonIn, response: HttpResponse, if_match: str | None = IfMatch) -> Invoice:
    """Void an invoice nothing is paid on (finance); its order quantities may be invoiced again."""
    user = current_user(request)
    invoice = services.invoice_void(
        actor=user, invoice=selectors.invoice_get(user=user, public_id=public_id), reason=payload.reason, expected_version=expected_version(if_match)
    )
    return read(response, _fresh(user, invoice))


@router.post("/invoices/{public_id}/email", response={200: InvoiceOut, **RESPONSES})
def invoice_email(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Invoice:
    """Email the PDF to the invoice's contact; logged on the account's timeline."""
    user = current_user(request)
    invoice = services.invoice_email(actor=user, invoice=selectors.invoice_get(user=user, public_id=public_id))
    return read(response, _fresh(user, invoice))


@router.get("/invoices/{public_id}/pdf", response={200: None, **RESPONSES})
def invoice_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    invoice = selectors.invoice_get(user=current_user(request), public_id=public_id)
    return pdf_response(documents.invoice_pdf(invoice), f"{invoice.number}.pdf")


@router.get("/invoices/{public_id}/payments", response={200: list[PaymentOut], **RESPONSES}, tags=["payments"])
def payment_list(request: HttpRequest, public_id: UUID) -> QuerySet[Payment]:
    """Payments against the invoice, reversed ones included."""
    return selectors.payments_of(selectors.invoice_get(user=current_user(request), public_id=public_id)).select_related("invoice")


@router.post("/invoices/{public_id}/payments", response={201: PaymentOut, **RESPONSES}, tags=["payments"])
def payment_create(request: HttpRequest, public_id: UUID, payload: PaymentIn, if_match: str | None = IfMatch) -> Status:
    """Record money received; partial is fine, more than the balance is refused (422). If-Match takes the invoice's ETag."""
    user = current_user(request)
    invoice = selectors.invoice_get(user=user, public_id=public_id)
    payment = services.payment_record(actor=user, invoice=invoice, data=payload.model_dump(exclude_unset=True), expected_version=expected_version(if_match))
    return Status(201, payment)


@router.post("/payments/{public_id}/reverse", response={200: PaymentOut, **RESPONSES}, tags=["payments"])
def payment_reverse(request: HttpRequest, public_id: UUID, payload: ReasonIn) -> Payment:
    """Reverse a payment (finance): it stays on record with the reason; the invoice owes the amount again."""
    user = current_user(request)
    return services.payment_reverse(actor=user, payment=selectors.payment_get(user=user, public_id=public_id), reason=payload.reason)


@router.get("/receivables/ageing", response={200: AgeingOut, 401: ErrorOut}, tags=["receivables"])
def receivables_ageing(request: HttpRequest) -> dict[str, Any]:
    """Portfolio ageing of the caller's accounts today, in the reporting currency."""
    today = timezone.localdate()
    summary = selectors.portfolio_ageing(user=current_user(request), as_of=today)
    return {
        "as_of": today, "currency": summary.currency, **summary.buckets, "total": summary.total, "overdue": summary.overdue,
        "unconverted": summary.unconverted, "open_invoices": summary.open_invoices, "overdue_invoices": summary.overdue_invoices,
    }


@router.get("/receivables/accounts", response={200: list[AccountRowOut], 401: ErrorOut, 422: ErrorOut}, tags=["receivables"])
@paginate(LimitOffset)
def receivables_accounts(request: HttpRequest, filters: Query[ReceivablesQuery]) -> Any:
    """Per account: ageing, owed and overdue (reporting currency), days to pay and days late (last 12 months), the late-payer flag."""
    return selectors.receivables_by_account(user=current_user(request), as_of=timezone.localdate(), sort=filters.sort, late_only=filters.late_only)


@router.get("/accounts/{public_id}/receivables", response={200: AccountReceivablesOut, **RESPONSES}, tags=["receivables"])
def account_receivables(request: HttpRequest, public_id: UUID) -> dict[str, Any]:
    """One account's ageing per currency, days to pay, days late and the late-payer flag."""
    account = account_get(user=current_user(request), public_id=public_id)
    r = selectors.account_receivables(account=account, as_of=timezone.localdate())
    b = r.behaviour
    return {
        "as_of": r.as_of, "ageing": {c: a.buckets for c, a in r.ageing_by_currency.items()}, "average_days_to_pay": b.average_days_to_pay,
        "average_days_late": b.average_days_late, "settled_last_12_months": b.settled_count, "max_days_overdue": b.max_days_overdue,
        "is_late_payer": b.is_late_payer, "late_payer_rule": r.late_rule,
    }

