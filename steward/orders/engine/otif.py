"""Order fulfilment rules in plain Python: line and order status, OTIF, lateness and risk.

Definitions (the user docs repeat them):

- A line is *complete* when all its quantity is delivered, or when it was cancelled (a cancelled
  line that had shipped part of its quantity is *short-closed*: what was delivered stays, the rest
  never comes).
- An order is *delivered* when every line is complete and something was delivered; its delivery
  date is the last delivery date of its shipments.
- *On time*: delivered by the promised date (the date in force when it was delivered).
- *In full*: every line that was not cancelled before anything shipped has its whole ordered
  quantity delivered; a short-closed line makes the order not in full.
- *Late*: an open order whose promised date has passed, or a delivered order delivered after it.
- *At risk*: an open order not yet late that is on hold or backordered, or whose promised date is
  within the risk window and that has not fully shipped.

Time is passed in (`today`); nothing here reads a clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)

# Status values, the same strings as orders.choices (engines import no Django).
BOOKED = "booked"
IN_FULFILMENT = "in_fulfilment"
PARTIALLY_SHIPPED = "partially_shipped"
SHIPPED = "shipped"
DELIVERED = "delivered"
ON_HOLD = "on_hold"
BACKORDERED = "backordered"
CANCELLED = "cancelled"
OPEN = "open"

OPEN_ORDER_STATUSES = frozenset(
    {BOOKED, IN_FULFILMENT, PARTIALLY_SHIPPED, SHIPPED, ON_HOLD, BACKORDERED}
)
NOT_YET_SHIPPED_STATUSES = frozenset(
    {BOOKED, IN_FULFILMENT, PARTIALLY_SHIPPED, ON_HOLD, BACKORDERED}
)
ALWAYS_AT_RISK_STATUSES = frozenset({ON_HOLD, BACKORDERED})
DEFAULT_RISK_DAYS = 7


def line_amount(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    """Quantity times unit price less the discount, to the cent (half up)."""
    gross = quantity * unit_price
    return (gross * (HUNDRED - discount_percent) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineFacts:
    """One order line as fulfilment sees it."""

    quantity: Decimal
    shipped: Decimal = ZERO
    delivered: Decimal = ZERO
    cancelled: bool = False
    backordered: bool = False

    @property
    def counts_for_otif(self) -> bool:
        """A line cancelled before anything shipped is no longer part of the order."""
        return not (self.cancelled and self.shipped <= 0)

    @property
    def complete(self) -> bool:
        return self.cancelled or self.delivered >= self.quantity


def line_status(line: LineFacts) -> str:
    """A line's status from its quantities; backordered holds until it has fully shipped."""
    if line.cancelled:
        return CANCELLED
    if line.delivered >= line.quantity:
        return DELIVERED
    if line.shipped >= line.quantity:
        return SHIPPED
    if line.backordered:
        return BACKORDERED
    if line.shipped > 0:
        return PARTIALLY_SHIPPED
    return OPEN


@dataclass(frozen=True)
class OrderOutcome:
    """The derived fields an order stores."""

    status: str
    delivered_on: dt.date | None
    is_on_time: bool | None
    is_in_full: bool | None


def order_outcome(
    *,
    current_status: str,
    promised_date: dt.date,
    lines: Sequence[LineFacts],
    delivery_dates: Sequence[dt.date],
) -> OrderOutcome:
    """Status, delivery date and OTIF of an order from its lines and its shipments' delivery dates.

    Cancelled and on-hold orders keep their status (they are set and lifted by hand); an order in
    fulfilment stays so until something ships.
    """
    if current_status == CANCELLED:
        return OrderOutcome(CANCELLED, None, None, None)
    counted = [line for line in lines if line.counts_for_otif]
    if lines and not counted:
        return OrderOutcome(CANCELLED, None, None, None)
    complete = bool(counted) and all(line.complete for line in counted)
    delivered_any = any(line.delivered > 0 for line in counted)
    if complete and delivered_any:
        delivered_on = max(delivery_dates) if delivery_dates else None
        in_full = all(not line.cancelled and line.delivered >= line.quantity for line in counted)
        on_time = delivered_on is not None and delivered_on <= promised_date
        return OrderOutcome(DELIVERED, delivered_on, on_time, in_full)
    if current_status == ON_HOLD:
        return OrderOutcome(ON_HOLD, None, None, None)
    open_lines = [line for line in counted if not line.cancelled]
    if open_lines and all(line.shipped >= line.quantity for line in open_lines):
        status = SHIPPED
    elif any(line.backordered and line.shipped < line.quantity for line in open_lines):
        status = BACKORDERED
    elif any(line.shipped > 0 for line in counted):
        status = PARTIALLY_SHIPPED
    elif current_status == IN_FULFILMENT:
        status = IN_FULFILMENT
    else:
        status = BOOKED
    return OrderOutcome(status, None, None, None)


def is_late(
    *, status: str, promised_date: dt.date, delivered_on: dt.date | None, today: dt.date
) -> bool:
    """Open past its promised date, or delivered after it."""
    if status == DELIVERED:
        return delivered_on is not None and delivered_on > promised_date
    return status in OPEN_ORDER_STATUSES and promised_date < today


def days_late(
    *, status: str, promised_date: dt.date, delivered_on: dt.date | None, today: dt.date
) -> int:
    """How many days past the promised date (to delivery, or to today while open); 0 when not late."""
    if not is_late(
        status=status, promised_date=promised_date, delivered_on=delivered_on, today=today
    ):
        return 0
    end = delivered_on if status == DELIVERED and delivered_on is not None else today
    return (end - promised_date).days


def is_at_risk(
    *, status: str, promised_date: dt.date, today: dt.date, risk_days: int = DEFAULT_RISK_DAYS
) -> bool:
    """Open and not yet late, but on hold, backordered, or due within `risk_days` and not fully shipped."""
    if status not in OPEN_ORDER_STATUSES or promised_date < today:
        return False
    if status in ALWAYS_AT_RISK_STATUSES:
        return True
    return status in NOT_YET_SHIPPED_STATUSES and (promised_date - today).days <= risk_days


@dataclass(frozen=True)
class OtifFigures:
    """Counts over delivered orders and the rates they give (None when nothing was delivered)."""

    delivered: int
    on_time: int
    in_full: int
    on_time_in_full: int

    @property
    def otif_pct(self) -> Decimal | None:
        return _pct(self.on_time_in_full, self.delivered)

    @property
    def on_time_pct(self) -> Decimal | None:
        return _pct(self.on_time, self.delivered)

    @property
    def in_full_pct(self) -> Decimal | None:
        return _pct(self.in_full, self.delivered)


def combine(parts: Iterable[OtifFigures]) -> OtifFigures:
    """The figures of a whole from those of its disjoint parts (a period from its quarters)."""
    rows = list(parts)
    return OtifFigures(
        delivered=sum(p.delivered for p in rows),
        on_time=sum(p.on_time for p in rows),
        in_full=sum(p.in_full for p in rows),
        on_time_in_full=sum(p.on_time_in_full for p in rows),
    )


def _pct(part: int, whole: int) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def quarter_of(day: dt.date) -> str:
    """A date's calendar quarter as "2025-Q3"."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_start(day: dt.date, back: int = 0) -> dt.date:
    """The first day of a date's calendar quarter, or of the quarter `back` quarters before it."""
    index = day.year * 4 + (day.month - 1) // 3 - back
    return dt.date(index // 4, index % 4 * 3 + 1, 1)
