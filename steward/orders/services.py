"""Writes to orders: creation, changes the customer hears about, holds, cancellation, shipments.

Pages, the API and other apps (a quote turned into an order) call these functions, so a rule lives
once: a promised date or a line changes only with a reason, each such change is recorded as an
`OrderChange`, emailed to the order's contact and logged on the account timeline; nothing ships
beyond what is open; the derived fields (status, delivery date, OTIF, total) are settled by
`recompute` after every change to lines or shipments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, DecimalField, F, Max, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from steward.accounts.models import Account, Contact
from steward.accounts.selectors import accounts_visible_to, exchange_rates
from steward.catalogue.models import Product
from steward.core import audit
from steward.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from steward.core.services import check_version, full_clean_or_fail
from steward.orders import notifications, signals
from steward.orders.choices import ChangeKind, LineStatus, OrderStatus
from steward.orders.engine import otif
from steward.orders.models import Order, OrderChange, OrderLine, Shipment, ShipmentLine
from steward.users.models import User

MAX_LINES = 200
MAX_PAYMENT_TERMS_DAYS = 365
ZERO = Decimal(0)
LineData = Mapping[str, Any]
DERIVED = ["public_id", "status", "total_amount", "delivered_on", "is_on_time", "is_in_full"]


class OrderStateError(ApplicationError):
    """The action does not fit the order's status (e.g. shipping a cancelled order)."""

    status_code = 409


# Permissions ---------------------------------------------------------------------------------------


def can_write_order(user: User, order: Order) -> bool:
    """Anyone who can see the order's account may work on it, except read-only roles."""
    if user.is_read_only or not user.is_active:
        return False
    return accounts_visible_to(user).filter(pk=order.account_id).exists()


def _require_writer(actor: User, account: Account) -> None:
    if not accounts_visible_to(actor).filter(pk=account.pk).exists():
        raise NotFound("No such account.")
    if actor.is_read_only or not actor.is_active:
        raise PermissionDenied("Your role is read-only: you cannot change orders.")


def _locked(order: Order) -> Order:
    """Re-read the order under a row lock: concurrent actions on one order run one after the other."""
    return Order.objects.select_for_update(of=("self",)).select_related("account", "contact").get(pk=order.pk)


# Input checks --------------------------------------------------------------------------------------


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", field_errors={field: [message]})


def _decimal(value: Any, field: str) -> Decimal:
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise _fail(field, "enter a number.") from None
    if not result.is_finite():
        raise _fail(field, "enter a number.")
    return result


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise _fail("reason", "say why (the customer is told).")
    if len(text) > 1000:
        raise _fail("reason", "at most 1,000 characters.")
    return text


def _price_in(product: Product, currency: str) -> Decimal | None:
    """The product's list price in `currency` through the reporting currency; None without a rate."""
    from django.conf import settings

    price = Decimal(product.list_price)
    if product.currency == currency:
        return price
    rates = exchange_rates()
    reporting = settings.REPORTING_CURRENCY
    to_reporting = Decimal(1) if product.currency == reporting else rates.get(product.currency)
    from_reporting = Decimal(1) if currency == reporting else rates.get(currency)
    if to_reporting is None or from_reporting is None:
        return None
    return (price * to_reporting / from_reporting).quantize(otif.CENT)


