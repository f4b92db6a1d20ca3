"""Writes to invoices and payments. Pages, the API and the importer call these, so every rule lives here once.

Who may do what (on accounts they can see; anyone else gets NotFound from the selectors first):

- create, import and issue invoices: finance, admins, and the account's operations manager;
- record a payment: finance, admins, and the account's operations manager;
- void an invoice (only while nothing is paid) and reverse a payment: finance and admins.

An order line is never invoiced twice: the quantity already on invoices that are not void is
subtracted, and the order row is locked while an invoice is made from it. A payment is never more
than the balance; a reversed payment stays on the record with its reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from steward.accounts.models import Account, Contact
from steward.accounts.selectors import accounts_visible_to
from steward.billing.choices import (
    COUNTED_STATUSES,
    OPEN_STATUSES,
    InvoiceStatus,
    PaymentMethod,
    Scope,
)
from steward.billing.engine import ageing, invoicing
from steward.billing.models import Invoice, InvoiceLine, InvoiceSequence, Payment
from steward.core import audit
from steward.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from steward.core.services import check_version, full_clean_or_fail
from steward.orders.models import Order, OrderLine
from steward.users.choices import Role
from steward.users.models import User

MAX_LINES = 500
ZERO = Decimal(0)


class InvoiceStateError(ApplicationError):
    """The action does not fit the invoice's status (e.g. paying a draft, voiding a paid invoice)."""

    status_code = 409


@dataclass(frozen=True)
class LineInput:
    """A manually entered invoice line."""

    description: str
    quantity: Decimal
    unit_price: Decimal


# Permissions ---------------------------------------------------------------------------------------


def _is_finance(user: User) -> bool:
    return user.is_active and (user.is_admin_role or user.role == Role.FINANCE)


def can_write_invoices(user: User, account: Account) -> bool:
    """Finance, admins and the account's operations manager create and issue invoices."""
    if not user.is_authenticated or not user.is_active or user.is_read_only:
        return False
    return _is_finance(user) or account.operations_manager_id == user.pk


def can_record_payments(user: User, account: Account) -> bool:
    """Finance, admins and the account's operations manager record payments."""
    return can_write_invoices(user, account)


def can_void(user: User) -> bool:
    """Voiding invoices and reversing payments is for finance and admins."""
    return user.is_authenticated and _is_finance(user)


def _require_visible(actor: User, account: Account) -> None:
    if not accounts_visible_to(actor).filter(pk=account.pk).exists():
        raise PermissionDenied("You can only work on invoices of accounts in your portfolio.")


def _require_writer(actor: User, account: Account) -> None:
    _require_visible(actor, account)
    if not can_write_invoices(actor, account):
        raise PermissionDenied("Invoices are made by finance and by the account's operations manager.")


