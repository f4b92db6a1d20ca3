"""Reads of contracts. Visibility: contracts of the accounts the user sees, nothing else."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Case, CharField, Count, Q, QuerySet, Sum, Value, When

from steward.accounts.engine import money
from steward.accounts.models import Account
from steward.accounts.selectors import accounts_visible_to, exchange_rates, sees_every_account
from steward.contracts.choices import ContractStatus
from steward.contracts.engine.renewal import BANDS, RenewalTerms, renewal_alert
from steward.contracts.models import Contract
from steward.core.dbfunctions import MonthStart
from steward.core.errors import NotFound
from steward.users.models import User

CONTRACT_SORTS = {
    "number": ("number",), "-number": ("-number",),
    "account": ("account__name", "end_on", "id"), "-account": ("-account__name", "end_on", "id"),
    "end": ("end_on", "id"), "-end": ("-end_on", "-id"),
    "start": ("start_on", "id"), "-start": ("-start_on", "-id"),
    "value": ("annual_value", "id"), "-value": ("-annual_value", "-id"),
    "notice": ("notice_deadline", "id"), "-notice": ("-notice_deadline", "-id"),
    "status": ("status", "end_on", "id"), "-status": ("-status", "end_on", "id"),
}
ENDING_WITHIN = (30, 60, 90, 120, 180, 365)
ALERT_WINDOW = max(BANDS)


@dataclass(frozen=True)
class ContractFilters:
    q: str = ""
    status: str = ""
    owner: str = ""  # a username, or "me"
    ending_within: int | None = None  # days from today
    auto_renew: bool | None = None
    account: str = ""  # an account's public id


def contracts_visible_to(user: User) -> QuerySet[Contract]:
    """Contracts of the accounts the user sees (accounts_visible_to decides)."""
    if not user.is_authenticated or not user.is_active:
        return Contract.objects.none()
    if sees_every_account(user):
        return Contract.objects.all()
    return Contract.objects.filter(account__in=accounts_visible_to(user))


def contract_list(*, user: User, filters: ContractFilters, sort: str = "end", today: dt.date) -> QuerySet[Contract]:
    """Contracts for the list page and the API, filtered and sorted."""
    qs = contracts_visible_to(user)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(Q(number__icontains=term) | Q(name__icontains=term) | Q(account__name__icontains=term))
    if filters.status in ContractStatus.values:
        qs = qs.filter(status=filters.status)
    if filters.owner == "me":
        qs = qs.filter(owner=user)
    elif filters.owner:
        qs = qs.filter(owner__username=filters.owner)
    if filters.ending_within is not None:
        qs = qs.filter(end_on__gte=today, end_on__lte=today + dt.timedelta(days=filters.ending_within))
    if filters.auto_renew is not None:
        qs = qs.filter(auto_renew=filters.auto_renew)
    if filters.account:
        qs = qs.filter(account__public_id=filters.account)
    return qs.select_related("account", "owner").order_by(*CONTRACT_SORTS.get(sort, CONTRACT_SORTS["end"]))


def contract_get(*, user: User, public_id: Any) -> Contract:
    """One visible contract with what its page shows, or NotFound (also for others' contracts)."""
    try:
        return (
            contracts_visible_to(user)
            .select_related("account", "owner", "renewal_opportunity__stage", "previous", "created_by")
            .prefetch_related("products", "service_levels", "renewals")
            .get(public_id=public_id)
        )
    except (Contract.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such contract.") from exc


def contracts_for_account(*, user: User, account: Account) -> QuerySet[Contract]:
    """The contracts of one (visible) account, latest end first."""
    return contracts_visible_to(user).filter(account=account).select_related("owner", "renewal_opportunity").order_by("-end_on", "-id")


def status_counts(user: User) -> dict[str, int]:
    """How many visible contracts are in each status."""
    rows = contracts_visible_to(user).values("status").annotate(n=Count("id")).order_by()
    return {r["status"]: r["n"] for r in rows}


# Renewals ---------------------------------------------------------------------------------------


def _band_case(today: dt.date) -> Case:
    """The engine's day band, as SQL: 30/60/90/120 days left."""
    whens = [When(end_on__lte=today + dt.timedelta(days=limit), then=Value(str(limit))) for limit in sorted(BANDS)]
    return Case(*whens, default=Value("none"), output_field=CharField())


def _notice_passed_case(today: dt.date) -> Case:
    """The engine's notice-passed flag, as SQL: a notice deadline behind us on a running contract."""
    return Case(When(notice_period_days__gt=0, notice_deadline__lt=today, then=Value(True)), default=Value(False), output_field=BooleanField())


def renewals_due(
    *, user: User, today: dt.date, owner: User | str | None = None, band: str = "", window: int = ALERT_WINDOW,
) -> QuerySet[Contract]:
    """Active contracts of visible accounts ending within `window` days, with their band; notice deadlines first."""
    qs = contracts_visible_to(user).filter(status=ContractStatus.ACTIVE, end_on__gte=today, end_on__lte=today + dt.timedelta(days=window))
    if isinstance(owner, User):
        qs = qs.filter(owner=owner)
    elif owner == "me":
        qs = qs.filter(owner=user)
    elif owner:
        qs = qs.filter(owner__username=owner)
    qs = qs.annotate(band=_band_case(today), notice_passed=_notice_passed_case(today))
    if band == "notice":
        qs = qs.filter(notice_passed=True)
    elif band:
        qs = qs.filter(band=band)
    return qs.select_related("account", "owner", "renewal_opportunity").order_by("notice_deadline", "end_on", "id")


@dataclass(frozen=True)
class BandSummary:
    """Contracts and their annual value (in the reporting currency) in one alert band."""

    band: str
    label: str
    count: int
    annual_value: money.Converted


BAND_LABELS = {"notice": "Notice deadline passed", "30": "≤ 30 days", "60": "31 to 60 days", "90": "61 to 90 days", "120": "91 to 120 days"}


def renewal_bands(*, user: User, today: dt.date, owner: User | str | None = None) -> list[BandSummary]:
    """Count and annual value per day band, and of the contracts whose notice deadline passed (they are in a day
    band too), aggregated in the database and converted to the reporting currency."""
    due: QuerySet[Any] = renewals_due(user=user, today=today, owner=owner)
    rows = list(due.order_by().values("band", "currency").annotate(n=Count("id"), value=Sum("annual_value")))
    notice = due.filter(notice_passed=True).order_by().values("currency").annotate(n=Count("id"), value=Sum("annual_value"))
    rows += [{"band": "notice", **r} for r in notice]
    counts: dict[str, int] = {}
    sums: dict[str, dict[str, Decimal]] = {}
    for r in rows:
        counts[r["band"]] = counts.get(r["band"], 0) + r["n"]
        sums.setdefault(r["band"], {})[r["currency"]] = r["value"] or Decimal(0)
    rates, target = exchange_rates(), settings.REPORTING_CURRENCY
    return [
        BandSummary(key, label, counts.get(key, 0), money.convert_sum(sums.get(key, {}), rates=rates, target=target))
        for key, label in BAND_LABELS.items()
    ]


def renewal_value_by_month(*, user: User, today: dt.date, months: int = 12, owner: str = "") -> list[dict[str, Any]]:
    """Annual value of active contracts ending in each of the coming months (currency as stored), for the chart."""
    qs = contracts_visible_to(user).filter(status=ContractStatus.ACTIVE, end_on__gte=today, end_on__lt=today + dt.timedelta(days=31 * months))
    if owner == "me":
        qs = qs.filter(owner=user)
    elif owner:
        qs = qs.filter(owner__username=owner)
    rows = qs.annotate(month=MonthStart("end_on")).values("month", "auto_renew").annotate(n=Count("id"), value=Sum("annual_value")).order_by("month")
    return [dict(r) for r in rows]


def active_count_for_account(account: Account) -> int:
    """Contracts in force on the account (one indexed count)."""
    return Contract.objects.filter(account=account, status=ContractStatus.ACTIVE).count()


def contract_history(contract: Contract, limit: int = 50) -> list[Any]:
    """The contract's audit events, newest first."""
    from steward.core.models import AuditEvent

    return list(
        AuditEvent.objects.filter(object_type="contracts.contract", object_id=str(contract.public_id)).select_related("actor").order_by("-id")[:limit]
    )


def with_alerts(contracts: list[Contract], today: dt.date) -> list[Contract]:
    """Attach the engine's renewal alert to each contract shown (a page's worth, never a whole table)."""
    for c in contracts:
        c.alert = renewal_alert(RenewalTerms(end_on=c.end_on, notice_period_days=c.notice_period_days, auto_renew=c.auto_renew), today=today)  # type: ignore[attr-defined]
    return contracts
