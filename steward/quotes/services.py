"""Writes to quotes: content, the approval workflow, sending and acceptance. Every rule lives here once.

Pages and the API call these functions, so approval cannot be bypassed by either: a quote that
needs approval cannot be sent, accepted or turned into an order until its current content (the
fingerprint) is approved; an edit to that content voids the approval; a duplicate or a new revision
starts unapproved; two approvers deciding the same step at once cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from steward.accounts.models import Account, Contact
from steward.accounts.selectors import accounts_visible_to, exchange_rates
from steward.catalogue.models import Product
from steward.core import audit
from steward.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from steward.core.services import apply_fields, check_version, full_clean_or_fail
from steward.quotes import approvals, documents
from steward.quotes.choices import (
    EDITABLE,
    EXPIRABLE,
    ApprovalState,
    QuoteStatus,
    RejectedBy,
    RequestStatus,
    StepStatus,
)
from steward.quotes.engine import pricing
from steward.quotes.engine.approval import fingerprint
from steward.quotes.models import ApprovalRequest, Quote, QuoteClause, QuoteLine
from steward.users.models import User

if TYPE_CHECKING:
    from steward.orders.models import Order

HUNDRED = Decimal(100)

QUOTE_FIELDS = frozenset({
    "title", "contact", "opportunity", "currency", "valid_until", "payment_terms_days", "extra_discount_pct",
    "sla_credit_pct", "liability_cap", "delivery_terms", "customer_note", "internal_note", "owner",
})
MAX_LINES = 200
MAX_CLAUSES = 30


@dataclass(frozen=True)
class LineInput:
    """One line as a page or the API gives it; unit price defaults to the list price."""

    product: Product
    quantity: Decimal
    unit_price: Decimal | None = None
    discount_pct: Decimal = Decimal(0)
    description: str = ""


class QuoteStateError(ApplicationError):
    """The action does not fit the quote's status (e.g. sending an unapproved quote)."""

    status_code = 409


# Permissions ---------------------------------------------------------------------------------------


def can_write_quote(user: User, quote: Quote) -> bool:
    """Anyone who can see the quote's account may work on it, except read-only roles."""
    if user.is_read_only or not user.is_active:
        return False
    return accounts_visible_to(user).filter(pk=quote.account_id).exists()


def _require_writer(actor: User, account: Account) -> None:
    if actor.is_read_only or not actor.is_active:
        raise PermissionDenied("Your role is read-only: you cannot change quotes.")
    if not accounts_visible_to(actor).filter(pk=account.pk).exists():
        raise PermissionDenied("You can only work on quotes of accounts in your portfolio.")


def _locked(quote: Quote) -> Quote:
    """Re-read the quote under a row lock: concurrent actions on one quote run one after the other."""
    return Quote.objects.select_for_update().get(pk=quote.pk)


# Content -------------------------------------------------------------------------------------------


def _rate_table() -> dict[str, Decimal]:
    return exchange_rates()


def convert_amount(amount: Decimal, source: str, target: str, rates: Mapping[str, Decimal]) -> Decimal | None:
    """`amount` from `source` into `target` currency through the reporting currency; None without a rate."""
    if source == target:
        return amount
    reporting = settings.REPORTING_CURRENCY
    to_reporting = Decimal(1) if source == reporting else rates.get(source)
    from_reporting = Decimal(1) if target == reporting else rates.get(target)
    if to_reporting is None or from_reporting is None:
        return None
    return (amount * to_reporting / from_reporting).quantize(pricing.CENT)


def _decimal(value: Any, row: int, name: str) -> Decimal:
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed(f"Line {row}, {name}: enter a number.", field_errors={"lines": [f"Line {row}: {name} must be a number."]}) from None
    if not result.is_finite():
        raise ValidationFailed(f"Line {row}, {name}: enter a number.", field_errors={"lines": [f"Line {row}: {name} must be a number."]})
    return result


def _line_error(row: int, message: str) -> ValidationFailed:
    return ValidationFailed(f"Line {row}: {message}", field_errors={"lines": [f"Line {row}: {message}"]})


