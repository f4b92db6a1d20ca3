"""Quote totals in `Decimal`: line nets, discounts measured against list price, margin.

A line's discount is measured against the catalogue's list price, whatever way it was given: a
percentage off, a lower unit price, or both. Approval rules read these figures, so lowering a
unit price instead of entering a discount does not slip past them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Line:
    """One quote line: what is sold, at what price, and (when known) what it costs us."""

    quantity: Decimal
    list_price: Decimal
    unit_price: Decimal
    discount_pct: Decimal = Decimal(0)
    unit_cost: Decimal | None = None

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError("quantity must be positive")
        if self.list_price < 0 or self.unit_price < 0:
            raise ValueError("prices cannot be negative")
        if not Decimal(0) <= self.discount_pct <= HUNDRED:
            raise ValueError("discount_pct must be between 0 and 100")


@dataclass(frozen=True)
class LineTotals:
    list_amount: Decimal
    net_amount: Decimal
    discount_pct: Decimal  # effective, against list price


@dataclass(frozen=True)
class Totals:
    """The figures of a whole quote, rounded to cents (percentages to two places)."""

    lines: tuple[LineTotals, ...]
    list_total: Decimal
    lines_total: Decimal
    extra_discount_amount: Decimal
    total: Decimal
    overall_discount_pct: Decimal
    max_line_discount_pct: Decimal
    margin_pct: Decimal | None  # None when a line has no known cost


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    if whole == 0:
        return Decimal(0)
    return (part / whole * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def line_totals(line: Line) -> LineTotals:
    """List amount, net amount after the line's discount, and its effective discount."""
    list_amount = _money(line.quantity * line.list_price)
    net = _money(line.quantity * line.unit_price * (HUNDRED - line.discount_pct) / HUNDRED)
    return LineTotals(
        list_amount=list_amount,
        net_amount=net,
        discount_pct=max(Decimal(0), _pct(list_amount - net, list_amount)),
    )


def quote_totals(lines: Sequence[Line], *, extra_discount_pct: Decimal = Decimal(0)) -> Totals:
    """Totals of a quote; `extra_discount_pct` is a nonstandard discount on the whole quote."""
    if not Decimal(0) <= extra_discount_pct <= HUNDRED:
        raise ValueError("extra_discount_pct must be between 0 and 100")
    per_line = tuple(line_totals(line) for line in lines)
    list_total = sum((t.list_amount for t in per_line), Decimal(0))
    lines_total = sum((t.net_amount for t in per_line), Decimal(0))
    extra = _money(lines_total * extra_discount_pct / HUNDRED)
    total = lines_total - extra
    margin: Decimal | None = None
    if lines and all(line.unit_cost is not None for line in lines):
        cost = sum(
            (line.quantity * line.unit_cost for line in lines if line.unit_cost is not None),
            Decimal(0),
        )
        margin = _pct(total - cost, total) if total else Decimal(0)
    return Totals(
        lines=per_line,
        list_total=list_total,
        lines_total=lines_total,
        extra_discount_amount=extra,
        total=total,
        overall_discount_pct=max(Decimal(0), _pct(list_total - total, list_total)),
        max_line_discount_pct=max((t.discount_pct for t in per_line), default=Decimal(0)),
        margin_pct=margin,
    )
