"""A contract's term and total value from its dates and annual value. Pure: no Django.

Rule: the term runs from the start date to the end date, both included. It is counted in whole
calendar months first (1 Jan to 31 Dec is 12 months, in a leap year too) and any days left over
count as days of a 365-day year. Total value = annual value x (months ÷ 12 + days ÷ 365),
rounded to the cent, half up. A value given explicitly (a negotiated total) is kept instead.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Term:
    """A term as whole months plus days left over."""

    months: int
    days: int

    @property
    def years(self) -> Decimal:
        return Decimal(self.months) / 12 + Decimal(self.days) / 365


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by `months` calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_between(start_on: dt.date, end_on: dt.date) -> Term:
    """The term from `start_on` to `end_on`, both days included."""
    if end_on < start_on:
        raise ValueError("the end date is before the start date")
    after_end = end_on + dt.timedelta(days=1)
    months = (after_end.year - start_on.year) * 12 + after_end.month - start_on.month
    while months > 0 and add_months(start_on, months) > after_end:
        months -= 1
    days = (after_end - add_months(start_on, months)).days
    return Term(months=months, days=days)


def total_value(annual_value: Decimal, start_on: dt.date, end_on: dt.date) -> Decimal:
    """The annual value over the whole term, to the cent."""
    return (annual_value * term_between(start_on, end_on).years).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def follow_on_dates(end_on: dt.date, term_months: int) -> tuple[dt.date, dt.date]:
    """Start and end of the contract that renews one ending on `end_on`, for `term_months` months."""
    start = end_on + dt.timedelta(days=1)
    return start, add_months(start, term_months) - dt.timedelta(days=1)