def _build_lines(quote: Quote, lines: Sequence[LineInput], rates: Mapping[str, Decimal], kept_products: set[int]) -> list[QuoteLine]:
    if len(lines) > MAX_LINES:
        raise ValidationFailed(f"lines: a quote has at most {MAX_LINES} lines.", field_errors={"lines": [f"At most {MAX_LINES} lines."]})
    built = []
    for row, given in enumerate(lines, start=1):
        product = given.product
        if not product.is_active and product.pk not in kept_products:
            raise _line_error(row, f"{product.sku} is inactive and cannot be added to a quote.")
        quantity = _decimal(given.quantity, row, "quantity")
        if quantity <= 0:
            raise _line_error(row, "quantity must be more than zero.")
        list_price = convert_amount(Decimal(product.list_price), product.currency, quote.currency, rates)
        if list_price is None:
            raise _line_error(row, f"{product.sku} is priced in {product.currency} and there is no exchange rate to {quote.currency}.")
        unit_price = list_price if given.unit_price in (None, "") else _decimal(given.unit_price, row, "unit price")
        if unit_price < 0:
            raise _line_error(row, "unit price cannot be negative.")
        discount = _decimal(given.discount_pct or 0, row, "discount")
        if not Decimal(0) <= discount <= Decimal(100):
            raise _line_error(row, "discount must be between 0 and 100 %.")
        unit_cost = None if product.unit_cost is None else convert_amount(Decimal(product.unit_cost), product.currency, quote.currency, rates)
        line = QuoteLine(
            quote=quote, position=row, product=product, description=(given.description or "")[:300].strip(),
            quantity=quantity.quantize(pricing.CENT), unit_price=unit_price.quantize(pricing.CENT),
            discount_pct=discount.quantize(pricing.CENT), list_price=list_price, unit_cost=unit_cost,
        )
        built.append(line)
    return built


def _engine_line(line: QuoteLine) -> pricing.Line:
    return pricing.Line(
        quantity=line.quantity, list_price=line.list_price, unit_price=line.unit_price,
        discount_pct=line.discount_pct, unit_cost=line.unit_cost,
    )


def _apply_totals(quote: Quote, lines: Sequence[QuoteLine]) -> None:
    totals = pricing.quote_totals([_engine_line(line) for line in lines], extra_discount_pct=quote.extra_discount_pct or Decimal(0))
    for line, figures in zip(lines, totals.lines, strict=True):
        line.net_amount = figures.net_amount
        line.effective_discount_pct = figures.discount_pct
    quote.list_total = totals.list_total
    quote.lines_total = totals.lines_total
    quote.extra_discount_amount = totals.extra_discount_amount
    quote.total = totals.total
    quote.overall_discount_pct = totals.overall_discount_pct
    quote.max_line_discount_pct = totals.max_line_discount_pct
    quote.margin_pct = totals.margin_pct


def _fixed(value: Any) -> str:
    """A decimal as it is stored (two places), so equal amounts always print the same."""
    return "" if value is None or value == "" else f"{Decimal(value):.2f}"


def content_of(quote: Quote, lines: Sequence[QuoteLine], clauses: Sequence[str]) -> dict[str, Any]:
    """Everything approval depends on: lines, prices, discounts, currency, payment and nonstandard terms.

    Not included, so they never void an approval: title, notes, recipient, validity date, owner.
    """
    return {
        "currency": quote.currency,
        "lines": [
            [line.product_id, _fixed(line.quantity), _fixed(line.unit_price), _fixed(line.discount_pct), _fixed(line.list_price)]
            for line in lines
        ],
        "payment_terms_days": quote.payment_terms_days,
        "extra_discount_pct": _fixed(quote.extra_discount_pct),
        "sla_credit_pct": _fixed(quote.sla_credit_pct),
        "liability_cap": _fixed(quote.liability_cap),
        "delivery_terms": quote.delivery_terms.strip(),
        "clauses": [c.strip() for c in clauses],
    }


def current_fingerprint(quote: Quote) -> str:
    """The fingerprint of the quote's content as stored now."""
    lines = list(quote.lines.all())
    clauses = list(quote.clauses.values_list("text", flat=True))
    return fingerprint(content_of(quote, lines, clauses))


def _clean_clauses(clauses: Sequence[str]) -> list[str]:
    texts = [str(c).strip() for c in clauses if str(c).strip()]
    if len(texts) > MAX_CLAUSES:
        raise ValidationFailed(f"clauses: at most {MAX_CLAUSES} clauses.", field_errors={"clauses": [f"At most {MAX_CLAUSES} clauses."]})
    for i, text in enumerate(texts, start=1):
        if len(text) > 4000:
            raise ValidationFailed(f"Clause {i}: at most 4,000 characters.", field_errors={"clauses": [f"Clause {i}: at most 4,000 characters."]})
    return texts


