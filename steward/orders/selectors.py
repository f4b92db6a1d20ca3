"""Reads of orders: lists, one order, late and at-risk orders, OTIF and revenue aggregates, the progress report.

Visibility: the orders of the accounts the user sees (`accounts_visible_to`), nothing else. Every
aggregate runs in the database (values + annotate), grouped by account or by quarter.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)

from steward.accounts.models import Account
from steward.accounts.selectors import (
    AccountRows,
    accounts_visible_to,
    exchange_rates,
    sees_every_account,
)
from steward.catalogue.models import Product
from steward.core.dbfunctions import InLiteral, QuarterStart
from steward.core.errors import NotFound
from steward.orders.choices import OPEN_STATUSES, ChangeKind, LineStatus, OrderStatus
from steward.orders.engine import otif
from steward.orders.models import Order, OrderChange, OrderLine, Shipment
from steward.users.models import User

ORDER_SORTS = {
    "number": ("number",),
    "-number": ("-number",),
    "account": ("account__name", "-ordered_on"),
    "-account": ("-account__name", "-ordered_on"),
    "ordered": ("ordered_on", "id"),
    "-ordered": ("-ordered_on", "-id"),
    "promised": ("promised_date", "id"),
    "-promised": ("-promised_date", "-id"),
    "total": ("total_amount", "id"),
    "-total": ("-total_amount", "-id"),
    "status": ("status", "-ordered_on"),
    "-status": ("-status", "-ordered_on"),
}
OPEN = sorted(OPEN_STATUSES)
NOT_SHIPPED = sorted(otif.NOT_YET_SHIPPED_STATUSES)


def risk_days() -> int:
    """Days before the promised date from which an order not fully shipped counts as at risk."""
    return int(getattr(settings, "STEWARD_ORDER_AT_RISK_DAYS", otif.DEFAULT_RISK_DAYS))


def open_q() -> Q:
    """Open orders, written so SQLite as well as PostgreSQL reads them from `order_open_promised_idx`."""
    return Q(InLiteral("status", OPEN))


def late_q(today: dt.date) -> Q:
    """Open orders past their promised date (the engine's `is_late` for open orders)."""
    return open_q() & Q(promised_date__lt=today)


def at_risk_q(today: dt.date) -> Q:
    """Open, not late, and on hold, backordered or due soon without having fully shipped (engine's `is_at_risk`)."""
    soon = today + dt.timedelta(days=risk_days())
    return Q(promised_date__gte=today) & (
        Q(status__in=sorted(otif.ALWAYS_AT_RISK_STATUSES))
        | Q(status__in=NOT_SHIPPED, promised_date__lte=soon)
    )


@dataclass(frozen=True)
class OrderFilters:
    q: str = ""
    status: str = ""
    flag: str = ""  # "late", "at_risk", "open"
    account: str = ""  # an account public id
    owner: str = ""  # a username, or "me"


def orders_visible_to(user: User) -> QuerySet[Order]:
    """Orders of the accounts the user sees."""
    if not user.is_authenticated or not user.is_active:
        return Order.objects.none()
    if sees_every_account(user):
        return Order.objects.all()
    return Order.objects.filter(account__in=accounts_visible_to(user))


def order_list(
    *, user: User, filters: OrderFilters, today: dt.date, sort: str = "-ordered"
) -> QuerySet[Order]:
    """Orders for the list page and the API, filtered and sorted."""
    qs = orders_visible_to(user)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(
            Q(number__icontains=term)
            | Q(customer_reference__icontains=term)
            | Q(account__name__icontains=term)
        )
    if filters.status in OrderStatus.values:
        qs = qs.filter(status=filters.status)
    if filters.flag == "late":
        qs = qs.filter(late_q(today))
    elif filters.flag == "at_risk":
        qs = qs.filter(at_risk_q(today))
    elif filters.flag == "open":
        qs = qs.filter(open_q())
    if filters.account:
        qs = (
            qs.filter(account__public_id=filters.account)
            if _is_uuid(filters.account)
            else qs.none()
        )
    if filters.owner == "me":
        qs = qs.filter(owner=user)
    elif filters.owner:
        qs = qs.filter(owner__username=filters.owner)
    return qs.select_related("account", "owner").order_by(
        *ORDER_SORTS.get(sort, ORDER_SORTS["-ordered"])
    )


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def order_get(*, user: User, public_id: Any) -> Order:
    """One visible order with what its page shows, or NotFound (also for others' orders)."""
    try:
        return (
            orders_visible_to(user)
            .select_related("account", "owner", "contact", "created_by")
            .prefetch_related(
                Prefetch(
                    "lines",
                    queryset=OrderLine.objects.select_related("product").order_by("position", "id"),
                ),
                Prefetch(
                    "shipments",
                    queryset=Shipment.objects.prefetch_related(
                        "lines__order_line__product"
                    ).order_by("shipped_on", "id"),
                ),
            )
            .get(public_id=public_id)
        )
    except (Order.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such order.") from exc


def order_changes(order: Order, limit: int = 100) -> list[OrderChange]:
    """What changed on the order that the customer was told about, newest first."""
    return list(
        order.changes.select_related("actor", "line__product").order_by("-occurred_at", "-id")[
            :limit
        ]
    )


def substitutes_for(lines: list[OrderLine]) -> dict[int, list[Product]]:
    """For each backordered line, the active substitutes of its product to offer the customer."""
    wanted = {ln.product_id for ln in lines if ln.status == LineStatus.BACKORDERED}
    if not wanted:
        return {}
    through = Product.substitutes.through
    rows = (
        through.objects.filter(from_product_id__in=wanted, to_product__is_active=True)
        .select_related("to_product")
        .order_by("to_product__name")
    )
    by_product: dict[int, list[Product]] = defaultdict(list)
    for row in rows:
        by_product[row.from_product_id].append(row.to_product)
    return {
        ln.pk: by_product.get(ln.product_id, [])
        for ln in lines
        if ln.status == LineStatus.BACKORDERED
    }


def status_counts(user: User) -> dict[str, int]:
    """How many visible orders are in each status."""
    rows = orders_visible_to(user).values("status").annotate(n=Count("id")).order_by()
    return {r["status"]: r["n"] for r in rows}


def flag_counts(user: User, today: dt.date) -> dict[str, int]:
    """Late, at-risk and open orders the user sees, in one query."""
    # Every flag is about open orders: read only those (a partial index), then count by flag.
    row = orders_visible_to(user).filter(open_q()).aggregate(
        late=Count("id", filter=late_q(today)),
        at_risk=Count("id", filter=at_risk_q(today)),
        open=Count("id"),
    )
    return {k: row[k] or 0 for k in ("late", "at_risk", "open")}


# Why an order is late --------------------------------------------------------------------------------


def _with_reasons(qs: QuerySet[Order]) -> QuerySet[Order]:
    return qs.prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.filter(status=LineStatus.BACKORDERED).select_related(
                "product"
            ),
            to_attr="backordered_lines",
        ),
        Prefetch(
            "changes",
            queryset=OrderChange.objects.filter(kind=ChangeKind.PROMISED_DATE).order_by(
                "-occurred_at", "-id"
            ),
            to_attr="date_changes",
        ),
    )