def _line_from(
    data: LineData, *, row: int, currency: str, kept_products: frozenset[int] = frozenset()
) -> OrderLine:
    """An unsaved line from `{product, quantity, unit_price, discount_percent, description}`, checked."""
    where = f"Line {row}"
    product = data.get("product")
    if not isinstance(product, Product):
        raise ValidationFailed(
            f"{where}: choose a product.", field_errors={"lines": [f"{where}: choose a product."]}
        )
    if not product.is_active and product.pk not in kept_products:
        raise ValidationFailed(
            f"{where}: {product.sku} is inactive.",
            field_errors={"lines": [f"{where}: {product.sku} is inactive and cannot be ordered."]},
        )
    try:
        quantity = _decimal(data.get("quantity"), "quantity")
        raw_price = data.get("unit_price")
        unit_price = None if raw_price in (None, "") else _decimal(raw_price, "unit price")
        discount = _decimal(data.get("discount_percent") or 0, "discount")
    except ValidationFailed as exc:
        raise ValidationFailed(
            f"{where}, {exc.message}", field_errors={"lines": [f"{where}, {exc.message}"]}
        ) from None
    problems = []
    if quantity <= 0:
        problems.append("quantity must be more than zero")
    if unit_price is None:
        unit_price = _price_in(product, currency)
        if unit_price is None:
            problems.append(
                f"{product.sku} is priced in {product.currency}; give a unit price in {currency}"
            )
    if unit_price is not None and unit_price < 0:
        problems.append("unit price cannot be negative")
    if not ZERO <= discount <= otif.HUNDRED:
        problems.append("discount must be between 0 and 100 %")
    if problems:
        message = f"{where}: {problems[0]}."
        raise ValidationFailed(message, field_errors={"lines": [message]})
    assert unit_price is not None
    quantity, unit_price, discount = (
        quantity.quantize(otif.CENT),
        unit_price.quantize(otif.CENT),
        discount.quantize(otif.CENT),
    )
    return OrderLine(
        product=product,
        description=str(data.get("description") or "")[:300].strip(),
        quantity=quantity,
        unit_price=unit_price,
        discount_percent=discount,
        amount=otif.line_amount(quantity, unit_price, discount),
    )


def _check_dates(
    ordered_on: dt.date, requested_date: dt.date | None, promised_date: dt.date | None
) -> None:
    errors: dict[str, list[str]] = {}
    if requested_date is None:
        errors["requested_date"] = ["Say when the customer wants it."]
    elif requested_date < ordered_on:
        errors["requested_date"] = ["The requested date cannot be before the order date."]
    if promised_date is None:
        errors["promised_date"] = ["Say when we promise to deliver it."]
    elif promised_date < ordered_on:
        errors["promised_date"] = ["The promised date cannot be before the order date."]
    if errors:
        field, messages = next(iter(errors.items()))
        raise ValidationFailed(f"{field}: {messages[0]}", field_errors=errors)


def _check_references(order: Order) -> None:
    if (
        order.contact_id
        and not Contact.objects.filter(pk=order.contact_id, account_id=order.account_id).exists()
    ):
        raise _fail("contact", "choose a contact of this account.")
    if order.owner_id and not User.objects.filter(pk=order.owner_id, is_active=True).exists():
        raise _fail("owner", "choose an active colleague.")
    terms = order.payment_terms_days
    if terms is not None and not 0 <= terms <= MAX_PAYMENT_TERMS_DAYS:
        raise _fail(
            "payment_terms_days",
            f"between 0 and {MAX_PAYMENT_TERMS_DAYS} days, or empty for the standard terms.",
        )


def _snapshot(order: Order) -> dict[str, Any]:
    data = audit.snapshot(order, exclude=("created_at", "updated_at", "version"))
    data["lines"] = [
        {
            "position": ln.position,
            "product": ln.product_id,
            "quantity": str(ln.quantity),
            "unit_price": str(ln.unit_price),
            "discount_percent": str(ln.discount_percent),
            "status": ln.status,
        }
        for ln in order.lines.all()
    ]
    return data


# Numbering -----------------------------------------------------------------------------------------

NUMBER_PREFIX = "SO"


def number_prefix(year: int) -> str:
    """Order numbers read SO-2025-000123: the year booked, then a counter within it."""
    return f"{NUMBER_PREFIX}-{year}-"


