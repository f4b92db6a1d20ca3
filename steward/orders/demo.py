"""Demo orders: three years of orders per account with lines and shipments, some late, some short, some backordered.

Old orders were delivered (mostly on time and in full, some late, some closed short) or cancelled;
recent ones are booked, in fulfilment, partly shipped, shipped, backordered or on hold, and some of
them are past their promised date. Each order's status, delivery date, OTIF flags and total are
settled with the same engine `recompute` uses before anything is inserted: one INSERT per table.
"""

from __future__ import annotations

import datetime as dt
import uuid
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from steward.accounts.models import Account, Contact
from steward.accounts.selectors import exchange_rates
from steward.catalogue.models import Product
from steward.core import audit
from steward.core.bulk import insert_rows
from steward.orders.choices import ChangeKind, LineStatus, OrderStatus
from steward.orders.engine import otif
from steward.orders.models import Order, OrderChange, OrderLine, Shipment, ShipmentLine
from steward.orders.services import number_prefix

CHUNK = 1000
QUANTITIES = [1, 2, 3, 5, 10, 10, 20, 25, 50, 100]
DISCOUNTS = [Decimal(0), Decimal(0), Decimal(0), Decimal(5), Decimal(8), Decimal(10), Decimal(15)]
CARRIERS = ["DHL", "DB Schenker", "Kuehne+Nagel", "UPS", "DSV", "GEODIS"]
LATE_REASONS = [
    "Carrier capacity shortage",
    "Supplier delivered late",
    "Customs inspection",
    "Warehouse backlog after inventory",
    "Quality hold on the batch",
]
BACKORDER_REASONS = ["Supplier out of stock", "Component shortage", "Production line maintenance"]
HOLD_REASONS = [
    "Awaiting credit approval",
    "Customer asked to delay",
    "Missing delivery address details",
]


def _uuid(rng) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def has_data() -> bool:
    """Whether orders are already loaded."""
    return Order.objects.exists()


def seed_demo(ctx: Any) -> None:
    """Load demo orders for every account, in chunks of accounts each in one transaction; audited."""
    rng, now = ctx.rng, ctx.now
    products = [p for p in Product.objects.filter(is_active=True).order_by("sku")]
    if not products:
        return
    rates = exchange_rates()
    prices = _price_table(products, rates)
    lines_per_account = max(0.5, float(ctx.options.order_lines_per_account))
    today = now.date()
    serial: dict[int, int] = {}
    for row in Order.objects.values("ordered_on__year").annotate(m=Max("number")):
        serial[row["ordered_on__year"]] = int(row["m"].rsplit("-", 1)[-1])
    accounts = Account.objects.order_by("pk").values_list(
        "pk", "owner_id", "operations_manager_id", "currency"
    )
    last = 0
    while True:
        chunk = list(accounts.filter(pk__gt=last)[:CHUNK])
        if not chunk:
            break
        last = chunk[-1][0]
        with transaction.atomic():
            _load(rng, now, today, chunk, products, prices, lines_per_account, serial, ctx.report)
        ctx.progress(f"orders: accounts up to id {last}")


def _price_table(
    products: list[Product], rates: dict[str, Decimal]
) -> dict[tuple[int, str], Decimal]:
    currencies = {settings.REPORTING_CURRENCY, *rates}
    table = {}
    for p in products:
        for cur in currencies:
            to_rep = (
                Decimal(1) if p.currency == settings.REPORTING_CURRENCY else rates.get(p.currency)
            )
            from_rep = Decimal(1) if cur == settings.REPORTING_CURRENCY else rates.get(cur)
            if p.currency == cur:
                table[(p.pk, cur)] = Decimal(p.list_price)
            elif to_rep is not None and from_rep is not None:
                table[(p.pk, cur)] = (Decimal(p.list_price) * to_rep / from_rep).quantize(otif.CENT)
    return table


@contextmanager
def _keeping_created_at():
    """Demo orders carry their historical creation time; the model would stamp 'now' on insert."""
    field = Order._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