def _check_references(actor: User, quote: Quote) -> None:
    if quote.contact_id and not Contact.objects.filter(pk=quote.contact_id, account_id=quote.account_id).exists():
        raise ValidationFailed("contact: choose a contact of this account.", field_errors={"contact": ["Choose a contact of this account."]})
    if quote.opportunity is not None and quote.opportunity.account_id != quote.account_id:
        raise ValidationFailed("opportunity: choose an opportunity of this account.", field_errors={"opportunity": ["Choose an opportunity of this account."]})
    if quote.owner_id and not User.objects.filter(pk=quote.owner_id, is_active=True).exists():
        raise ValidationFailed("owner: choose an active colleague.", field_errors={"owner": ["Choose an active colleague."]})


def _snapshot(quote: Quote) -> dict[str, Any]:
    data = audit.snapshot(quote, exclude=("created_at", "updated_at", "version"))
    data["lines"] = [
        {"product": line.product_id, "quantity": str(line.quantity), "unit_price": str(line.unit_price), "discount_pct": str(line.discount_pct)}
        for line in quote.lines.all()
    ]
    data["clauses"] = list(quote.clauses.values_list("text", flat=True))
    return data


def _store_content(quote: Quote, lines: Sequence[LineInput] | None, clauses: Sequence[str] | None) -> None:
    """Replace lines and clauses when given, recompute totals, save the quote."""
    rates = _rate_table()
    kept = set(quote.lines.values_list("product_id", flat=True)) if quote.pk else set()
    if lines is not None:
        built = _build_lines(quote, lines, rates, kept)
    else:
        built = list(quote.lines.all()) if quote.pk else []
    clause_texts = _clean_clauses(clauses) if clauses is not None else None
    _apply_totals(quote, built)
    quote.save()
    if lines is not None:
        quote.lines.all().delete()
        for line in built:
            line.quote = quote
        QuoteLine.objects.bulk_create(built)
    elif built:
        QuoteLine.objects.bulk_update(built, ["net_amount", "effective_discount_pct"])
    if clause_texts is not None:
        quote.clauses.all().delete()
        QuoteClause.objects.bulk_create([QuoteClause(quote=quote, position=i, text=t) for i, t in enumerate(clause_texts, start=1)])


def _next_number(today: dt.date) -> str:
    prefix = f"Q-{today.year}-"
    last = (
        Quote.objects.filter(number__startswith=prefix, revision=1).order_by("-number").values_list("number", flat=True).first()
    )
    n = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{n:05d}"


def _save_new(quote: Quote, lines: Sequence[LineInput] | None, clauses: Sequence[str] | None, *, numbered: bool) -> None:
    """Save a new quote; when it takes a fresh number, retry if a concurrent creation took the same one."""
    for attempt in range(5):
        if numbered:
            quote.number = _next_number(timezone.localdate())
        try:
            with transaction.atomic():
                _store_content(quote, lines, clauses)
            return
        except IntegrityError:
            quote.pk = None
            if not numbered or attempt == 4:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def quote_create(
    *,
    actor: User,
    account: Account,
    data: Mapping[str, Any],
    lines: Sequence[LineInput] = (),
    clauses: Sequence[str] = (),
) -> Quote:
    """Start a draft quote for an account (optionally for one of its opportunities)."""
    _require_writer(actor, account)
    quote = Quote(account=account, owner=actor, created_by=actor, currency=account.currency)
    quote.valid_until = timezone.localdate() + dt.timedelta(days=settings.STEWARD_QUOTE_VALIDITY_DAYS)
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    if clean.get("currency"):
        clean["currency"] = str(clean["currency"]).upper()
    apply_fields(quote, clean, allowed=QUOTE_FIELDS)
    if not quote.title:
        quote.title = f"Quote for {account.name}"
    quote.number = "pending"
    full_clean_or_fail(quote, exclude=["public_id", "number"])
    _check_references(actor, quote)
    _save_new(quote, lines, clauses, numbered=True)
    audit.record(actor=actor, action="create", instance=quote, before=None, after=_snapshot(quote), account_id=account.pk)
    return quote


