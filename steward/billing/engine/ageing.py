"""Receivables ageing, days-to-pay and the late-payer rule, as pure functions (the date is passed in).

Buckets, by days past the due date on the `as_of` date:

    current   not yet due (due today or later: 0 days past due)
    1-30      1 to 30 days past due
    31-60     31 to 60
    61-90     61 to 90
    90+       91 days or more

Late-payer rule (per account, as of a date): the account is a late payer when the invoices it
settled in the last 12 months were paid on average more than 15 days after their due date, or when
any invoice it still owes money on is more than 60 days past due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)
LATE_AVERAGE_DAYS = 15  # average days late over the window above which an account pays late
LATE_WINDOW_DAYS = 365  # settled invoices looked at: the last 12 months
LATE_OVERDUE_DAYS = (
    60  # an open invoice more than this many days past due makes the account a late payer
)


@dataclass(frozen=True)
class Bucket:
    """A band of days past due, bounds inclusive; `high` None for open-ended."""

    key: str
    label: str
    low: int
    high: int | None


BUCKETS: tuple[Bucket, ...] = (
    Bucket("current", "Current", -(10**6), 0),
    Bucket("d1_30", "1-30 days", 1, 30),
    Bucket("d31_60", "31-60 days", 31, 60),
    Bucket("d61_90", "61-90 days", 61, 90),
    Bucket("d90_plus", "90+ days", 91, None),
)
BUCKET_KEYS = tuple(b.key for b in BUCKETS)
OVERDUE_KEYS = BUCKET_KEYS[1:]


def days_past_due(due_on: dt.date, as_of: dt.date) -> int:
    """Days after the due date (0 on the due date, negative before it)."""
    return (as_of - due_on).days


def bucket_for(days: int) -> Bucket:
    """The bucket a number of days past due falls in."""
    for bucket in BUCKETS:
        if days >= bucket.low and (bucket.high is None or days <= bucket.high):
            return bucket
    return BUCKETS[0]  # below the first bound: far from due, still current


def due_on_range(bucket: Bucket, as_of: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The due dates (inclusive, None = unbounded) whose invoices fall in `bucket` on `as_of`.

    Selectors use it to bucket in the database by comparing `due_on` with constant dates.
    """
    earliest = None if bucket.high is None else as_of - dt.timedelta(days=bucket.high)
    latest = None if bucket.key == "current" else as_of - dt.timedelta(days=bucket.low)
    return earliest, latest


@dataclass(frozen=True)
class OpenItem:
    """An amount still owed, and when it was due."""

    due_on: dt.date
    balance: Decimal


@dataclass(frozen=True)
class Ageing:
    """Balances per bucket; `total` is everything owed, `overdue` everything past due."""

    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKET_KEYS, ZERO))

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return sum((self.buckets[k] for k in OVERDUE_KEYS), ZERO)


def age(items: Iterable[OpenItem], as_of: dt.date) -> Ageing:
    """Sum balances into the buckets on `as_of`; nothing owed (zero or less) is skipped."""
    buckets = dict.fromkeys(BUCKET_KEYS, ZERO)
    for item in items:
        if item.balance <= 0:
            continue
        buckets[bucket_for(days_past_due(item.due_on, as_of)).key] += item.balance
    return Ageing(buckets=buckets)


@dataclass(frozen=True)
class SettledItem:
    """A fully paid invoice: its date, due date and the date it was settled."""

    issued_on: dt.date
    due_on: dt.date
    paid_on: dt.date


def days_to_pay(item: SettledItem) -> int:
    """Days from the invoice date to settlement."""
    return (item.paid_on - item.issued_on).days


def days_late(item: SettledItem) -> int:
    """Days from the due date to settlement (negative when paid early)."""
    return (item.paid_on - item.due_on).days


@dataclass(frozen=True)
class PaymentBehaviour:
    """How an account pays: averages over settled invoices in the window, the oldest open item, the flag."""

    average_days_to_pay: Decimal | None
    average_days_late: Decimal | None
    settled_count: int
    max_days_overdue: int
    is_late_payer: bool


def is_late_payer(average_days_late: Decimal | float | None, max_days_overdue: int | None) -> bool:
    """The late-payer rule (see the module docstring)."""
    if average_days_late is not None and Decimal(str(average_days_late)) > LATE_AVERAGE_DAYS:
        return True
    return max_days_overdue is not None and max_days_overdue > LATE_OVERDUE_DAYS


def behaviour(
    settled: Iterable[SettledItem], open_items: Iterable[OpenItem], as_of: dt.date
) -> PaymentBehaviour:
    """Payment behaviour of one account on `as_of`, from its settled invoices and what it still owes."""
    window_start = as_of - dt.timedelta(days=LATE_WINDOW_DAYS)
    recent = [s for s in settled if window_start <= s.paid_on <= as_of]
    average_pay = average_late = None
    if recent:
        average_pay = (Decimal(sum(days_to_pay(s) for s in recent)) / len(recent)).quantize(
            Decimal("0.1")
        )
        average_late = (Decimal(sum(days_late(s) for s in recent)) / len(recent)).quantize(
            Decimal("0.1")
        )
    overdue = [days_past_due(i.due_on, as_of) for i in open_items if i.balance > 0]
    worst = max([0, *overdue])
    return PaymentBehaviour(
        average_pay, average_late, len(recent), worst, is_late_payer(average_late, worst)
    )


def due_date(issued_on: dt.date, payment_terms_days: int) -> dt.date:
    """Net N: due N days after the invoice date."""
    return issued_on + dt.timedelta(days=payment_terms_days)