def _locked(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def _snapshot(invoice: Invoice) -> dict[str, Any]:
    return audit.snapshot(invoice, exclude=("version",))


# Numbers and helpers -------------------------------------------------------------------------------


def next_number(year: int) -> str:
    """The next invoice number of the year, INV-2026-000123 (call inside a transaction)."""
    InvoiceSequence.objects.get_or_create(year=year)
    seq = InvoiceSequence.objects.select_for_update().get(year=year)
    while True:
        seq.last += 1
        number = f"INV-{year}-{seq.last:06d}"
        if not Invoice.objects.filter(number=number).exists():  # an imported invoice may have taken it
            break
    seq.save(update_fields=["last"])
    return number


def standard_terms() -> int:
    return int(settings.STEWARD_STANDARD_PAYMENT_TERMS_DAYS)


def _terms(value: Any, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        terms = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed("payment_terms_days: enter a whole number of days.", field_errors={"payment_terms_days": ["Enter a whole number of days."]}) from None
    if not 0 <= terms <= 365:
        raise ValidationFailed("payment_terms_days: between 0 and 365 days.", field_errors={"payment_terms_days": ["Between 0 and 365 days."]})
    return terms


def _decimal(value: Any, name: str, label: str) -> Decimal:
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed(f"{label}: enter a number.", field_errors={name: [f"{label}: enter a number."]}) from None
    if not result.is_finite():
        raise ValidationFailed(f"{label}: enter a number.", field_errors={name: [f"{label}: enter a number."]})
    return result


def _default_contact(account: Account) -> Contact | None:
    contacts = Contact.objects.filter(account=account, status="active").exclude(email="")
    return contacts.filter(is_primary=True).first() or contacts.order_by("last_name", "id").first()


def _apply_totals(invoice: Invoice, lines: Sequence[InvoiceLine]) -> None:
    totals = invoicing.invoice_totals([ln.amount for ln in lines], invoice.tax_rate)
    invoice.subtotal, invoice.tax_amount, invoice.total = totals.subtotal, totals.tax_amount, totals.total
    invoice.amount_paid = ZERO
    invoice.balance = totals.total


def _header(invoice: Invoice, data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - {"issued_on", "payment_terms_days", "currency", "tax_rate", "contact", "customer_reference", "note"})
    if unknown:
        raise ValidationFailed(f"{unknown[0]}: this field cannot be set.", field_errors={k: ["This field cannot be set."] for k in unknown})
    if data.get("issued_on"):
        invoice.issued_on = data["issued_on"]
    invoice.payment_terms_days = _terms(data.get("payment_terms_days"), invoice.payment_terms_days)
    if data.get("currency"):
        invoice.currency = str(data["currency"]).strip().upper()
    if data.get("tax_rate") not in (None, ""):
        invoice.tax_rate = _decimal(data["tax_rate"], "tax_rate", "Tax rate")
    if "contact" in data:
        contact = data["contact"]
        if contact is not None and contact.account_id != invoice.account_id:
            raise ValidationFailed("contact: not a contact of this account.", field_errors={"contact": ["Not a contact of this account."]})
        invoice.contact = contact
    invoice.customer_reference = (data.get("customer_reference") or invoice.customer_reference or "")[:80]
    invoice.note = data.get("note") or invoice.note or ""
    invoice.due_on = ageing.due_date(invoice.issued_on, invoice.payment_terms_days)


def _save_new(actor: User | None, invoice: Invoice, lines: list[InvoiceLine], *, number: str | None = None, now: dt.datetime | None = None) -> Invoice:
    if not lines:
        raise ValidationFailed("lines: an invoice needs at least one line.", field_errors={"lines": ["Add at least one line."]})
    if len(lines) > MAX_LINES:
        raise ValidationFailed(f"lines: an invoice has at most {MAX_LINES} lines.", field_errors={"lines": [f"At most {MAX_LINES} lines."]})
    _apply_totals(invoice, lines)
    invoice.number = number or next_number(invoice.issued_on.year)
    full_clean_or_fail(invoice, exclude=["number"] if number is None else None)
    invoice.save()
    for ln in lines:
        ln.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    audit.record(actor=actor, action="create", instance=invoice, before=None, after={**_snapshot(invoice), "lines": len(lines)}, account_id=invoice.account_id, now=now)
    return invoice


# Manual entry --------------------------------------------------------------------------------------


def _manual_lines(lines: Sequence[LineInput]) -> list[InvoiceLine]:
    built = []
    for row, given in enumerate(lines, start=1):
        description = (given.description or "").strip()[:300]
        if not description:
            raise ValidationFailed(f"Line {row}: enter a description.", field_errors={"lines": [f"Line {row}: enter a description."]})
        quantity = _decimal(given.quantity, "lines", f"Line {row}, quantity")
        unit_price = _decimal(given.unit_price, "lines", f"Line {row}, unit price")
        if quantity <= 0:
            raise ValidationFailed(f"Line {row}: quantity must be more than zero.", field_errors={"lines": [f"Line {row}: quantity must be more than zero."]})
        if unit_price < 0:
            raise ValidationFailed(f"Line {row}: unit price cannot be negative.", field_errors={"lines": [f"Line {row}: unit price cannot be negative."]})
        quantity, unit_price = quantity.quantize(invoicing.CENT), unit_price.quantize(invoicing.CENT)
        built.append(InvoiceLine(position=row, description=description, quantity=quantity, unit_price=unit_price, amount=invoicing.money(quantity * unit_price)))
    return built


def invoice_create(*, actor: User, account: Account, data: Mapping[str, Any], lines: Sequence[LineInput], now: dt.datetime | None = None) -> Invoice:
    """A draft invoice entered by hand (lines with a description, quantity and unit price)."""
    now = now or timezone.now()
    with transaction.atomic():
        _require_writer(actor, account)
        invoice = Invoice(
            account=account, currency=account.currency, issued_on=timezone.localdate(now), payment_terms_days=standard_terms(),
            contact=_default_contact(account), created_by=actor,
        )
        _header(invoice, data)
        return _save_new(actor, invoice, _manual_lines(lines), now=now)


# From an order -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invoiceable:
    """One order line and how much of it an invoice from the order would bill."""

    line: OrderLine
    quantity: Decimal
    amount: Decimal


def invoiced_by_line(line_ids: Sequence[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """Quantity and amount already invoiced per order line, on invoices that are not void (one query)."""
    rows = (
        InvoiceLine.objects.filter(order_line_id__in=line_ids, invoice__status__in=COUNTED_STATUSES)
        .values("order_line_id").annotate(q=Sum("quantity"), a=Sum("amount")).order_by()
    )
    return {r["order_line_id"]: (r["q"] or ZERO, r["a"] or ZERO) for r in rows}


def _facts(line: OrderLine, invoiced: tuple[Decimal, Decimal]) -> invoicing.OrderLineFacts:
    return invoicing.OrderLineFacts(
        quantity=line.quantity, delivered_quantity=line.delivered_quantity, unit_price=line.unit_price,
        discount_percent=line.discount_percent, amount=line.amount, invoiced_quantity=invoiced[0], invoiced_amount=invoiced[1],
    )


def invoiceable_lines(order: Order, scope: str) -> list[Invoiceable]:
    """What an invoice from `order` would bill under `scope` (delivered or all), less what is already invoiced."""
    lines = list(order.lines.exclude(status="cancelled").select_related("product").order_by("position", "id"))
    invoiced = invoiced_by_line([ln.pk for ln in lines])
    result = []
    for line in lines:
        facts = _facts(line, invoiced.get(line.pk, (ZERO, ZERO)))
        quantity = invoicing.invoiceable_quantity(facts, delivered_only=scope == Scope.DELIVERED)
        if quantity > 0:
            result.append(Invoiceable(line, quantity, invoicing.slice_amount(facts, quantity)))
    return result


def order_payment_terms(order: Order) -> int:
    """The order's payment terms; the standard terms when it has none."""
    terms = getattr(order, "payment_terms_days", None)
    return standard_terms() if terms is None else int(terms)


def invoice_from_order(*, actor: User, order: Order, scope: str, issued_on: dt.date | None = None, now: dt.datetime | None = None) -> Invoice:
    """A draft invoice for what of the order is not invoiced yet: its delivered quantities, or everything ordered."""
    now = now or timezone.now()
    if scope not in Scope.values:
        raise ValidationFailed("scope: choose delivered or all.", field_errors={"scope": ["Choose delivered or all."]})
    with transaction.atomic():
        # The lock makes two invoices from one order run one after the other: the second sees the first's lines.
        order = Order.objects.select_for_update(of=("self",)).select_related("account").get(pk=order.pk)
        _require_writer(actor, order.account)
        if order.status == "cancelled":
            raise InvoiceStateError("A cancelled order cannot be invoiced.")
        billable = invoiceable_lines(order, scope)
        if not billable:
            what = "delivered and not yet invoiced" if scope == Scope.DELIVERED else "not yet invoiced"
            raise InvoiceStateError(f"Nothing on {order.number} is {what}.", field_errors={"scope": [f"Nothing is {what}."]})
        contact = getattr(order, "contact", None) or _default_contact(order.account)
        invoice = Invoice(
            account=order.account, order=order, currency=order.currency, issued_on=issued_on or timezone.localdate(now),
            payment_terms_days=order_payment_terms(order), contact=contact, customer_reference=order.customer_reference[:80], created_by=actor,
        )
        invoice.due_on = ageing.due_date(invoice.issued_on, invoice.payment_terms_days)
        lines = []
        for position, item in enumerate(billable, start=1):
            line = item.line
            description = f"{line.product.sku} {line.product.name}" + (f" · {line.description}" if line.description else "")
            unit = item.amount / item.quantity if item.quantity else ZERO
            lines.append(InvoiceLine(position=position, order_line=line, description=description[:300], quantity=item.quantity,
                                     unit_price=invoicing.money(unit), amount=item.amount))
        return _save_new(actor, invoice, lines, now=now)


# Lifecycle -----------------------------------------------------------------------------------------


def invoice_issue(*, actor: User, invoice: Invoice, expected_version: int | None = None, now: dt.datetime | None = None) -> Invoice:
    """Issue a draft: from now on it is owed, due on its due date."""
    now = now or timezone.now()
    with transaction.atomic():
        invoice = _locked(invoice)
        _require_writer(actor, invoice.account)
        check_version(invoice, expected_version)
        if invoice.status != InvoiceStatus.DRAFT:
            raise InvoiceStateError(f"{invoice.number} is {invoice.get_status_display().lower()}; only a draft can be issued.")
        if invoice.total <= 0:
            raise ValidationFailed("total: an invoice of nothing cannot be issued.", field_errors={"total": ["The total must be more than zero."]})
        before = _snapshot(invoice)
        invoice.status, invoice.issued_at, invoice.version = InvoiceStatus.ISSUED, now, invoice.version + 1
        invoice.save()
        audit.record(actor=actor, action="update", instance=invoice, before=before, after=_snapshot(invoice), account_id=invoice.account_id, now=now)
        return invoice


def invoice_void(*, actor: User, invoice: Invoice, reason: str, expected_version: int | None = None, now: dt.datetime | None = None) -> Invoice:
    """Void an invoice nothing was paid on (finance); its order quantities may be invoiced again."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        invoice = _locked(invoice)
        _require_visible(actor, invoice.account)
        if not can_void(actor):
            raise PermissionDenied("Only finance can void an invoice.")
        check_version(invoice, expected_version)
        if not reason:
            raise ValidationFailed("reason: say why the invoice is void.", field_errors={"reason": ["Say why the invoice is void."]})
        if invoice.status == InvoiceStatus.VOID:
            raise InvoiceStateError(f"{invoice.number} is already void.")
        if invoice.amount_paid > 0 or invoice.payments.filter(reversed_at__isnull=True).exists():
            raise InvoiceStateError(f"{invoice.number} has payments; reverse them before voiding it.")
        before = _snapshot(invoice)
        invoice.status, invoice.voided_at, invoice.void_reason = InvoiceStatus.VOID, now, reason[:2000]
        invoice.balance, invoice.version = invoice.total - invoice.amount_paid, invoice.version + 1
        invoice.save()
        audit.record(actor=actor, action="update", instance=invoice, before=before, after=_snapshot(invoice), account_id=invoice.account_id, now=now)
        return invoice


# Payments ------------------------------------------------------------------------------------------


def _resettle(invoice: Invoice) -> None:
    """Recompute paid amount, balance, status and the payment-behaviour fields from the live payments."""
    live = invoice.payments.filter(reversed_at__isnull=True)
    paid = live.aggregate(s=Sum("amount"))["s"] or ZERO
    invoice.amount_paid = paid
    invoice.balance = invoice.total - paid
    invoice.status = invoicing.payment_status(invoice.total, paid)
    if invoice.status == InvoiceStatus.PAID:
        last = live.order_by("-received_on").values_list("received_on", flat=True).first()
        invoice.paid_on = last
        settled = ageing.SettledItem(invoice.issued_on, invoice.due_on, last)  # type: ignore[arg-type]
        invoice.days_to_pay, invoice.days_late = ageing.days_to_pay(settled), ageing.days_late(settled)
    else:
        invoice.paid_on = invoice.days_to_pay = invoice.days_late = None


def payment_record(
    *, actor: User, invoice: Invoice, data: Mapping[str, Any], expected_version: int | None = None, now: dt.datetime | None = None
) -> Payment:
    """Record money received against an issued invoice; partial payments are fine, more than the balance is not."""
    now = now or timezone.now()
    unknown = sorted(set(data) - {"received_on", "amount", "method", "reference"})
    if unknown:
        raise ValidationFailed(f"{unknown[0]}: this field cannot be set.", field_errors={k: ["This field cannot be set."] for k in unknown})
    with transaction.atomic():
        invoice = _locked(invoice)
        _require_visible(actor, invoice.account)
        if not can_record_payments(actor, invoice.account):
            raise PermissionDenied("Payments are recorded by finance and by the account's operations manager.")
        check_version(invoice, expected_version)
        if invoice.status not in OPEN_STATUSES:
            raise InvoiceStateError(f"{invoice.number} is {invoice.get_status_display().lower()}: payments go against issued invoices with a balance.")
        amount = _decimal(data.get("amount"), "amount", "Amount")
        if amount <= 0:
            raise ValidationFailed("amount: enter an amount more than zero.", field_errors={"amount": ["Enter an amount more than zero."]})
        if amount.quantize(invoicing.CENT) != amount:
            raise ValidationFailed("amount: at most two decimals.", field_errors={"amount": ["At most two decimals."]})
        if amount > invoice.balance:
            raise ValidationFailed(
                f"amount: {amount} is more than the balance of {invoice.balance} {invoice.currency}.",
                field_errors={"amount": [f"More than the balance ({invoice.balance} {invoice.currency})."]},
            )
        received_on = data.get("received_on") or timezone.localdate(now)
        if received_on < invoice.issued_on:
            raise ValidationFailed("received_on: before the invoice date.", field_errors={"received_on": ["Before the invoice date."]})
        if received_on > timezone.localdate(now):
            raise ValidationFailed("received_on: in the future.", field_errors={"received_on": ["A payment cannot be received in the future."]})
        method = data.get("method") or PaymentMethod.BANK_TRANSFER
        payment = Payment(invoice=invoice, received_on=received_on, amount=amount, method=method, reference=(data.get("reference") or "")[:120], recorded_by=actor)
        full_clean_or_fail(payment)
        payment.save()
        before = _snapshot(invoice)
        _resettle(invoice)
        invoice.version += 1
        invoice.save()
        audit.record(actor=actor, action="create", instance=payment, before=None, after={**audit.snapshot(payment), "invoice": invoice.number}, account_id=invoice.account_id, now=now)
        audit.record(actor=actor, action="update", instance=invoice, before=before, after=_snapshot(invoice), account_id=invoice.account_id, now=now)
        return payment


def payment_reverse(*, actor: User, payment: Payment, reason: str, now: dt.datetime | None = None) -> Payment:
    """Reverse a payment (a bounced transfer, a mistake): it stays on the record; the invoice owes the amount again."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        invoice = _locked(payment.invoice)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        _require_visible(actor, invoice.account)
        if not can_void(actor):
            raise PermissionDenied("Only finance can reverse a payment.")
        if not reason:
            raise ValidationFailed("reason: say why the payment is reversed.", field_errors={"reason": ["Say why the payment is reversed."]})
        if payment.reversed_at is not None:
            raise InvoiceStateError("This payment is already reversed.")
        before_payment, before = audit.snapshot(payment), _snapshot(invoice)
        payment.reversed_at, payment.reversed_by, payment.reversal_reason = now, actor, reason[:2000]
        payment.save()
        _resettle(invoice)
        invoice.version += 1
        invoice.save()
        audit.record(actor=actor, action="update", instance=payment, before=before_payment, after=audit.snapshot(payment), account_id=invoice.account_id, now=now)
        audit.record(actor=actor, action="update", instance=invoice, before=before, after=_snapshot(invoice), account_id=invoice.account_id, now=now)
        return payment


def invoice_email(*, actor: User, invoice: Invoice, now: dt.datetime | None = None) -> Invoice:
    """Email the invoice PDF to its contact and log it on the account's timeline."""
    from steward.billing import documents

    now = now or timezone.now()
    with transaction.atomic():
        invoice = _locked(invoice)
        _require_writer(actor, invoice.account)
        if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
            raise InvoiceStateError(f"{invoice.number} is {invoice.get_status_display().lower()}: issue it before emailing it.")
        if invoice.contact is None or not invoice.contact.email:
            raise ValidationFailed("contact: the invoice has no contact with an email address.", field_errors={"contact": ["No contact with an email address."]})
        documents.email_invoice(actor=actor, invoice=invoice, contact=invoice.contact, now=now)
        return invoice