def _void_approval(quote: Quote, *, now: dt.datetime) -> None:
    """Content changed: any pending or granted approval no longer holds; the quote returns to draft."""
    open_requests = quote.approval_requests.filter(status__in=[RequestStatus.PENDING, RequestStatus.APPROVED, RequestStatus.REJECTED])
    for request in open_requests:
        request.status = RequestStatus.VOIDED
        request.closed_at = now
        request.save(update_fields=["status", "closed_at", "updated_at"])
        request.steps.filter(status__in=[StepStatus.WAITING, StepStatus.PENDING]).update(status=StepStatus.CLOSED)
    quote.status = QuoteStatus.DRAFT
    quote.approval_state = ApprovalState.NONE
    quote.approved_fingerprint = ""
    quote.approved_at = None
    quote.rejected_at = None
    quote.rejected_by = ""
    quote.rejection_reason = ""


@transaction.atomic
def quote_update(
    *,
    actor: User,
    quote: Quote,
    data: Mapping[str, Any] | None = None,
    lines: Sequence[LineInput] | None = None,
    clauses: Sequence[str] | None = None,
    expected_version: int | None = None,
) -> Quote:
    """Change a quote's header, terms, lines or clauses. A change to what approval covers voids it."""
    _require_writer(actor, quote.account)
    quote = _locked(quote)
    check_version(quote, expected_version)
    if quote.status not in EDITABLE or quote.rejected_by == RejectedBy.CUSTOMER:
        raise QuoteStateError(
            f"A {quote.get_status_display().lower()} quote cannot be changed: create a new revision instead.",
        )
    before = _snapshot(quote)
    old_fingerprint = current_fingerprint(quote)
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in (data or {}).items()}
    if clean.get("currency"):
        clean["currency"] = str(clean["currency"]).upper()
    changed = apply_fields(quote, clean, allowed=QUOTE_FIELDS)
    if "currency" in changed and lines is None:
        # Lines carry prices in the old currency: re-price them from the catalogue.
        lines = [LineInput(product=ln.product, quantity=ln.quantity, unit_price=None, discount_pct=ln.discount_pct, description=ln.description) for ln in quote.lines.select_related("product")]
    full_clean_or_fail(quote, exclude=["public_id"])
    _check_references(actor, quote)
    _store_content(quote, lines, clauses)
    new_fingerprint = current_fingerprint(quote)
    voided = False
    if new_fingerprint != old_fingerprint and quote.status != QuoteStatus.DRAFT:
        _void_approval(quote, now=timezone.now())
        voided = True
    quote.version += 1
    quote.save()
    after = _snapshot(quote)
    if voided:
        after["approval"] = "voided by this change"
    audit.record(actor=actor, action="update", instance=quote, before=before, after=after, account_id=quote.account_id)
    return quote


@transaction.atomic
def quote_delete(*, actor: User, quote: Quote) -> None:
    """Delete a draft that was never submitted; anything further along stays on record."""
    _require_writer(actor, quote.account)
    quote = _locked(quote)
    if quote.status != QuoteStatus.DRAFT or quote.approval_requests.exists():
        raise QuoteStateError("Only a draft that was never submitted can be deleted.")
    before = _snapshot(quote)
    audit.record(actor=actor, action="delete", instance=quote, before=before, after=None, account_id=quote.account_id)
    quote.delete()


def _copy(quote: Quote, actor: User, *, revision: bool) -> Quote:
    lines = [
        LineInput(product=ln.product, quantity=ln.quantity, unit_price=ln.unit_price, discount_pct=ln.discount_pct, description=ln.description)
        for ln in quote.lines.select_related("product")
    ]
    clauses = list(quote.clauses.values_list("text", flat=True))
    copy = Quote(
        account=quote.account, opportunity=quote.opportunity, contact=quote.contact, owner=actor, created_by=actor,
        title=quote.title, currency=quote.currency, payment_terms_days=quote.payment_terms_days,
        extra_discount_pct=quote.extra_discount_pct, sla_credit_pct=quote.sla_credit_pct, liability_cap=quote.liability_cap,
        delivery_terms=quote.delivery_terms, customer_note=quote.customer_note, internal_note=quote.internal_note,
        valid_until=max(quote.valid_until, timezone.localdate() + dt.timedelta(days=settings.STEWARD_QUOTE_VALIDITY_DAYS)),
    )
    if revision:
        copy.number = quote.number
        copy.revision = (Quote.objects.filter(number=quote.number).order_by("-revision").values_list("revision", flat=True).first() or 1) + 1
        copy.previous_revision = quote
        copy.owner = quote.owner
        _save_new(copy, lines, clauses, numbered=False)
    else:
        copy.duplicated_from = quote
        _save_new(copy, lines, clauses, numbered=True)
    return copy