def _contacts(account_ids: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for account_id, contact_id in (
        Contact.objects.filter(account_id__in=account_ids)
        .exclude(email="")
        .order_by("account_id", "-influence", "pk")
        .values_list("account_id", "pk")
    ):
        found.setdefault(account_id, contact_id)
    return found


def _load(rng, now, today, chunk, products, prices, lines_per_account, serial, report) -> None:
    contacts = _contacts([c[0] for c in chunk])
    planned = []
    for account_id, owner_id, ops_id, currency in chunk:
        budget = int(lines_per_account) + (1 if rng.random() < lines_per_account % 1 else 0)
        while budget > 0:
            n_lines = min(budget, rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6]))
            budget -= n_lines
            p = _plan(
                rng,
                now,
                today,
                account_id,
                ops_id or owner_id,
                currency,
                contacts.get(account_id),
                products,
                prices,
                n_lines,
                serial,
            )
            if p is not None:
                planned.append(p)
    orders = [p["order"] for p in planned]
    with _keeping_created_at():
        Order.objects.bulk_create(orders, batch_size=2000)
    all_lines = []
    for p in planned:
        for ln in p["lines"]:
            ln.order_id = p["order"].pk
        all_lines += p["lines"]
    OrderLine.objects.bulk_create(all_lines, batch_size=2000)
    shipments = []
    for p in planned:
        for s, _ in p["shipments"]:
            s.order_id = p["order"].pk
            shipments.append(s)
    Shipment.objects.bulk_create(shipments, batch_size=2000)
    ship_rows = [
        (s.pk, line.pk, qty)
        for p in planned
        for s, carried in p["shipments"]
        for line, qty in carried
    ]
    insert_rows(ShipmentLine, ["shipment", "order_line", "quantity"], ship_rows)
    change_rows = []
    for p in planned:
        for kind, line, old, new, reason, when in p["changes"]:
            change_rows.append(
                (
                    p["order"].pk,
                    line.pk if line is not None else None,
                    kind,
                    old,
                    new,
                    reason,
                    p["order"].owner_id,
                    when,
                    "",
                )
            )
    insert_rows(
        OrderChange,
        [
            "order",
            "line",
            "kind",
            "old_value",
            "new_value",
            "reason",
            "actor",
            "occurred_at",
            "notified_to",
        ],
        change_rows,
    )
    audit.record_changes(
        actor=None,
        now=now,
        changes=[
            audit.Change(
                "create",
                "orders.order",
                str(o.public_id),
                o.number,
                o.account_id,
                None,
                {"status": o.status, "total": str(o.total_amount), "currency": o.currency},
            )
            for o in orders
        ],
    )
    report.add("orders", len(orders))
    report.add("order lines", len(all_lines))
    report.add("shipments", len(shipments))


def _plan(
    rng, now, today, account_id, owner_id, currency, contact_id, products, prices, n_lines, serial
) -> dict | None:
    # A tenth of the orders are recent (mostly still open); the rest spread over three years, more of them lately.
    days = rng.randint(0, 40) if rng.random() < 0.1 else int(rng.triangular(0, 3 * 365, 60))
    ordered = today - dt.timedelta(days=days)
    requested = ordered + dt.timedelta(days=rng.choice([7, 10, 14, 14, 21, 28, 30]))
    promised = requested + dt.timedelta(days=rng.choice([0, 0, 0, 2, 3, 5, 7]))
    lines = []
    for position, product in enumerate(
        rng.sample(products, k=min(len(products), n_lines)), start=1
    ):
        price = prices.get((product.pk, currency))
        if price is None:
            continue
        qty = Decimal(rng.choice(QUANTITIES))
        discount = rng.choice(DISCOUNTS)
        lines.append(
            OrderLine(
                position=position,
                product_id=product.pk,
                quantity=qty,
                unit_price=price,
                discount_percent=discount,
                amount=otif.line_amount(qty, price, discount),
            )
        )
    if not lines:
        return None
    serial[ordered.year] = serial.get(ordered.year, 0) + 1
    created = dt.datetime.combine(ordered, dt.time(9, rng.randint(0, 59)), tzinfo=dt.UTC)
    order = Order(
        public_id=_uuid(rng),
        number=f"{number_prefix(ordered.year)}{serial[ordered.year]:06d}",
        account_id=account_id,
        currency=currency,
        ordered_on=ordered,
        requested_date=requested,
        promised_date=promised,
        owner_id=owner_id,
        created_by_id=owner_id,
        contact_id=contact_id,
        customer_reference=f"PO-{rng.randint(10000, 99999)}" if rng.random() < 0.7 else "",
        created_at=created,
        payment_terms_days=rng.choice([None, None, None, 30, 45, 60]),
    )
    p = {"order": order, "lines": lines, "shipments": [], "changes": []}
    _fulfil(rng, today, p)
    _settle(p)
    return p