def late_reason(order: Order) -> str:
    """Why the order is late or at risk, in words, from its hold, backorders, shipments and date changes."""
    reasons = []
    if order.status == OrderStatus.ON_HOLD:
        reasons.append(f"On hold: {order.hold_reason}" if order.hold_reason else "On hold")
    for line in getattr(order, "backordered_lines", []):
        text = f"{line.product.name} backordered"
        if line.backorder_reason:
            text += f" ({line.backorder_reason})"
        if line.backorder_expected_on:
            text += f", stock expected {line.backorder_expected_on:%d %b %Y}"
        reasons.append(text)
    if order.status == OrderStatus.PARTIALLY_SHIPPED:
        reasons.append("Partly shipped, the rest is still to ship")
    elif order.status == OrderStatus.SHIPPED:
        reasons.append("Shipped, delivery not yet confirmed")
    elif order.status in (OrderStatus.BOOKED, OrderStatus.IN_FULFILMENT) and not reasons:
        reasons.append("Not shipped yet")
    changes = getattr(order, "date_changes", [])
    if changes:
        reasons.append(
            f"Promised date moved from {changes[0].old_value} to {changes[0].new_value}: {changes[0].reason}"
        )
    return "; ".join(reasons)


def late_and_at_risk(
    *, user: User, today: dt.date, mine: bool = False, limit: int = 200
) -> dict[str, Any]:
    """Late orders (most days late first) and at-risk orders (soonest first) for the operations manager."""
    qs = orders_visible_to(user)
    if mine:
        qs = qs.filter(Q(owner=user) | Q(account__operations_manager=user))
    base = qs.select_related("account", "owner")
    late: list[Any] = list(
        _with_reasons(base.filter(late_q(today)).order_by("promised_date", "id"))[:limit]
    )
    risky: list[Any] = list(
        _with_reasons(
            base.filter(open_q() & at_risk_q(today)).order_by("promised_date", "id")
        )[:limit]
    )
    for order in late + risky:
        order.days_late = max((today - order.promised_date).days, 0)
        order.why = late_reason(order)
    counts = qs.filter(open_q()).aggregate(
        late=Count("id", filter=late_q(today)),
        at_risk=Count("id", filter=at_risk_q(today)),
    )
    return {
        "late": late,
        "at_risk": risky,
        "late_count": counts["late"] or 0,
        "at_risk_count": counts["at_risk"] or 0,
    }