@transaction.atomic
def quote_duplicate(*, actor: User, quote: Quote) -> Quote:
    """A new quote with the same content and a new number. It starts as an unapproved draft."""
    _require_writer(actor, quote.account)
    copy = _copy(quote, actor, revision=False)
    audit.record(actor=actor, action="create", instance=copy, before=None, after={**_snapshot(copy), "duplicated_from": quote.label}, account_id=copy.account_id)
    return copy


@transaction.atomic
def quote_revise(*, actor: User, quote: Quote) -> Quote:
    """The next revision of a quote (same number): an unapproved draft to change and submit again."""
    _require_writer(actor, quote.account)
    copy = _copy(quote, actor, revision=True)
    audit.record(actor=actor, action="create", instance=copy, before=None, after={**_snapshot(copy), "revision_of": quote.label}, account_id=copy.account_id)
    return copy


# Workflow ------------------------------------------------------------------------------------------


def _transition(actor: User, quote: Quote, now: dt.datetime, event: str, **changes: Any) -> Quote:
    before = {"status": quote.status, "approval_state": quote.approval_state}
    for name, value in changes.items():
        setattr(quote, name, value)
    quote.version += 1
    quote.save()
    after = {"status": quote.status, "approval_state": quote.approval_state, "event": event}
    audit.record(actor=actor, action="update", instance=quote, before=before, after=after, account_id=quote.account_id, now=now)
    return quote


def _require_valid(quote: Quote, now: dt.datetime) -> None:
    if quote.valid_until < timezone.localdate(now):
        raise QuoteStateError(f"This quote expired on {quote.valid_until:%d %b %Y}: create a new revision with a new validity date.")


def _require_approved_content(quote: Quote) -> None:
    """The one check every outward step makes: the content now is the content that was approved."""
    if quote.approval_state not in (ApprovalState.APPROVED, ApprovalState.NOT_REQUIRED) or not quote.approved_fingerprint:
        raise QuoteStateError("This quote is not approved: submit it for approval first.")
    if current_fingerprint(quote) != quote.approved_fingerprint:
        raise QuoteStateError("This quote changed after it was approved: submit it for approval again.")


@transaction.atomic
def quote_submit(*, actor: User, quote: Quote, now: dt.datetime | None = None) -> Quote:
    """Route the quote to the approvers its figures and terms call for; approve at once when none are needed."""
    now = now or timezone.now()
    _require_writer(actor, quote.account)
    quote = _locked(quote)
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.REJECTED) or quote.rejected_by == RejectedBy.CUSTOMER:
        raise QuoteStateError(f"A {quote.get_status_display().lower()} quote cannot be submitted.")
    if not quote.lines.exists():
        raise ValidationFailed("lines: add at least one line before submitting.", field_errors={"lines": ["Add at least one line."]})
    _require_valid(quote, now)
    if quote.status == QuoteStatus.REJECTED:
        _void_approval(quote, now=now)
    content_fingerprint = current_fingerprint(quote)
    plan = approvals.plan_for(quote, now=now)
    if not plan.steps:
        return _transition(
            actor, quote, now, "submitted: no approval needed", status=QuoteStatus.APPROVED, approval_state=ApprovalState.NOT_REQUIRED,
            approved_fingerprint=content_fingerprint, approved_at=now, submitted_at=now,
        )
    approvals.open_request(quote, plan, fingerprint=content_fingerprint, submitted_by=actor, now=now)
    return _transition(actor, quote, now, "submitted for approval", status=QuoteStatus.PENDING, approval_state=ApprovalState.PENDING, submitted_at=now)


@transaction.atomic
def quote_withdraw(*, actor: User, quote: Quote, now: dt.datetime | None = None) -> Quote:
    """Take a pending quote back to draft (e.g. to change it before anyone decides)."""
    now = now or timezone.now()
    _require_writer(actor, quote.account)
    quote = _locked(quote)
    if quote.status != QuoteStatus.PENDING:
        raise QuoteStateError("Only a quote pending approval can be withdrawn.")
    for request in quote.approval_requests.filter(status=RequestStatus.PENDING):
        request.status = RequestStatus.WITHDRAWN
        request.closed_at = now
        request.save(update_fields=["status", "closed_at", "updated_at"])
        request.steps.filter(status__in=[StepStatus.WAITING, StepStatus.PENDING]).update(status=StepStatus.CLOSED)
    return _transition(actor, quote, now, "withdrawn from approval", status=QuoteStatus.DRAFT, approval_state=ApprovalState.NONE)