def _ship(
    rng, p, day: dt.date, delivered: dt.date | None, carried: list[tuple[OrderLine, Decimal]]
) -> None:
    if not carried:
        return
    s = Shipment(
        public_id=_uuid(rng),
        shipped_on=day,
        delivered_on=delivered,
        carrier=rng.choice(CARRIERS),
        tracking_number=f"{rng.randint(10**9, 10**10 - 1)}",
    )
    for line, qty in carried:
        line.shipped_quantity += qty
        if delivered is not None:
            line.delivered_quantity += qty
    p["shipments"].append((s, carried))


def _when(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)


def _fulfil(rng, today: dt.date, p: dict) -> None:
    """Decide what happened to the order and write its shipments (and the changes the customer was told)."""
    order, lines = p["order"], p["lines"]
    if rng.random() < 0.03:
        for ln in lines:
            ln.status = LineStatus.CANCELLED
        order.status = OrderStatus.CANCELLED
        p["changes"].append(
            (
                ChangeKind.CANCELLED,
                None,
                "Booked",
                "Cancelled",
                "Customer cancelled the project",
                _when(order.ordered_on + dt.timedelta(days=2)),
            )
        )
        return
    due = order.promised_date
    if rng.random() < 0.12:  # the promised date moved once, with a reason
        old = due
        due = old + dt.timedelta(days=rng.randint(3, 14))
        order.promised_date = due
        p["changes"].append(
            (
                ChangeKind.PROMISED_DATE,
                None,
                old.isoformat(),
                due.isoformat(),
                rng.choice(LATE_REASONS),
                _when(order.ordered_on + dt.timedelta(days=3)),
            )
        )
    finished_by = due + dt.timedelta(days=25)
    if finished_by < today:
        _delivered_history(rng, today, p, due)
    else:
        _in_flight(rng, today, p, due)


def _delivered_history(rng, today: dt.date, p: dict, due: dt.date) -> None:
    order, lines = p["order"], p["lines"]
    late = rng.random() < 0.14
    short = rng.random() < 0.06
    last = (
        due + dt.timedelta(days=rng.randint(1, 18))
        if late
        else due - dt.timedelta(days=rng.randint(0, 4))
    )
    last = max(last, order.ordered_on + dt.timedelta(days=1))
    split = (len(lines) > 1 and rng.random() < 0.3) or rng.random() < 0.1
    if split:  # a first part on time, the rest at `last`
        first = [(ln, (ln.quantity / 2).quantize(Decimal(1)) or ln.quantity) for ln in lines]
        first_day = max(order.ordered_on, min(last, due) - dt.timedelta(days=rng.randint(3, 8)))
        _ship(rng, p, first_day, first_day + dt.timedelta(days=1), first)
    shipped_day = max(order.ordered_on, last - dt.timedelta(days=rng.randint(1, 3)))
    rest = [
        (ln, ln.quantity - ln.shipped_quantity) for ln in lines if ln.quantity > ln.shipped_quantity
    ]
    if short and rest:
        victim, _ = rest[-1]
        if victim.shipped_quantity > 0:
            rest = rest[:-1]  # closed short after a partial delivery
            victim.status = LineStatus.CANCELLED
            p["changes"].append(
                (
                    ChangeKind.LINE_CANCELLED,
                    victim,
                    "",
                    "closed short",
                    "Discontinued by the supplier",
                    _when(shipped_day),
                )
            )
    _ship(rng, p, shipped_day, last, rest)
    if not p["shipments"]:
        _ship(rng, p, shipped_day, last, [(ln, ln.quantity) for ln in lines])