# OTIF and revenue aggregates ----------------------------------------------------------------------


@dataclass
class OtifRow:
    """OTIF figures for one group (a quarter, an account, the portfolio)."""

    key: Any
    label: str
    figures: otif.OtifFigures
    extra: dict[str, Any] = field(default_factory=dict)


OTIF_AGGREGATES = {
    "delivered": Count("id"),
    "on_time": Count("id", filter=Q(is_on_time=True)),
    "in_full": Count("id", filter=Q(is_in_full=True)),
    "otif": Count("id", filter=Q(is_on_time=True, is_in_full=True)),
}


def _figures(row: Mapping[str, Any]) -> otif.OtifFigures:
    return otif.OtifFigures(
        delivered=row["delivered"] or 0,
        on_time=row["on_time"] or 0,
        in_full=row["in_full"] or 0,
        on_time_in_full=row["otif"] or 0,
    )


def _delivered(user: User, start: dt.date | None, end: dt.date | None) -> QuerySet[Order]:
    qs = orders_visible_to(user).filter(status=OrderStatus.DELIVERED, delivered_on__isnull=False)
    if start:
        qs = qs.filter(delivered_on__gte=start)
    if end:
        qs = qs.filter(delivered_on__lt=end)
    return qs


def otif_by_quarter(
    *,
    user: User,
    start: dt.date | None = None,
    end: dt.date | None = None,
    account: Account | None = None,
) -> list[OtifRow]:
    """OTIF of delivered orders by the quarter they were delivered in, oldest first (portfolio or one account)."""
    qs = _delivered(user, start, end)
    if account is not None:
        qs = qs.filter(account=account)
    rows = (
        qs.annotate(quarter=QuarterStart("delivered_on"))
        .values("quarter")
        .annotate(**OTIF_AGGREGATES)
        .order_by("quarter")
    )
    return [
        OtifRow(
            key=r["quarter"], label=otif.quarter_of(_as_date(r["quarter"])), figures=_figures(r)
        )
        for r in rows
    ]