@transaction.atomic
def quote_decide(*, actor: User, quote: Quote, approve: bool, comment: str = "", now: dt.datetime | None = None) -> Quote:
    """Approve or reject the step awaiting a decision. Rejection needs a comment; one rejection ends the request."""
    now = now or timezone.now()
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationFailed("comment: say why you reject it.", field_errors={"comment": ["Say why you reject it."]})
    quote = _locked(quote)
    if quote.status != QuoteStatus.PENDING:
        raise QuoteStateError(f"This quote is {quote.get_status_display().lower()}: there is nothing to decide.")
    request = ApprovalRequest.objects.select_for_update().filter(quote=quote, status=RequestStatus.PENDING).first()
    if request is None:
        raise QuoteStateError("This quote has no pending approval request.")
    if request.fingerprint != current_fingerprint(quote):
        raise QuoteStateError("The quote changed after it was submitted: it must be submitted again.")
    outcome = approvals.decide(request, actor=actor, owner_id=quote.owner_id, approve=approve, comment=comment, now=now)
    if outcome == RequestStatus.APPROVED:
        return _transition(
            actor, quote, now, "approved", status=QuoteStatus.APPROVED, approval_state=ApprovalState.APPROVED,
            approved_fingerprint=request.fingerprint, approved_at=now,
        )
    if outcome == RequestStatus.REJECTED:
        return _transition(
            actor, quote, now, f"rejected: {comment}", status=QuoteStatus.REJECTED, approval_state=ApprovalState.REJECTED,
            rejected_at=now, rejected_by=RejectedBy.APPROVER, rejection_reason=comment,
        )
    return _transition(actor, quote, now, "step approved" + (f": {comment}" if comment else ""))


@transaction.atomic
def quote_send(*, actor: User, quote: Quote, email: bool = False, now: dt.datetime | None = None) -> Quote:
    """Mark an approved quote as sent; with `email`, mail the PDF to its contact and log it on the account timeline.

    Unapproved or changed content is refused whichever way it is sent.
    """
    now = now or timezone.now()
    _require_writer(actor, quote.account)
    quote = _locked(quote)
    if quote.status != QuoteStatus.APPROVED:
        if quote.status in (QuoteStatus.DRAFT, QuoteStatus.PENDING, QuoteStatus.REJECTED):
            raise QuoteStateError("This quote is not approved: it cannot be sent until it is.")
        raise QuoteStateError(f"A {quote.get_status_display().lower()} quote cannot be sent.")
    _require_approved_content(quote)
    _require_valid(quote, now)
    event = "sent to the customer"
    if email:
        contact = quote.contact
        if contact is None or not contact.email:
            raise ValidationFailed("contact: choose a contact with an email address to email the quote to.", field_errors={"contact": ["Choose a contact with an email address."]})
        documents.email_quote(actor=actor, quote=quote, contact=contact, now=now)
        event = f"emailed to {contact.email}"
    return _transition(actor, quote, now, event, status=QuoteStatus.SENT, sent_at=now)


@transaction.atomic
def quote_accept(*, actor: User, quote: Quote, note: str = "", now: dt.datetime | None = None) -> Quote:
    """Record that the customer accepted the quote as sent."""
    now = now or timezone.now()
    _require_writer(actor, quote.account)
    quote = _locked(quote)
    if quote.status != QuoteStatus.SENT:
        raise QuoteStateError("Only a sent quote can be accepted.")
    _require_approved_content(quote)
    _require_valid(quote, now)
    event = "accepted by the customer" + (f": {note.strip()}" if note.strip() else "")
    return _transition(actor, quote, now, event, status=QuoteStatus.ACCEPTED, accepted_at=now)