def _in_flight(rng, today: dt.date, p: dict, due: dt.date) -> None:
    order, lines = p["order"], p["lines"]
    r = rng.random()
    if r < 0.06 and len(lines) >= 1:  # a line is backordered
        ln = rng.choice(lines)
        ln.status = LineStatus.BACKORDERED
        ln.backorder_reason = rng.choice(BACKORDER_REASONS)
        ln.backorder_expected_on = max(today, due) + dt.timedelta(days=rng.randint(3, 20))
        p["changes"].append(
            (
                ChangeKind.BACKORDERED,
                ln,
                "",
                "backordered",
                ln.backorder_reason,
                _when(min(today, order.ordered_on + dt.timedelta(days=2))),
            )
        )
        others = [(o, o.quantity) for o in lines if o is not ln]
        if others and rng.random() < 0.6:
            day = min(today, order.ordered_on + dt.timedelta(days=rng.randint(1, 10)))
            _ship(
                rng,
                p,
                day,
                day + dt.timedelta(days=1) if day + dt.timedelta(days=1) <= today else None,
                others,
            )
        return
    if r < 0.09:
        order.status = OrderStatus.ON_HOLD
        order.hold_reason = rng.choice(HOLD_REASONS)
        p["changes"].append(
            (
                ChangeKind.HOLD,
                None,
                "Booked",
                "On hold",
                order.hold_reason,
                _when(min(today, order.ordered_on + dt.timedelta(days=1))),
            )
        )
        return
    progress = (today - order.ordered_on).days / max((due - order.ordered_on).days, 1)
    stuck = rng.random() < 0.15  # running late: less done than the calendar says
    if stuck:
        progress *= 0.5
    if progress < 0.3:
        order.status = (
            OrderStatus.IN_FULFILMENT
            if rng.random() < 0.5 and progress > 0.1
            else OrderStatus.BOOKED
        )
        return
    day = min(
        today,
        order.ordered_on + dt.timedelta(days=max(1, int((due - order.ordered_on).days * 0.6))),
    )
    if progress < 0.8:
        _ship(
            rng,
            p,
            day,
            None if rng.random() < 0.5 else min(today, day + dt.timedelta(days=1)),
            [(ln, (ln.quantity / 2).quantize(Decimal(1)) or ln.quantity) for ln in lines[:1]],
        )
        return
    delivered = day + dt.timedelta(days=rng.randint(1, 4))
    _ship(
        rng, p, day, delivered if delivered <= today else None, [(ln, ln.quantity) for ln in lines]
    )


def _settle(p: dict) -> None:
    """Line statuses and amounts, the order's status, delivery date, OTIF and total, from the engine."""
    order, lines = p["order"], p["lines"]
    facts = []
    for ln in lines:
        fact = otif.LineFacts(
            quantity=ln.quantity,
            shipped=ln.shipped_quantity,
            delivered=ln.delivered_quantity,
            cancelled=ln.status == LineStatus.CANCELLED,
            backordered=ln.status == LineStatus.BACKORDERED,
        )
        facts.append(fact)
        ln.status = otif.line_status(fact)
        billable = fact.shipped if fact.cancelled else ln.quantity
        ln.amount = otif.line_amount(billable, ln.unit_price, ln.discount_percent)
        if ln.status != LineStatus.BACKORDERED:
            ln.backorder_reason, ln.backorder_expected_on = "", None
    dates = [s.delivered_on for s, _ in p["shipments"] if s.delivered_on is not None]
    outcome = otif.order_outcome(
        current_status=order.status,
        promised_date=order.promised_date,
        lines=facts,
        delivery_dates=dates,
    )
    order.status, order.delivered_on, order.is_on_time, order.is_in_full = (
        outcome.status,
        outcome.delivered_on,
        outcome.is_on_time,
        outcome.is_in_full,
    )
    order.total_amount = sum((ln.amount for ln in lines), Decimal(0))
    if order.status != OrderStatus.ON_HOLD:
        order.hold_reason = ""