def otif_total(
    *,
    user: User,
    start: dt.date | None = None,
    end: dt.date | None = None,
    account: Account | None = None,
) -> otif.OtifFigures:
    """OTIF over all delivered orders in the period (portfolio or one account)."""
    qs = _delivered(user, start, end)
    if account is not None:
        qs = qs.filter(account=account)
    return _figures(qs.aggregate(**OTIF_AGGREGATES))


OTIF_ACCOUNT_SORTS = {
    "otif": ("otif_rate", "-delivered"),
    "-otif": ("-otif_rate", "-delivered"),
    "delivered": ("delivered",),
    "-delivered": ("-delivered",),
    "name": ("account_name",),
}


def otif_by_account(
    *,
    user: User,
    start: dt.date | None = None,
    end: dt.date | None = None,
    sort: str = "otif",
) -> AccountRows:
    """OTIF per account over the period (worst first by default), for a paginated table.

    Grouped by account id alone, read from the OTIF index; names are read for the page's rows only.
    Every account with a delivery in the period has a row, so the count is a distinct count."""
    qs = (
        _delivered(user, start, end)
        .values("account_id")
        .annotate(**OTIF_AGGREGATES)
        .annotate(
            otif_rate=ExpressionWrapper(F("otif") * 1.0 / F("delivered"), output_field=FloatField())
        )
    )
    order = OTIF_ACCOUNT_SORTS.get(sort, OTIF_ACCOUNT_SORTS["otif"])
    if order == ("account_name",):  # sorting by name needs it inside the query
        qs = qs.annotate(
            account_name=Subquery(Account.objects.filter(pk=OuterRef("account_id")).values("name")[:1])
        )
    qs = qs.order_by(*order, "account_id")
    return AccountRows(qs, lambda: otif_account_count(user=user, start=start, end=end))


def otif_account_count(*, user: User, start: dt.date | None = None, end: dt.date | None = None) -> int:
    """How many accounts `otif_by_account` lists: distinct account ids of delivered orders, without
    grouping or joining accounts."""
    row = _delivered(user, start, end).aggregate(n=Count("account_id", distinct=True))
    return row["n"] or 0


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def _booked(user: User, start: dt.date | None, end: dt.date | None) -> QuerySet[Order]:
    """Visible orders that count as booked revenue (not cancelled), ordered in the period."""
    qs = orders_visible_to(user).exclude(status=OrderStatus.CANCELLED)
    if start:
        qs = qs.filter(ordered_on__gte=start)
    if end:
        qs = qs.filter(ordered_on__lt=end)
    return qs


class RevenueByAccount:
    """Revenue by account and quarter, paged by account (in account id order): a slice reads the page's
    account ids, then aggregates those accounts' orders only. Counts like a queryset, for paginators."""

    def __init__(
        self,
        *,
        user: User,
        start: dt.date | None = None,
        end: dt.date | None = None,
        account: Account | None = None,
    ) -> None:
        self.user, self.start, self.end = user, start, end
        self._orders = _booked(user, start, end)
        if account is not None:
            self._orders = self._orders.filter(account=account)

    def count(self) -> int:
        return self._orders.aggregate(n=Count("account_id", distinct=True))["n"] or 0

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        if not isinstance(index, slice):
            raise TypeError("RevenueByAccount is read in slices (pages).")
        ids = list(
            self._orders.order_by("account_id").values_list("account_id", flat=True).distinct()[index]
        )
        accounts = {
            pk: (public_id, name)
            for pk, public_id, name in Account.objects.filter(pk__in=ids).values_list(
                "pk", "public_id", "name"
            )
        }
        quarters: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in revenue_by_account_and_quarter(
            user=self.user, start=self.start, end=self.end, account_ids=ids
        ):
            quarters[row["account_id"]].append(row)
        return [
            {
                "account_id": pk,
                "account_public_id": accounts[pk][0],
                "account_name": accounts[pk][1],
                "quarters": quarters[pk],
            }
            for pk in ids
        ]