@transaction.atomic
def quote_decline(*, actor: User, quote: Quote, reason: str, now: dt.datetime | None = None) -> Quote:
    """Record that the customer declined the quote, and why."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("reason: say why the customer declined.", field_errors={"reason": ["Say why the customer declined."]})
    _require_writer(actor, quote.account)
    quote = _locked(quote)
    if quote.status != QuoteStatus.SENT:
        raise QuoteStateError("Only a sent quote can be declined by the customer.")
    return _transition(
        actor, quote, now, f"declined by the customer: {reason}", status=QuoteStatus.REJECTED,
        rejected_at=now, rejected_by=RejectedBy.CUSTOMER, rejection_reason=reason,
    )


def _order_line_discount(line_pct: Decimal, extra_pct: Decimal) -> Decimal:
    """The line discount and the quote-wide extra discount as one percentage (to 0.01 %), as an order line carries it."""
    combined = HUNDRED - (HUNDRED - line_pct) * (HUNDRED - extra_pct) / HUNDRED
    return combined.quantize(Decimal("0.01"))


@transaction.atomic
def quote_convert_to_order(
    *, actor: User, quote: Quote, requested_date: dt.date | None, promised_date: dt.date | None,
    customer_reference: str = "", ship_to: str = "", now: dt.datetime | None = None,
) -> Order:
    """Turn an accepted quote into an order with the approved lines, prices and payment terms.

    Only the content that was approved becomes an order: an accepted quote whose content no longer matches
    its approval is refused, and a quote becomes an order once.
    """
    # Imported here: the orders app builds on quotes, not the other way round.
    from steward.orders.services import order_create

    now = now or timezone.now()
    _require_writer(actor, quote.account)
    quote = _locked(quote)
    if quote.status != QuoteStatus.ACCEPTED:
        raise QuoteStateError("Only a quote the customer accepted can become an order.")
    if quote.order_id:
        raise QuoteStateError(f"This quote is already order {quote.order}.")
    _require_approved_content(quote)
    errors = {}
    if requested_date is None:
        errors["requested_date"] = ["Say when the customer wants it."]
    if promised_date is None:
        errors["promised_date"] = ["Say when we promise to deliver it."]
    if errors or requested_date is None or promised_date is None:
        raise ValidationFailed("requested_date, promised_date: both dates are needed for an order.", field_errors=errors)
    extra = quote.extra_discount_pct or Decimal(0)
    lines = [
        {
            "product": ln.product, "quantity": ln.quantity, "unit_price": ln.unit_price,
            "discount_percent": _order_line_discount(ln.discount_pct, extra), "description": ln.description,
        }
        for ln in quote.lines.select_related("product").order_by("position", "id")
    ]
    terms = f" Delivery terms: {quote.delivery_terms.strip()}" if quote.delivery_terms.strip() else ""
    order = order_create(
        actor=actor, account=quote.account, lines=lines, requested_date=requested_date, promised_date=promised_date,
        ordered_on=timezone.localdate(now), currency=quote.currency, customer_reference=customer_reference,
        ship_to=ship_to, contact=quote.contact, owner=quote.account.operations_manager or quote.owner,
        notes=f"From quote {quote.number} rev {quote.revision}.{terms}", payment_terms_days=quote.payment_terms_days,
    )
    _transition(actor, quote, now, f"turned into order {order.number}", order=order)
    return order


@transaction.atomic
def quotes_expire(*, now: dt.datetime) -> int:
    """Mark quotes whose validity date has passed as expired; safe to run any number of times."""
    today = timezone.localdate(now)
    ids = list(Quote.objects.filter(status__in=EXPIRABLE, valid_until__lt=today).values_list("pk", flat=True)[:5000])
    expired = 0
    for quote in Quote.objects.select_for_update().filter(pk__in=ids, status__in=EXPIRABLE):
        if quote.status == QuoteStatus.PENDING:
            for request in quote.approval_requests.filter(status=RequestStatus.PENDING):
                request.status = RequestStatus.WITHDRAWN
                request.closed_at = now
                request.save(update_fields=["status", "closed_at", "updated_at"])
                request.steps.filter(status__in=[StepStatus.WAITING, StepStatus.PENDING]).update(status=StepStatus.CLOSED)
        _transition(None, quote, now, f"expired (valid until {quote.valid_until:%Y-%m-%d})", status=QuoteStatus.EXPIRED, expired_at=now)  # type: ignore[arg-type]
        expired += 1
    return expired


def quotes_pending_for(user: User) -> Q:
    """Filter for quotes whose current step awaits `user` (directly or as a delegate)."""
    return approvals.awaiting_q(user, timezone.now())