def _next_number(ordered_on: dt.date) -> str:
    prefix = number_prefix(ordered_on.year)
    last = (
        Order.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    n = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{n:06d}"


# Derived fields ------------------------------------------------------------------------------------


def recompute(order: Order) -> Order:
    """Settle lines' shipped/delivered quantities, statuses and amounts, and the order's status,
    delivery date, OTIF flags and total, from its lines and shipments. Saves what changed."""
    dec = DecimalField(max_digits=14, decimal_places=2)
    sums = {
        row["order_line_id"]: (row["shipped"], row["delivered"])
        for row in ShipmentLine.objects.filter(shipment__order_id=order.pk)
        .values("order_line_id")
        .annotate(
            shipped=Coalesce(Sum("quantity"), Value(ZERO), output_field=dec),
            delivered=Coalesce(
                Sum(
                    Case(
                        When(shipment__delivered_on__isnull=False, then=F("quantity")),
                        default=Value(ZERO),
                        output_field=dec,
                    )
                ),
                Value(ZERO),
                output_field=dec,
            ),
        )
    }
    lines = list(order.lines.all())
    facts = []
    changed_lines = []
    for line in lines:
        shipped, delivered = sums.get(line.pk, (ZERO, ZERO))
        fact = otif.LineFacts(
            quantity=line.quantity,
            shipped=Decimal(shipped),
            delivered=Decimal(delivered),
            cancelled=line.status == LineStatus.CANCELLED,
            backordered=line.status == LineStatus.BACKORDERED,
        )
        facts.append(fact)
        status = otif.line_status(fact)
        billable = fact.shipped if fact.cancelled else line.quantity
        amount = otif.line_amount(billable, line.unit_price, line.discount_percent)
        new = (fact.shipped, fact.delivered, status, amount)
        if new != (line.shipped_quantity, line.delivered_quantity, line.status, line.amount):
            line.shipped_quantity, line.delivered_quantity, line.status, line.amount = new
            if status != LineStatus.BACKORDERED:
                line.backorder_reason, line.backorder_expected_on = "", None
            changed_lines.append(line)
    if changed_lines:
        OrderLine.objects.bulk_update(
            changed_lines,
            [
                "shipped_quantity",
                "delivered_quantity",
                "status",
                "amount",
                "backorder_reason",
                "backorder_expected_on",
                "updated_at",
            ],
        )
    delivery_dates = list(
        Shipment.objects.filter(order_id=order.pk, delivered_on__isnull=False, lines__isnull=False)
        .values_list("delivered_on", flat=True)
        .distinct()
    )
    outcome = otif.order_outcome(
        current_status=order.status,
        promised_date=order.promised_date,
        lines=facts,
        delivery_dates=[d for d in delivery_dates if d is not None],
    )
    delivery_before = _delivery_outcome(order)
    order.status = outcome.status
    order.delivered_on = outcome.delivered_on
    order.is_on_time = outcome.is_on_time
    order.is_in_full = outcome.is_in_full
    order.total_amount = sum((line.amount for line in lines), ZERO)
    if order.status != OrderStatus.ON_HOLD:
        order.hold_reason = ""
    order.save(
        update_fields=[
            "status",
            "delivered_on",
            "is_on_time",
            "is_in_full",
            "total_amount",
            "hold_reason",
            "updated_at",
        ]
    )
    if _delivery_outcome(order) != delivery_before:
        signals.delivery_changed.send(sender=Order, account_id=order.account_id)
    return order


def _delivery_outcome(order: Order) -> tuple[Any, ...] | None:
    """What delivery figures count of an order: None until it is delivered."""
    if order.status != OrderStatus.DELIVERED or order.delivered_on is None:
        return None
    return (order.delivered_on, order.is_on_time, order.is_in_full)


# Creation ------------------------------------------------------------------------------------------


@transaction.atomic
def order_create(
    *,
    actor: User,
    account: Account,
    lines: Sequence[LineData],
    requested_date: dt.date | None,
    promised_date: dt.date | None,
    ordered_on: dt.date | None = None,
    currency: str | None = None,
    customer_reference: str = "",
    ship_to: str = "",
    contact: Contact | None = None,
    owner: User | None = None,
    notes: str = "",
    payment_terms_days: int | None = None,
) -> Order:
    """Book an order for an account (entered directly, or from an accepted quote) with its lines.

    `lines` are dicts `{product, quantity, unit_price, discount_percent, description}`; a missing unit
    price takes the product's list price. The owner defaults to the account's operations manager.
    """
    _require_writer(actor, account)
    ordered_on = ordered_on or timezone.localdate()
    _check_dates(ordered_on, requested_date, promised_date)
    assert requested_date is not None and promised_date is not None
    if not lines:
        raise _fail("lines", "add at least one line.")
    if len(lines) > MAX_LINES:
        raise _fail("lines", f"an order has at most {MAX_LINES} lines.")
    order = Order(
        account=account,
        currency=(currency or account.currency or "EUR").strip().upper(),
        ordered_on=ordered_on,
        requested_date=requested_date,
        promised_date=promised_date,
        customer_reference=(customer_reference or "").strip(),
        ship_to=(ship_to or "").strip(),
        contact=contact,
        notes=(notes or "").strip(),
        owner=owner or account.operations_manager or actor,
        payment_terms_days=payment_terms_days,
        created_by=actor,
        number="pending",
    )
    full_clean_or_fail(order, exclude=[*DERIVED, "number"])
    _check_references(order)
    built = [
        _line_from(data, row=row, currency=order.currency)
        for row, data in enumerate(lines, start=1)
    ]
    for attempt in range(5):
        order.number = _next_number(ordered_on)
        try:
            with transaction.atomic():
                order.save()
            break
        except IntegrityError:
            order.pk = None
            if attempt == 4:
                raise
    for position, line in enumerate(built, start=1):
        line.order = order
        line.position = position
    OrderLine.objects.bulk_create(built)
    recompute(order)
    audit.record(
        actor=actor,
        action="create",
        instance=order,
        before=None,
        after=_snapshot(order),
        account_id=account.pk,
    )
    return order


# Changes the customer hears about ------------------------------------------------------------------


def _record_changes(
    *,
    actor: User,
    order: Order,
    changes: Sequence[OrderChange],
    now: dt.datetime,
    notify: bool = True,
) -> list[OrderChange]:
    """Store the changes; email the order's contact about them and log that on the account timeline."""
    for change in changes:
        change.order = order
        change.actor = actor
        change.occurred_at = now
    if notify:
        notifications.notify_changes(actor=actor, order=order, changes=changes, now=now)
    OrderChange.objects.bulk_create(changes)
    return list(changes)


def _bump(order: Order) -> None:
    order.version += 1
    order.save(update_fields=["version", "updated_at"])


def _require_open(order: Order, action: str) -> None:
    if order.status in (OrderStatus.CANCELLED, OrderStatus.DELIVERED):
        raise OrderStateError(f"A {order.get_status_display().lower()} order cannot be {action}.")


HEADER_FIELDS = frozenset(
    {
        "requested_date",
        "promised_date",
        "customer_reference",
        "ship_to",
        "contact",
        "owner",
        "notes",
        "payment_terms_days",
    }
)


@transaction.atomic
def order_update(
    *,
    actor: User,
    order: Order,
    data: Mapping[str, Any],
    reason: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Order:
    """Change an order's header. A new promised or requested date needs a reason; the customer is told."""
    now = now or timezone.now()
    _require_writer(actor, order.account)
    order = _locked(order)
    check_version(order, expected_version)
    unknown = sorted(set(data) - HEADER_FIELDS)
    if unknown:
        raise _fail(unknown[0], "this field cannot be set.")
    before = _snapshot(order)
    changes: list[OrderChange] = []
    for name in ("promised_date", "requested_date"):
        if name in data and data[name] != getattr(order, name):
            if data[name] is None:
                raise _fail(name, "a date is needed.")
            if order.status in (OrderStatus.CANCELLED, OrderStatus.DELIVERED):
                raise OrderStateError(
                    f"A {order.get_status_display().lower()} order keeps its dates."
                )
            if data[name] < order.ordered_on:
                raise _fail(name, "cannot be before the order date.")
            kind = (
                ChangeKind.PROMISED_DATE if name == "promised_date" else ChangeKind.REQUESTED_DATE
            )
            changes.append(
                OrderChange(
                    kind=kind,
                    old_value=getattr(order, name).isoformat(),
                    new_value=data[name].isoformat(),
                )
            )
            setattr(order, name, data[name])
    if changes:
        text = _reason(reason)
        for change in changes:
            change.reason = text
    for name in ("customer_reference", "ship_to", "notes"):
        if name in data:
            setattr(order, name, str(data[name] or "").strip())
    if "contact" in data:
        order.contact = data["contact"]
    if "owner" in data:
        order.owner = data["owner"]
    if "payment_terms_days" in data:
        order.payment_terms_days = data["payment_terms_days"]
    full_clean_or_fail(order, exclude=DERIVED)
    _check_references(order)
    order.version += 1
    order.save()
    if changes:
        recompute(order)
        _record_changes(actor=actor, order=order, changes=changes, now=now)
    audit.record(
        actor=actor,
        action="update",
        instance=order,
        before=before,
        after=_snapshot(order),
        account_id=order.account_id,
        now=now,
    )
    return order


def _line_of(order: Order, line: OrderLine) -> OrderLine:
    if line.order_id != order.pk:
        raise NotFound("No such line on this order.")
    return OrderLine.objects.select_for_update(of=("self",)).select_related("product").get(pk=line.pk)


@transaction.atomic
def order_line_add(
    *,
    actor: User,
    order: Order,
    data: LineData,
    reason: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> OrderLine:
    """Add a line to an open order, with a reason the customer is told."""
    now = now or timezone.now()
    _require_writer(actor, order.account)
    order = _locked(order)
    check_version(order, expected_version)
    _require_open(order, "changed")
    if order.status == OrderStatus.SHIPPED:
        raise OrderStateError("Everything on this order has shipped: book a new order instead.")
    text = _reason(reason)
    if order.lines.count() >= MAX_LINES:
        raise _fail("lines", f"an order has at most {MAX_LINES} lines.")
    line = _line_from(data, row=order.lines.count() + 1, currency=order.currency)
    line.order = order
    line.position = (order.lines.aggregate(m=Max("position"))["m"] or 0) + 1
    line.save()
    recompute(order)
    _bump(order)
    change = OrderChange(
        line=line, kind=ChangeKind.LINE_ADDED, new_value=_describe(line), reason=text
    )
    _record_changes(actor=actor, order=order, changes=[change], now=now)
    audit.record(
        actor=actor,
        action="update",
        instance=order,
        before=None,
        after={"line_added": _describe(line), "reason": text},
        account_id=order.account_id,
        now=now,
    )
    return line


def _describe(line: OrderLine) -> str:
    return f"{line.quantity.normalize():f} x {line.product.sku} at {line.unit_price} less {line.discount_percent.normalize():f} %"


@transaction.atomic
def order_line_change(
    *,
    actor: User,
    order: Order,
    line: OrderLine,
    data: LineData,
    reason: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> OrderLine:
    """Change a line's quantity, price, discount or description, with a reason the customer is told.

    The quantity cannot go below what has already shipped.
    """
    now = now or timezone.now()
    _require_writer(actor, order.account)
    order = _locked(order)
    check_version(order, expected_version)
    _require_open(order, "changed")
    line = _line_of(order, line)
    if line.status in (LineStatus.CANCELLED, LineStatus.DELIVERED):
        raise OrderStateError(f"A {line.get_status_display().lower()} line cannot be changed.")
    text = _reason(reason)
    merged = {
        "product": line.product,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "discount_percent": line.discount_percent,
        "description": line.description,
        **{k: v for k, v in data.items() if k != "product"},
    }
    fresh = _line_from(
        merged,
        row=line.position,
        currency=order.currency,
        kept_products=frozenset({line.product_id}),
    )
    if fresh.quantity < line.shipped_quantity:
        raise _fail(
            "quantity",
            f"{line.shipped_quantity.normalize():f} already shipped: the quantity cannot be lower.",
        )
    old = _describe(line)
    line.quantity, line.unit_price, line.discount_percent, line.description = (
        fresh.quantity,
        fresh.unit_price,
        fresh.discount_percent,
        fresh.description,
    )
    new = _describe(line)
    if new == old and line.description == merged["description"] and not data:
        return line
    line.save()
    recompute(order)
    _bump(order)
    change = OrderChange(
        line=line, kind=ChangeKind.LINE_CHANGED, old_value=old, new_value=new, reason=text
    )
    _record_changes(actor=actor, order=order, changes=[change], now=now)
    audit.record(
        actor=actor,
        action="update",
        instance=order,
        before={"line": old},
        after={"line": new, "reason": text},
        account_id=order.account_id,
        now=now,
    )
    return line


@transaction.atomic
def order_line_cancel(
    *,
    actor: User,
    order: Order,
    line: OrderLine,
    reason: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> OrderLine:
    """Cancel what is still open on a line (a line that shipped in part is closed short), with a reason."""
    now = now or timezone.now()
    _require_writer(actor, order.account)
    order = _locked(order)
    check_version(order, expected_version)
    _require_open(order, "changed")
    line = _line_of(order, line)
    if line.status in (LineStatus.CANCELLED, LineStatus.DELIVERED, LineStatus.SHIPPED):
        raise OrderStateError(f"A {line.get_status_display().lower()} line cannot be cancelled.")
    text = _reason(reason)
    old = _describe(line)
    line.status = LineStatus.CANCELLED
    line.save(update_fields=["status", "updated_at"])
    recompute(order)
    _bump(order)
    closed = "closed short" if line.shipped_quantity > 0 else "cancelled"
    change = OrderChange(
        line=line, kind=ChangeKind.LINE_CANCELLED, old_value=old, new_value=closed, reason=text
    )
    _record_changes(actor=actor, order=order, changes=[change], now=now)
    audit.record(
        actor=actor,
        action="update",
        instance=order,
        before={"line": old},
        after={"line": closed, "reason": text},
        account_id=order.account_id,
        now=now,
    )
    return line


@transaction.atomic
def order_line_backorder(
    *,
    actor: User,
    order: Order,
    line: OrderLine,
    reason: str,
    expected_on: dt.date | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> OrderLine:
    """Mark a line backordered (out of stock) with a reason and, when known, when stock is expected."""
    now = now or timezone.now()
    _require_writer(actor, order.account)
    order = _locked(order)
    check_version(order, expected_version)
    _require_open(order, "changed")
    line = _line_of(order, line)
    if line.status not in (LineStatus.OPEN, LineStatus.PARTIALLY_SHIPPED):
        raise OrderStateError(f"A {line.get_status_display().lower()} line cannot be backordered.")
    text = _reason(reason)
    line.status = LineStatus.BACKORDERED
    line.backorder_reason = text[:300]
    line.backorder_expected_on = expected_on
    line.save(update_fields=["status", "backorder_reason", "backorder_expected_on", "updated_at"])
    recompute(order)
    _bump(order)
    new = f"backordered, expected {expected_on:%d %b %Y}" if expected_on else "backordered"
    change = OrderChange(
        line=line,
        kind=ChangeKind.BACKORDERED,
        old_value=_describe(line),
        new_value=new,
        reason=text,
    )
    _record_changes(actor=actor, order=order, changes=[change], now=now)
    audit.record(
        actor=actor,
        action="update",
        instance=order,
        before=None,
        after={"line": line.position, "backordered": text},
        account_id=order.account_id,
        now=now,
    )
    return line


@transaction.atomic
def order_line_release_backorder(
    *,
    actor: User,
    order: Order,
    line: OrderLine,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> OrderLine:
    """Stock arrived: the backordered line is open to ship again."""
    now = now or timezone.now()
    _require_writer(actor, order.account)
    order = _locked(order)
    check_version(order, expected_version)
    line = _line_of(order, line)
    if line.status != LineStatus.BACKORDERED:
        raise OrderStateError("This line is not backordered.")
    line.status = LineStatus.OPEN
    line.save(update_fields=["status", "updated_at"])
    recompute(order)
    _bump(order)
    change = OrderChange(
        line=line,
        kind=ChangeKind.BACKORDER_RELEASED,
        old_value="backordered",
        new_value="in stock",
        reason="Stock is available.",
    )
    _record_changes(actor=actor, order=order, changes=[change], now=now)
    audit.record(
        actor=actor,
        action="update",
        instance=order,
        before=None,
        after={"line": line.position, "backorder": "released"},
        account_id=order.account_id,
        now=now,
    )
    return line


@transaction.atomic
def order_hold(
    *,
    actor: User,
    order: Order,
    reason: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Order:
    """Stop fulfilment of an open order, with a reason the customer is told."""
    now = now or timezone.now()
    _require_writer(actor, order.account)
    order = _locked(order)
    check_version(order, expected_version)
    _require_open(order, "put on hold")
    if order.status == OrderStatus.ON_HOLD:
        raise OrderStateError("This order is already on hold.")
    text = _reason(reason)
    old = order.get_status_display()
    order.status = OrderStatus.ON_HOLD
    order.hold_reason = text[:300]
    order.version += 1
    order.save(update_fields=["status", "hold_reason", "version", "updated_at"])
    _record_changes(
        actor=actor,
        order=order,
        changes=[
            OrderChange(kind=ChangeKind.HOLD, old_value=old, new_value="On hold", reason=text)
        ],
        now=now,
    )
    audit.record(
        actor=actor,
        action="update",
        instance=order,
        before={"status": old},
        after={"status": order.status, "reason": text},
        account_id=order.account_id,
        now=now,
    )
    return order


@transaction.atomic
def order_release(
    *,
    actor: User,
    order: Order,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Order:
    """Lift a hold: the order takes the status its lines and shipments give it."""
    now = now or timezone.now()
    _require_writer(actor, order.account)
    order = _locked(order)
    check_version(order, expected_version)
    if order.status != OrderStatus.ON_HOLD:
        raise OrderStateError("This order is not on hold.")
    reason = order.hold_reason
    order.status = OrderStatus.BOOKED
    order.version += 1
    order.save(update_fields=["status", "version", "updated_at"])
    recompute(order)
    change = OrderChange(
        kind=ChangeKind.RELEASE,
        old_value="On hold",
        new_value=order.get_status_display(),
        reason=f"Hold lifted ({reason})." if reason else "Hold lifted.",
    )
    _record_changes(actor=actor, order=order, changes=[change], now=now)
    audit.record(
        actor=actor,
        action="update",
        instance=order,
        before={"status": OrderStatus.ON_HOLD},
        after={"status": order.status},
        account_id=order.account_id,
        now=now,
    )
    return order


@transaction.atomic
def order_start_fulfilment(
    *, actor: User, order: Order, expected_version: int | None = None
) -> Order:
    """Mark a booked order as being picked and packed."""
    _require_writer(actor, order.account)
    order = _locked(order)
    check_version(order, expected_version)
    if order.status != OrderStatus.BOOKED:
        raise OrderStateError(
            f"A {order.get_status_display().lower()} order cannot start fulfilment."
        )
    order.status = OrderStatus.IN_FULFILMENT
    order.version += 1
    order.save(update_fields=["status", "version", "updated_at"])
    audit.record(
        actor=actor,
        action="update",
        instance=order,
        before={"status": OrderStatus.BOOKED},
        after={"status": order.status},
        account_id=order.account_id,
    )
    return order


@transaction.atomic
def order_cancel(
    *,
    actor: User,
    order: Order,
    reason: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Order:
    """Cancel an order that has not shipped anything, with a reason the customer is told."""
    now = now or timezone.now()
    _require_writer(actor, order.account)
    order = _locked(order)
    check_version(order, expected_version)
    _require_open(order, "cancelled")
    if order.lines.filter(shipped_quantity__gt=0).exists():
        raise OrderStateError("Part of this order has shipped: cancel the open lines instead.")
    text = _reason(reason)
    old = order.get_status_display()
    order.status = OrderStatus.CANCELLED
    order.lines.exclude(status=LineStatus.CANCELLED).update(
        status=LineStatus.CANCELLED, updated_at=now
    )
    order.version += 1
    order.save(update_fields=["status", "version", "updated_at"])
    recompute(order)
    _record_changes(
        actor=actor,
        order=order,
        changes=[
            OrderChange(
                kind=ChangeKind.CANCELLED, old_value=old, new_value="Cancelled", reason=text
            )
        ],
        now=now,
    )
    audit.record(
        actor=actor,
        action="update",
        instance=order,
        before={"status": old},
        after={"status": order.status, "reason": text},
        account_id=order.account_id,
        now=now,
    )
    return order


# Shipments -----------------------------------------------------------------------------------------


@transaction.atomic
def shipment_record(
    *,
    actor: User,
    order: Order,
    quantities: Mapping[OrderLine, Any],
    shipped_on: dt.date,
    delivered_on: dt.date | None = None,
    carrier: str = "",
    tracking_number: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Shipment:
    """Record what left together (a part of the order or all of it); never more than a line has open."""
    now = now or timezone.now()
    _require_writer(actor, order.account)
    order = _locked(order)
    check_version(order, expected_version)
    if order.status in (OrderStatus.CANCELLED, OrderStatus.DELIVERED, OrderStatus.ON_HOLD):
        raise OrderStateError(f"A {order.get_status_display().lower()} order cannot ship.")
    if shipped_on is None:
        raise _fail("shipped_on", "say when it shipped.")
    if shipped_on < order.ordered_on:
        raise _fail("shipped_on", "cannot be before the order date.")
    if shipped_on > timezone.localdate(now):
        raise _fail(
            "shipped_on",
            "a shipment is recorded once it has left: the date cannot be in the future.",
        )
    if delivered_on is not None and delivered_on < shipped_on:
        raise _fail("delivered_on", "cannot be before the ship date.")
    if delivered_on is not None and delivered_on > timezone.localdate(now):
        raise _fail("delivered_on", "cannot be in the future.")
    lines = {
        ln.pk: ln
        for ln in OrderLine.objects.select_for_update(of=("self",))
        .filter(order=order)
        .select_related("product")
    }
    carried: list[tuple[OrderLine, Decimal]] = []
    for given, raw in quantities.items():
        line = lines.get(int(getattr(given, "pk", 0) or 0))
        if line is None:
            raise NotFound("No such line on this order.")
        if raw in (None, ""):
            continue
        quantity = _decimal(raw, f"line {line.position} quantity")
        if quantity == 0:
            continue
        if quantity < 0:
            raise ValidationFailed(
                f"Line {line.position}: the quantity cannot be negative.",
                field_errors={"lines": [f"Line {line.position}: the quantity cannot be negative."]},
            )
        if quantity > line.open_quantity:
            message = f"Line {line.position} ({line.product.sku}): {line.open_quantity.normalize():f} open, you cannot ship {quantity.normalize():f}."
            raise ValidationFailed(message, field_errors={"lines": [message]})
        carried.append((line, quantity.quantize(otif.CENT)))
    if not carried:
        raise _fail("lines", "enter the quantity shipped for at least one line.")
    shipment = Shipment.objects.create(
        order=order,
        shipped_on=shipped_on,
        delivered_on=delivered_on,
        carrier=(carrier or "").strip()[:80],
        tracking_number=(tracking_number or "").strip()[:80],
        created_by=actor,
    )
    ShipmentLine.objects.bulk_create(
        [ShipmentLine(shipment=shipment, order_line=line, quantity=q) for line, q in carried]
    )
    recompute(order)
    _bump(order)
    summary = ", ".join(f"{q.normalize():f} x {line.product.sku}" for line, q in carried)
    kinds = [
        OrderChange(
            kind=ChangeKind.SHIPPED,
            new_value=f"{summary} shipped {shipped_on:%d %b %Y}"[:300],
            reason=_tracking(shipment),
        )
    ]
    if delivered_on is not None:
        kinds.append(
            OrderChange(kind=ChangeKind.DELIVERED, new_value=f"delivered {delivered_on:%d %b %Y}")
        )
    _record_changes(actor=actor, order=order, changes=kinds, now=now)
    audit.record(
        actor=actor,
        action="create",
        instance=shipment,
        before=None,
        after={
            "order": order.number,
            "lines": summary,
            "shipped_on": shipped_on,
            "delivered_on": delivered_on,
        },
        account_id=order.account_id,
        now=now,
    )
    return shipment


def _tracking(shipment: Shipment) -> str:
    parts = [p for p in (shipment.carrier, shipment.tracking_number) if p]
    return f"Carrier: {' '.join(parts)}" if parts else ""


@transaction.atomic
def shipment_record_delivery(
    *,
    actor: User,
    shipment: Shipment,
    delivered_on: dt.date,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Shipment:
    """Record when a shipment reached the customer (or correct that date)."""
    now = now or timezone.now()
    order = shipment.order
    _require_writer(actor, order.account)
    order = _locked(order)
    check_version(order, expected_version)
    if order.status == OrderStatus.CANCELLED:
        raise OrderStateError("A cancelled order's shipments cannot change.")
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk, order=order)
    if delivered_on is None:
        raise _fail("delivered_on", "say when it was delivered.")
    if delivered_on < shipment.shipped_on:
        raise _fail("delivered_on", "cannot be before the ship date.")
    if delivered_on > timezone.localdate(now):
        raise _fail("delivered_on", "cannot be in the future.")
    old = shipment.delivered_on
    if old == delivered_on:
        return shipment
    shipment.delivered_on = delivered_on
    shipment.save(update_fields=["delivered_on", "updated_at"])
    recompute(order)
    _bump(order)
    change = OrderChange(
        kind=ChangeKind.DELIVERED,
        old_value=old.isoformat() if old else "",
        reason="",
        new_value=f"shipment of {shipment.shipped_on:%d %b %Y} delivered {delivered_on:%d %b %Y}",
    )
    _record_changes(actor=actor, order=order, changes=[change], now=now)
    audit.record(
        actor=actor,
        action="update",
        instance=shipment,
        before={"delivered_on": old},
        after={"delivered_on": delivered_on},
        account_id=order.account_id,
        now=now,
    )
    return shipment


def open_lines_q() -> Q:
    """Lines with something still to ship."""
    return ~Q(status__in=[LineStatus.CANCELLED, LineStatus.SHIPPED, LineStatus.DELIVERED])
