"""Demo invoices and payments: the demo orders' delivered quantities invoiced, three years of payment history.

Runs after the orders loader. Each account gets a payment habit (prompt, slow or bad payer), so the
receivables page has late payers, overdue buckets of every age and accounts that always pay on time.
Amounts, totals, due dates, days-to-pay and statuses are computed with the same engine the services
use. Orders and their lines are read in chunks with two queries per chunk; rows go in with bulk inserts.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction

from steward.billing.choices import InvoiceStatus, PaymentMethod
from steward.billing.engine import ageing, invoicing
from steward.billing.models import Invoice, InvoiceLine, InvoiceSequence, Payment
from steward.core import audit
from steward.core.bulk import insert_rows
from steward.orders.models import Order, OrderLine

CHUNK = 5000  # orders per transaction
ZERO = Decimal(0)
# (habit, share, days paid after the due date: low, high, chance of never paying)
HABITS = [("prompt", 0.68, -8, 6, 0.0), ("slow", 0.22, 0, 35, 0.01), ("bad", 0.10, 15, 120, 0.12)]
METHODS = [PaymentMethod.BANK_TRANSFER] * 6 + [PaymentMethod.DIRECT_DEBIT] * 2 + [PaymentMethod.CARD, PaymentMethod.CHEQUE]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def has_data() -> bool:
    """Whether invoices are already loaded."""
    return Invoice.objects.exists()


def seed_demo(ctx: Any) -> None:
    """Invoice the delivered lines of every demo order, with payments (some late, some never), in chunks."""
    rng, now = ctx.rng, ctx.now
    today = now.date()
    serial: dict[int, int] = {}
    habits: dict[int, tuple] = {}
    orders = Order.objects.exclude(status="cancelled").order_by("pk")
    last = 0
    while True:
        chunk = list(
            orders.filter(pk__gt=last).values_list(
                "pk", "account_id", "currency", "ordered_on", "delivered_on", "payment_terms_days", "contact_id", "customer_reference", "owner_id"
            )[:CHUNK]
        )
        if not chunk:
            break
        last = chunk[-1][0]
        with transaction.atomic():
            _load(rng, now, today, chunk, habits, serial, ctx.report)
    with transaction.atomic():
        for year, n in serial.items():
            InvoiceSequence.objects.update_or_create(year=year, defaults={"last": n})


def _habit(rng: random.Random, habits: dict[int, tuple], account_id: int) -> tuple:
    if account_id not in habits:
        x = rng.random()
        for habit in HABITS:
            x -= habit[1]
            if x < 0:
                break
        habits[account_id] = habit
    return habits[account_id]


def _load(rng, now, today, chunk, habits, serial, report) -> None:
    order_ids = [row[0] for row in chunk]
    lines_by_order: dict[int, list[tuple]] = defaultdict(list)
    for row in (
        OrderLine.objects.filter(order_id__in=order_ids, delivered_quantity__gt=0)
        .exclude(status="cancelled")
        .order_by("order_id", "position")
        .values_list("order_id", "pk", "product__sku", "product__name", "quantity", "delivered_quantity", "unit_price", "discount_percent", "amount")
    ):
        lines_by_order[row[0]].append(row)
    planned = []
    for order_id, account_id, currency, ordered_on, delivered_on, terms, contact_id, reference, owner_id in chunk:
        lines = lines_by_order.get(order_id)
        if not lines:
            continue
        issued_on = (delivered_on or ordered_on + dt.timedelta(days=10)) + dt.timedelta(days=rng.randint(0, 3))
        if issued_on > today:
            continue
        terms = 30 if terms is None else int(terms)
        invoice_lines = []
        for position, (_, line_id, sku, name, quantity, delivered, price, discount, amount) in enumerate(lines, start=1):
            facts = invoicing.OrderLineFacts(quantity, delivered, price, discount, amount, ZERO, ZERO)
            qty = invoicing.invoiceable_quantity(facts, delivered_only=True)
            if qty <= 0:
                continue
            billed = invoicing.slice_amount(facts, qty)
            invoice_lines.append((position, line_id, f"{sku} {name}"[:300], qty, invoicing.money(billed / qty), billed))
        if not invoice_lines:
            continue
        totals = invoicing.invoice_totals([ln[5] for ln in invoice_lines], ZERO)
        year = issued_on.year
        serial[year] = serial.get(year, 0) + 1
        due_on = ageing.due_date(issued_on, terms)
        inv = Invoice(
            public_id=_uuid(rng), number=f"INV-{year}-{serial[year]:06d}", account_id=account_id, order_id=order_id, contact_id=contact_id,
            currency=currency, issued_on=issued_on, payment_terms_days=terms, due_on=due_on, subtotal=totals.subtotal, tax_amount=ZERO,
            total=totals.total, customer_reference=(reference or "")[:80], created_by_id=owner_id, status=InvoiceStatus.ISSUED,
            issued_at=dt.datetime.combine(issued_on, dt.time(9), tzinfo=dt.UTC), version=2,
        )
        payments = _payments(rng, inv, _habit(rng, habits, account_id), today)
        _settle(inv, payments, today, rng)
        planned.append((inv, invoice_lines, payments))
    Invoice.objects.bulk_create([p[0] for p in planned], batch_size=2000)
    line_rows, payment_rows, changes = [], [], []
    stamp = now
    for inv, invoice_lines, payments in planned:
        line_rows += [(inv.pk, position, line_id, desc, qty, price, amount) for position, line_id, desc, qty, price, amount in invoice_lines]
        payment_rows += [(_uuid(rng), stamp, stamp, inv.pk, received, amount, method, ref, inv.created_by_id, "") for received, amount, method, ref in payments]
        changes.append(audit.Change("create", "billing.invoice", str(inv.public_id), inv.number, inv.account_id, None,
                                    {"status": inv.status, "total": str(inv.total), "currency": inv.currency, "payments": len(payments)}))
    insert_rows(InvoiceLine, ["invoice", "position", "order_line", "description", "quantity", "unit_price", "amount"], line_rows)
    insert_rows(Payment, ["public_id", "created_at", "updated_at", "invoice", "received_on", "amount", "method", "reference", "recorded_by", "reversal_reason"], payment_rows)
    audit.record_changes(actor=None, changes=changes, now=now)
    report.add("invoices", len(planned))
    report.add("invoice lines", len(line_rows))
    report.add("payments", len(payment_rows))


def _payments(rng: random.Random, inv: Invoice, habit: tuple, today: dt.date) -> list[tuple]:
    """The payments the account made on the invoice by `today` (maybe none, maybe in two parts)."""
    _, _, low, high, never = habit
    if rng.random() < never:
        return []
    paid_on = max(inv.issued_on, inv.due_on + dt.timedelta(days=rng.randint(low, high)))
    method = rng.choice(METHODS)
    ref = f"{method[:2].upper()}-{rng.randint(100000, 999999)}"
    if rng.random() < 0.12 and inv.total >= 2:
        # Paid in two parts: a first part (maybe before today) and the rest later.
        first = invoicing.money(inv.total * Decimal(rng.choice([25, 40, 50, 60])) / 100)
        first_on = max(inv.issued_on, paid_on - dt.timedelta(days=rng.randint(10, 40)))
        parts = [(first_on, first, method, ref), (paid_on, inv.total - first, method, f"{ref}-2")]
    else:
        parts = [(paid_on, inv.total, method, ref)]
    return [p for p in parts if p[0] <= today]


def _settle(inv: Invoice, payments: list[tuple], today: dt.date, rng: random.Random) -> None:
    paid = sum((p[1] for p in payments), ZERO)
    inv.amount_paid, inv.balance = paid, inv.total - paid
    inv.status = invoicing.payment_status(inv.total, paid)
    if inv.status == InvoiceStatus.PAID:
        settled = ageing.SettledItem(inv.issued_on, inv.due_on, max(p[0] for p in payments))
        inv.paid_on, inv.days_to_pay, inv.days_late = settled.paid_on, ageing.days_to_pay(settled), ageing.days_late(settled)
    elif not payments and (today - inv.issued_on).days <= 2 and rng.random() < 0.4:
        inv.status, inv.issued_at, inv.version = InvoiceStatus.DRAFT, None, 1  # still being checked
