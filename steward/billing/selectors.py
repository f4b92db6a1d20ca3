"""Reads of invoices and receivables. Every read starts at `accounts_visible_to`; the sums run in the database.

Ageing buckets by comparing `due_on` with constant dates computed by the engine (no date arithmetic
in SQL, so the same query runs on SQLite and PostgreSQL). Amounts in other currencies are converted
in the query with the admin's exchange rates (`balance * rate`); a currency without a rate is left
out of converted figures and reported apart, as the accounts app does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)

from steward.accounts.engine.money import Converted, convert_sum
from steward.accounts.models import Account
from steward.accounts.selectors import (
    AccountRows,
    accounts_visible_to,
    exchange_rates,
    sees_every_account,
)
from steward.billing.choices import OPEN_STATUSES, InvoiceStatus
from steward.billing.engine import ageing
from steward.billing.models import Invoice, Payment
from steward.core.dbfunctions import InLiteral
from steward.core.errors import NotFound
from steward.users.models import User

ZERO = Decimal(0)
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=20, decimal_places=2)
INVOICE_SORTS = {
    "number": ("number",), "-number": ("-number",),
    "account": ("account__name", "-issued_on", "-id"), "-account": ("-account__name", "-issued_on", "-id"),
    "issued": ("issued_on", "id"), "-issued": ("-issued_on", "-id"),
    "due": ("due_on", "id"), "-due": ("-due_on", "-id"),
    "total": ("total", "id"), "-total": ("-total", "-id"),
    "balance": ("balance", "id"), "-balance": ("-balance", "-id"),
    "status": ("status", "-issued_on", "-id"), "-status": ("-status", "-issued_on", "-id"),
}
ACCOUNT_SORTS = {
    "name": ("account_name", "account_id"), "-name": ("-account_name", "account_id"),
    "total": ("total", "account_id"), "-total": ("-total", "account_id"),
    "overdue": ("overdue", "account_id"), "-overdue": ("-overdue", "account_id"),
    **{k: (k, "account_id") for k in ageing.BUCKET_KEYS},
    **{f"-{k}": (f"-{k}", "account_id") for k in ageing.BUCKET_KEYS},
    "days": ("avg_days_to_pay", "account_id"), "-days": ("-avg_days_to_pay", "account_id"),
    "late": ("avg_days_late", "account_id"), "-late": ("-avg_days_late", "account_id"),
    "oldest": ("oldest_due", "account_id"), "-oldest": ("-oldest_due", "account_id"),
}


def owing_q() -> Q:
    """Open invoices with a balance, written so SQLite as well as PostgreSQL reads them from the small
    open-invoices index (a bound status list never matches a partial index on SQLite)."""
    return Q(InLiteral("status", OPEN_STATUSES), balance__gt=0)


def invoices_visible_to(user: User) -> QuerySet[Invoice]:
    """Invoices of the accounts the user sees."""
    if not user.is_authenticated or not user.is_active:
        return Invoice.objects.none()
    if sees_every_account(user):
        return Invoice.objects.all()
    return Invoice.objects.filter(account__in=accounts_visible_to(user))


@dataclass(frozen=True)
class InvoiceFilters:
    q: str = ""
    status: str = ""
    overdue: bool = False
    account: str = ""  # an account's public id


def invoice_list(*, user: User, filters: InvoiceFilters, sort: str = "-issued", today: dt.date) -> QuerySet[Invoice]:
    """Invoices for the list page and the API, filtered and sorted."""
    qs = invoices_visible_to(user)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(Q(number__icontains=term) | Q(account__name__icontains=term) | Q(customer_reference__icontains=term))
    if filters.status in InvoiceStatus.values:
        qs = qs.filter(status=filters.status)
    if filters.overdue:
        qs = qs.filter(owing_q(), due_on__lt=today)
    if filters.account:
        qs = qs.filter(account__public_id=filters.account) if _is_uuid(filters.account) else qs.none()
    return qs.select_related("account", "order").order_by(*INVOICE_SORTS.get(sort, INVOICE_SORTS["-issued"]))


def _is_uuid(value: Any) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def invoice_get(*, user: User, public_id: Any) -> Invoice:
    """One visible invoice with what its page shows, or NotFound (also for others' invoices)."""
    try:
        return invoices_visible_to(user).select_related("account", "order", "contact", "created_by").get(public_id=public_id)
    except (Invoice.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such invoice.") from exc


def payment_get(*, user: User, public_id: Any) -> Payment:
    """One payment of a visible invoice, or NotFound."""
    try:
        return Payment.objects.select_related("invoice__account").get(public_id=public_id, invoice__in=invoices_visible_to(user))
    except (Payment.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such payment.") from exc


def payments_of(invoice: Invoice) -> QuerySet[Payment]:
    return invoice.payments.select_related("recorded_by", "reversed_by").order_by("received_on", "id")


def invoices_for_account(*, user: User, account: Account) -> QuerySet[Invoice]:
    """The invoices of one (visible) account, newest first."""
    return invoices_visible_to(user).filter(account=account).select_related("order").order_by("-issued_on", "-id")


def status_counts(user: User) -> dict[str, int]:
    rows = invoices_visible_to(user).values("status").annotate(n=Count("id")).order_by()
    return {r["status"]: r["n"] for r in rows}


# Ageing --------------------------------------------------------------------------------------------


def _rate(rates: dict[str, Decimal]) -> Case:
    """The rate into the reporting currency for a row's currency; NULL when there is none."""
    reporting = settings.REPORTING_CURRENCY
    whens = [When(currency=reporting, then=Value(Decimal(1), output_field=MONEY))]
    whens += [When(currency=c, then=Value(r, output_field=DecimalField(max_digits=20, decimal_places=8))) for c, r in sorted(rates.items()) if c != reporting]
    return Case(*whens, default=Value(None), output_field=DecimalField(max_digits=20, decimal_places=8))


def _bucket_q(bucket: ageing.Bucket, as_of: dt.date) -> Q:
    earliest, latest = ageing.due_on_range(bucket, as_of)
    q = owing_q()
    if earliest is not None:
        q &= Q(due_on__gte=earliest)
    if latest is not None:
        q &= Q(due_on__lte=latest)
    return q


def _bucket_sums(as_of: dt.date, amount: Any) -> dict[str, Any]:
    return {b.key: Sum(Case(When(_bucket_q(b, as_of), then=amount), default=None, output_field=MONEY)) for b in ageing.BUCKETS}


def _scoped(user: User) -> QuerySet[Invoice]:
    return invoices_visible_to(user)


@dataclass(frozen=True)
class PortfolioAgeing:
    """Receivables of everything the user sees, per bucket, in the reporting currency (and what had no rate)."""

    currency: str
    buckets: dict[str, Decimal]
    unconverted: dict[str, Decimal]
    open_invoices: int
    overdue_invoices: int
    accounts_owing: int

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return sum((self.buckets[k] for k in ageing.OVERDUE_KEYS), ZERO)

    @property
    def rows(self) -> list[tuple[ageing.Bucket, Decimal]]:
        return [(b, self.buckets[b.key]) for b in ageing.BUCKETS]


def portfolio_ageing(*, user: User, as_of: dt.date, account: Account | None = None) -> PortfolioAgeing:
    """Receivables ageing summed over the user's accounts (or one account): one grouped query per currency."""
    qs = _scoped(user).filter(owing_q())
    if account is not None:
        qs = qs.filter(account=account)
    overdue = Q(due_on__lt=as_of)
    rows: list[Any] = list(qs.values("currency").annotate(**_bucket_sums(as_of, F("balance")), n=Count("id"), n_overdue=Count("id", filter=overdue)).order_by())
    accounts_owing = qs.values("account_id").distinct().count() if account is None else (1 if rows else 0)
    rates = exchange_rates()
    target = settings.REPORTING_CURRENCY
    buckets: dict[str, Decimal] = {}
    unconverted: dict[str, Decimal] = {}
    for key in ageing.BUCKET_KEYS:
        converted: Converted = convert_sum({r["currency"]: r[key] for r in rows}, rates=rates, target=target)
        buckets[key] = converted.total
        for c, v in converted.unconverted.items():
            unconverted[c] = unconverted.get(c, ZERO) + v
    return PortfolioAgeing(
        currency=target, buckets=buckets, unconverted=unconverted, open_invoices=sum(r["n"] for r in rows),
        overdue_invoices=sum(r["n_overdue"] for r in rows), accounts_owing=accounts_owing,
    )


def _by_account(user: User, as_of: dt.date, rates: dict[str, Decimal]) -> QuerySet[Any]:
    rate = _rate(rates)
    converted = ExpressionWrapper(F("balance") * rate, output_field=MONEY)
    window = Q(status=InvoiceStatus.PAID, paid_on__gte=as_of - dt.timedelta(days=ageing.LATE_WINDOW_DAYS), paid_on__lte=as_of)
    owing = owing_q()
    sums = _bucket_sums(as_of, converted)
    late_from = as_of - dt.timedelta(days=ageing.LATE_OVERDUE_DAYS)
    return (
        _scoped(user).filter(owing | window)
        .values("account_id")  # grouped on the invoice column alone: no join to accounts while aggregating
        .annotate(
            **sums,
            total=Sum(Case(When(owing, then=converted), default=None, output_field=MONEY)),
            overdue=Sum(Case(When(owing & Q(due_on__lt=as_of), then=converted), default=None, output_field=MONEY)),
            open_count=Count("id", filter=owing),
            avg_days_to_pay=Avg("days_to_pay", filter=window),
            avg_days_late=Avg("days_late", filter=window),
            settled_count=Count("id", filter=window),
            oldest_due=Min("due_on", filter=owing),
            latest_paid=Max("paid_on", filter=window),
        )
        .annotate(
            is_late=Case(
                When(Q(avg_days_late__gt=ageing.LATE_AVERAGE_DAYS) | Q(oldest_due__lt=late_from), then=Value(True)),
                default=Value(False), output_field=BooleanField(),
            )
        )
    )


def receivables_by_account(*, user: User, as_of: dt.date, sort: str = "-overdue", late_only: bool = False, owing_only: bool = True) -> AccountRows:
    """One row per account: ageing buckets, total and overdue in the reporting currency, days-to-pay and days late
    (invoices settled in the last 12 months), the oldest open due date and the late-payer flag; sortable, in the database."""
    qs = _by_account(user, as_of, exchange_rates())
    if owing_only:
        qs = qs.filter(open_count__gt=0)
    if late_only:
        qs = qs.filter(is_late=True)
    order = ACCOUNT_SORTS.get(sort, ACCOUNT_SORTS["-overdue"])
    if order[0].lstrip("-") == "account_name":  # sorting by name needs it inside the query
        qs = qs.annotate(account_name=Subquery(Account.objects.filter(pk=OuterRef("account_id")).values("name")[:1]))
    qs = qs.order_by(*[_nulls_last(o) for o in order])
    if owing_only and not late_only:
        # Every account with an open balance has a row: count those accounts, without grouping.
        owing = _scoped(user).filter(owing_q())
        return AccountRows(qs, lambda: owing.aggregate(n=Count("account_id", distinct=True))["n"] or 0)
    return AccountRows(qs, qs.count)


def _nulls_last(name: str) -> Any:
    return F(name[1:]).desc(nulls_last=True) if name.startswith("-") else F(name).asc(nulls_last=True)


@dataclass(frozen=True)
class AccountReceivables:
    """One account's ageing (in its invoices' currencies), how it pays, and the late-payer flag."""

    as_of: dt.date
    ageing_by_currency: dict[str, ageing.Ageing]
    behaviour: ageing.PaymentBehaviour
    late_rule: str = field(default="")


def account_receivables(*, account: Account, as_of: dt.date) -> AccountReceivables:
    """The account's open balances per bucket and currency, and its payment behaviour (two grouped queries)."""
    qs = Invoice.objects.filter(account=account)
    owing = qs.filter(owing_q())
    by_currency = {}
    grouped: Any = owing.values("currency")
    for row in grouped.annotate(**_bucket_sums(as_of, F("balance"))).order_by("currency"):
        by_currency[row["currency"]] = ageing.Ageing(buckets={k: Decimal(row[k] or 0).quantize(CENT) for k in ageing.BUCKET_KEYS})
    window = qs.filter(status=InvoiceStatus.PAID, paid_on__gte=as_of - dt.timedelta(days=ageing.LATE_WINDOW_DAYS), paid_on__lte=as_of)
    figures = window.aggregate(pay=Avg("days_to_pay"), late=Avg("days_late"), n=Count("id"))
    oldest = owing.aggregate(d=Min("due_on"))["d"]
    worst = max(0, ageing.days_past_due(oldest, as_of)) if oldest else 0
    tenth = Decimal("0.1")
    pay = None if figures["pay"] is None else Decimal(str(figures["pay"])).quantize(tenth)
    late = None if figures["late"] is None else Decimal(str(figures["late"])).quantize(tenth)
    behaviour = ageing.PaymentBehaviour(pay, late, figures["n"], worst, ageing.is_late_payer(late, worst))
    return AccountReceivables(as_of, by_currency, behaviour, late_rule=LATE_RULE)


LATE_RULE = (
    f"Late payer: invoices settled in the last 12 months were paid on average more than {ageing.LATE_AVERAGE_DAYS} days after their due date, "
    f"or an invoice is more than {ageing.LATE_OVERDUE_DAYS} days overdue."
)


@dataclass(frozen=True)
class OverduePanel:
    total: Decimal
    currency: str
    unconverted: dict[str, Decimal]
    accounts: int
    worst: list[dict[str, Any]]


def overdue_panel(*, user: User, as_of: dt.date, limit: int = 5) -> OverduePanel:
    """Overdue receivables of the user's accounts (reporting currency) and the accounts owing the most overdue."""
    qs = _scoped(user).filter(owing_q(), due_on__lt=as_of)
    per_currency = {r["currency"]: r["s"] for r in qs.values("currency").annotate(s=Sum("balance")).order_by()}
    rates = exchange_rates()
    converted = convert_sum(per_currency, rates=rates, target=settings.REPORTING_CURRENCY)
    worst_rows = (
        qs.values("account_id")
        .annotate(overdue=Sum(ExpressionWrapper(F("balance") * _rate(rates), output_field=MONEY)), oldest_due=Min("due_on"), n=Count("id"))
        .order_by(F("overdue").desc(nulls_last=True), "account_id")
    )
    worst = [{**r, "days": ageing.days_past_due(r["oldest_due"], as_of)} for r in AccountRows(worst_rows, lambda: 0)[:limit]]
    accounts = qs.aggregate(n=Count("account_id", distinct=True))["n"] if worst else 0
    return OverduePanel(converted.total, converted.currency, converted.unconverted, accounts, worst)


def open_invoice_count(account: Account) -> int:
    return Invoice.objects.filter(InLiteral("status", OPEN_STATUSES), account=account).count()
