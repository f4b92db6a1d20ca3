"""Quota periods: a month, a quarter or a year, named by its first day."""

from __future__ import annotations

import datetime as dt

KINDS = ("month", "quarter", "year")


def period_start(kind: str, day: dt.date) -> dt.date:
    """The first day of the `kind` period that contains `day`."""
    if kind == "month":
        return day.replace(day=1)
    if kind == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if kind == "year":
        return dt.date(day.year, 1, 1)
    raise ValueError(f"unknown period kind {kind!r}; use one of {', '.join(KINDS)}")


def period_end(kind: str, start: dt.date) -> dt.date:
    """The first day after the period that starts on `start` (exclusive end)."""
    start = period_start(kind, start)
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def shift(kind: str, start: dt.date, periods: int) -> dt.date:
    """The start of the period `periods` away from the one starting on `start` (negative: earlier)."""
    start = period_start(kind, start)
    months = {"month": 1, "quarter": 3, "year": 12}[kind] * periods
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_label(kind: str, start: dt.date) -> str:
    """'Q3 2026', 'Mar 2026' or '2026'."""
    start = period_start(kind, start)
    if kind == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if kind == "month":
        return start.strftime("%b %Y")
    return str(start.year)
