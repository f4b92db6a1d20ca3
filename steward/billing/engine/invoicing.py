"""Invoice arithmetic: what of an order line may still be invoiced, line amounts, totals, payment status."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)


def money(value: Decimal) -> Decimal:
    """Rounded to the cent, halves away from zero (as invoices are printed)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class OrderLineFacts:
    """An order line as invoicing sees it: quantities, price, the amount, and what is already invoiced."""

    quantity: Decimal
    delivered_quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    amount: Decimal
    invoiced_quantity: Decimal
    invoiced_amount: Decimal


def invoiceable_quantity(line: OrderLineFacts, *, delivered_only: bool) -> Decimal:
    """What may still be invoiced: delivered (or ordered) quantity less what is already invoiced, never negative."""
    basis = min(line.delivered_quantity, line.quantity) if delivered_only else line.quantity
    return max(ZERO, basis - line.invoiced_quantity)


def slice_amount(line: OrderLineFacts, quantity: Decimal) -> Decimal:
    """The amount for `quantity` of the line; the slice that completes the line takes the rest of its amount,
    so the invoices of a fully invoiced line add up to the line's amount to the cent."""
    if line.invoiced_quantity + quantity >= line.quantity:
        return max(ZERO, line.amount - line.invoiced_amount)
    return money(quantity * line.unit_price * (HUNDRED - line.discount_percent) / HUNDRED)


def net_unit_price(line: OrderLineFacts) -> Decimal:
    """Unit price after the line discount."""
    return money(line.unit_price * (HUNDRED - line.discount_percent) / HUNDRED)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax_amount: Decimal
    total: Decimal


def invoice_totals(line_amounts: Iterable[Decimal], tax_rate: Decimal) -> Totals:
    """Subtotal of the lines, tax at `tax_rate` percent on the subtotal, and the total."""
    subtotal = money(sum(line_amounts, ZERO))
    tax = money(subtotal * tax_rate / HUNDRED)
    return Totals(subtotal, tax, subtotal + tax)


def payment_status(total: Decimal, amount_paid: Decimal) -> str:
    """issued (nothing paid), partially_paid or paid, for an issued invoice."""
    if amount_paid <= 0:
        return "issued"
    if amount_paid >= total:
        return "paid"
    return "partially_paid"
