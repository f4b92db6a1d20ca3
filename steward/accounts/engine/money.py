"""Summing amounts held in several currencies into one reporting currency."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Converted:
    """A total in the reporting currency, and what could not be converted (no rate), by currency."""

    currency: str
    total: Decimal
    unconverted: dict[str, Decimal] = field(default_factory=dict)


def convert_sum(
    amounts: Mapping[str, Decimal | int | None], *, rates: Mapping[str, Decimal], target: str
) -> Converted:
    """Convert per-currency sums with `rates` (target units per unit) and add them up.

    The target currency needs no rate. A currency without a rate is kept apart in `unconverted`
    rather than added as if it were the target currency.
    """
    total = Decimal(0)
    unconverted: dict[str, Decimal] = {}
    for currency, amount in amounts.items():
        if not amount:
            continue
        value = Decimal(amount)
        if currency == target:
            total += value
        elif currency in rates:
            total += value * rates[currency]
        else:
            unconverted[currency] = unconverted.get(currency, Decimal(0)) + value
    return Converted(
        currency=target, total=total.quantize(CENT), unconverted=dict(sorted(unconverted.items()))
    )