def revenue_by_account_and_quarter(
    *,
    user: User,
    start: dt.date | None = None,
    end: dt.date | None = None,
    account_ids: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Booked revenue (order totals, cancelled orders excluded) per account and quarter ordered, in the
    reporting currency; amounts without an exchange rate are left out and listed apart."""
    qs = _booked(user, start, end)
    if account_ids is not None:
        qs = qs.filter(account_id__in=account_ids)
    rows = (
        qs.annotate(quarter=QuarterStart("ordered_on"))
        .values("account_id", "quarter", "currency")
        .annotate(amount=Sum("total_amount"), orders=Count("id"))
        .order_by()
    )
    rates = exchange_rates()
    reporting = settings.REPORTING_CURRENCY
    merged: dict[tuple[int, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["account_id"], otif.quarter_of(_as_date(r["quarter"])))
        entry = merged.setdefault(
            key,
            {
                "account_id": key[0],
                "quarter": key[1],
                "amount": Decimal(0),
                "orders": 0,
                "unconverted": {},
            },
        )
        entry["orders"] += r["orders"]
        rate = Decimal(1) if r["currency"] == reporting else rates.get(r["currency"])
        if rate is None:
            entry["unconverted"][r["currency"]] = (
                entry["unconverted"].get(r["currency"], Decimal(0)) + r["amount"]
            )
        else:
            entry["amount"] += (r["amount"] * rate).quantize(otif.CENT)
    return sorted(merged.values(), key=lambda e: (e["account_id"], e["quarter"]))


def revenue_by_quarter(
    *, user: User, start: dt.date | None = None, end: dt.date | None = None
) -> list[dict[str, Any]]:
    """Booked revenue of the whole visible portfolio by quarter, in the reporting currency."""
    qs = orders_visible_to(user).exclude(status=OrderStatus.CANCELLED)
    if start:
        qs = qs.filter(ordered_on__gte=start)
    if end:
        qs = qs.filter(ordered_on__lt=end)
    rows = (
        qs.annotate(quarter=QuarterStart("ordered_on"))
        .values("quarter", "currency")
        .annotate(amount=Sum("total_amount"), orders=Count("id"))
        .order_by("quarter")
    )
    rates = exchange_rates()
    reporting = settings.REPORTING_CURRENCY
    merged: dict[str, dict[str, Any]] = {}
    for r in rows:
        label = otif.quarter_of(_as_date(r["quarter"]))
        entry = merged.setdefault(label, {"quarter": label, "amount": Decimal(0), "orders": 0})
        entry["orders"] += r["orders"]
        rate = Decimal(1) if r["currency"] == reporting else rates.get(r["currency"])
        if rate is not None:
            entry["amount"] += (r["amount"] * rate).quantize(otif.CENT)
    return list(merged.values())


# Account 360 and the progress report ------------------------------------------------------------


def account_orders_tab(
    *, user: User, account: Account, today: dt.date, limit: int = 50
) -> dict[str, Any]:
    """What the account's Orders tab shows: counts, open orders (soonest promised first), recent deliveries, OTIF."""
    qs = Order.objects.filter(account=account)
    counts = qs.aggregate(
        open=Count("id", filter=open_q()),
        late=Count("id", filter=late_q(today)),
        at_risk=Count("id", filter=open_q() & at_risk_q(today)),
        total=Count("id"),
    )
    open_orders: list[Any] = list(
        _with_reasons(
            qs.filter(open_q()).select_related("owner").order_by("promised_date", "id")
        )[:limit]
    )
    for order in open_orders:
        order.late = order.promised_date < today
        at_risk = otif.is_at_risk(
            status=order.status,
            promised_date=order.promised_date,
            today=today,
            risk_days=risk_days(),
        )
        order.at_risk = at_risk
        order.why = late_reason(order) if order.late or order.at_risk else ""
    recent = list(qs.exclude(open_q()).order_by("-ordered_on", "-id")[:20])
    year_ago = today - dt.timedelta(days=365)
    return {
        "counts": counts,
        "open_orders": open_orders,
        "recent": recent,
        "otif_year": otif_total(user=user, account=account, start=year_ago),
        "otif_quarters": otif_by_quarter(
            user=user, account=account, start=otif.quarter_start(today, back=3)
        ),
    }


@dataclass
class ProgressReport:
    """An account's order progress: open orders with what remains, recent shipments, late orders and why, next dates."""

    account: Account
    today: dt.date
    since: dt.date
    open_orders: list[Any]
    shipments: list[Shipment]
    late: list[Any]
    next_dates: list[tuple[dt.date, str, Order]]
    otif: otif.OtifFigures
    otif_quarters: list[OtifRow]


def progress_report(
    *, user: User, account: Account, today: dt.date, since_days: int = 30, internal: bool = True
) -> ProgressReport:
    """The order progress report for one visible account (for the customer, or for internal teams)."""
    if not accounts_visible_to(user).filter(pk=account.pk).exists():
        raise NotFound("No such account.")
    since = today - dt.timedelta(days=since_days)
    open_orders: list[Any] = list(
        _with_reasons(Order.objects.filter(open_q(), account=account))
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related("product").order_by("position"),
                to_attr="all_lines",
            )
        )
        .select_related("owner", "contact")
        .order_by("promised_date", "id")[:200]
    )
    for order in open_orders:
        order.late = order.promised_date < today
        order.days_late = max((today - order.promised_date).days, 0)
        order.why = late_reason(order)
        order.open_lines = [ln for ln in order.all_lines if ln.open_quantity > 0]
    shipments = list(
        Shipment.objects.filter(order__account=account)
        .filter(Q(shipped_on__gte=since) | Q(delivered_on__gte=since))
        .select_related("order")
        .prefetch_related("lines__order_line__product")
        .order_by("-shipped_on", "-id")[:100]
    )
    late = [o for o in open_orders if o.late]
    next_dates: list[tuple[dt.date, str, Order]] = []
    for order in open_orders:
        if not order.late:
            next_dates.append((order.promised_date, "promised delivery", order))
        for line in getattr(order, "backordered_lines", []):
            if line.backorder_expected_on and line.backorder_expected_on >= today:
                next_dates.append(
                    (line.backorder_expected_on, f"stock expected for {line.product.name}", order)
                )
    next_dates.sort(key=lambda item: (item[0], item[2].pk))
    year_ago = today - dt.timedelta(days=365)
    return ProgressReport(
        account=account,
        today=today,
        since=since,
        open_orders=open_orders,
        shipments=shipments,
        late=late,
        next_dates=next_dates[:20],
        otif=otif_total(user=user, account=account, start=year_ago),
        otif_quarters=otif_by_quarter(
            user=user, account=account, start=otif.quarter_start(today, back=3)
        ),
    )


def late_orders_panel(*, user: User, today: dt.date, limit: int = 6) -> dict[str, Any]:
    """The dashboard card: how many visible orders are late, and the longest-late ones."""
    qs = orders_visible_to(user).filter(late_q(today))
    if user.role == "operations":
        mine = qs.filter(Q(owner=user) | Q(account__operations_manager=user))
        if mine.exists():
            qs = mine
    top: list[Any] = list(
        _with_reasons(qs.select_related("account").order_by("promised_date", "id"))[:limit]
    )
    for order in top:
        order.days_late = (today - order.promised_date).days
        order.why = late_reason(order)
    count = len(top) if len(top) < limit else qs.count()
    return {"orders": top, "count": count}


def has_backorders(order: Order) -> bool:
    return OrderLine.objects.filter(order=order, status=LineStatus.BACKORDERED).exists()
