"""Writes to contracts: terms, activation, termination, renewal and the renewal opportunity.

Pages, the API and the renewal job call these functions, so a rule lives once. Each call is one
transaction with its audit event; a refusal raises before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from steward.accounts.models import Account
from steward.accounts.selectors import accounts_visible_to
from steward.catalogue.models import Product
from steward.contracts.choices import (
    EDITABLE,
    RENEWABLE,
    ContractStatus,
    ServiceLevelKind,
    ServiceLevelUnit,
)
from steward.contracts.engine import renewal, term
from steward.contracts.models import Contract, ContractServiceLevel
from steward.core import audit
from steward.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from steward.core.services import apply_fields, check_version, full_clean_or_fail
from steward.pipeline.models import Opportunity
from steward.pipeline.services import opportunity_create_renewal
from steward.users.models import User

CONTRACT_FIELDS = frozenset({
    "name", "owner", "start_on", "end_on", "currency", "annual_value", "total_value", "auto_renew",
    "renewal_term_months", "notice_period_days", "warranty_terms", "description",
})
MAX_SERVICE_LEVELS = 30


class ContractStateError(ApplicationError):
    """The action does not fit the contract's status (e.g. terminating an expired contract)."""

    status_code = 409


@dataclass(frozen=True)
class ServiceLevelInput:
    """One service level as a page or the API gives it."""

    metric: str
    target: Decimal
    unit: str = ServiceLevelUnit.PERCENT
    kind: str = ServiceLevelKind.OTHER
    notes: str = ""


@dataclass(frozen=True)
class RenewalRun:
    """What one run of the renewal job did."""

    opportunities: int = 0
    expired: int = 0
    auto_renewed: int = 0


# Permissions -----------------------------------------------------------------------------------


def can_write_contract(user: User, contract: Contract) -> bool:
    """Anyone who can see the contract's account may work on it, except read-only roles."""
    if user.is_read_only or not user.is_active:
        return False
    return accounts_visible_to(user).filter(pk=contract.account_id).exists()


def _require_writer(actor: User, account: Account) -> None:
    if actor.is_read_only or not actor.is_active:
        raise PermissionDenied("Your role is read-only: you cannot change contracts.")
    if not accounts_visible_to(actor).filter(pk=account.pk).exists():
        raise PermissionDenied("You can only work on contracts of accounts in your portfolio.")


def _locked(contract: Contract) -> Contract:
    """Re-read under a row lock: concurrent actions on one contract run one after the other."""
    return Contract.objects.select_for_update(of=("self",)).select_related("account").get(pk=contract.pk)


# Content ---------------------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", field_errors={field: [message]})


def _normalise(data: Mapping[str, Any]) -> dict[str, Any]:
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    if isinstance(clean.get("currency"), str):
        clean["currency"] = clean["currency"].upper()
    return clean


def _derive(contract: Contract, *, total_given: bool | None) -> None:
    """Keep the computed fields true: total value (unless negotiated) and the notice deadline."""
    if total_given is not None:
        contract.total_value_given = total_given
    if contract.start_on and contract.end_on and contract.end_on >= contract.start_on:
        if not contract.total_value_given and contract.annual_value is not None:
            contract.total_value = term.total_value(Decimal(contract.annual_value), contract.start_on, contract.end_on)
        contract.notice_deadline = renewal.notice_deadline(contract.end_on, int(contract.notice_period_days or 0))


def _apply(contract: Contract, data: Mapping[str, Any]) -> list[str]:
    clean = _normalise(data)
    total_given: bool | None = None
    if "total_value" in clean:
        # An empty total means "compute it"; a number is a negotiated total.
        total_given = clean["total_value"] not in (None, "")
        if not total_given:
            clean.pop("total_value")
    if clean.get("owner", "") is None:
        clean.pop("owner")
    for name in ("annual_value", "total_value"):
        if name in clean and clean[name] is not None and not isinstance(clean[name], Decimal):
            try:
                clean[name] = Decimal(str(clean[name]))
            except (InvalidOperation, ValueError):
                raise _invalid(name, "Enter a number.") from None
    changed = apply_fields(contract, clean, allowed=CONTRACT_FIELDS)
    if contract.start_on and contract.end_on and contract.end_on < contract.start_on:
        raise _invalid("end_on", "The end date must be on or after the start date.")
    was_given = contract.total_value_given
    _derive(contract, total_given=total_given)
    if was_given != contract.total_value_given:
        changed.append("total_value_given")
    return changed


def _check_owner(contract: Contract) -> None:
    if contract.owner_id and not User.objects.filter(pk=contract.owner_id, is_active=True).exists():
        raise _invalid("owner", "Choose an active colleague.")


def _products(products: Sequence[Product] | None, kept: set[int]) -> list[Product] | None:
    if products is None:
        return None
    for product in products:
        if not product.is_active and product.pk not in kept:
            raise _invalid("products", f"{product.sku} is inactive and cannot be added to a contract.")
    return list({p.pk: p for p in products}.values())


def _service_levels(contract: Contract, levels: Sequence[ServiceLevelInput] | None) -> list[ContractServiceLevel] | None:
    if levels is None:
        return None
    if len(levels) > MAX_SERVICE_LEVELS:
        raise _invalid("service_levels", f"A contract has at most {MAX_SERVICE_LEVELS} service levels.")
    built = []
    for row, given in enumerate(levels, start=1):
        metric = (given.metric or "").strip()
        if not metric:
            raise _invalid("service_levels", f"Row {row}: say what is measured.")
        try:
            target = given.target if isinstance(given.target, Decimal) else Decimal(str(given.target))
        except (InvalidOperation, ValueError, TypeError):
            raise _invalid("service_levels", f"Row {row}: the target must be a number.") from None
        if not target.is_finite() or target < 0:
            raise _invalid("service_levels", f"Row {row}: the target must be zero or more.")
        if given.unit not in ServiceLevelUnit.values:
            raise _invalid("service_levels", f"Row {row}: unit must be one of {', '.join(ServiceLevelUnit.values)}.")
        if given.kind not in ServiceLevelKind.values:
            raise _invalid("service_levels", f"Row {row}: kind must be one of {', '.join(ServiceLevelKind.values)}.")
        if given.unit == ServiceLevelUnit.PERCENT and target > 100:
            raise _invalid("service_levels", f"Row {row}: a percentage is at most 100.")
        level = ContractServiceLevel(
            contract=contract, position=row, kind=given.kind, metric=metric[:120], target=target.quantize(Decimal("0.01")),
            unit=given.unit, notes=(given.notes or "").strip(),
        )
        try:
            full_clean_or_fail(level, exclude=["public_id", "contract"])
        except ValidationFailed as exc:
            raise _invalid("service_levels", f"Row {row}: {exc.message}") from exc
        built.append(level)
    return built


def _store(contract: Contract, products: list[Product] | None, levels: list[ContractServiceLevel] | None) -> None:
    contract.save()
    if products is not None:
        contract.products.set(products)
    if levels is not None:
        contract.service_levels.all().delete()
        for level in levels:
            level.contract = contract
        ContractServiceLevel.objects.bulk_create(levels)


def _snapshot(contract: Contract) -> dict[str, Any]:
    data = audit.snapshot(contract, exclude=("created_at", "updated_at", "version"))
    data["products"] = sorted(contract.products.values_list("sku", flat=True)) if contract.pk else []
    data["service_levels"] = [
        [kind, metric, str(target), unit]
        for kind, metric, target, unit in contract.service_levels.order_by("position").values_list("kind", "metric", "target", "unit")
    ] if contract.pk else []
    return data


def _next_number(today: dt.date) -> str:
    prefix = f"C-{today.year}-"
    last = Contract.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True).first()
    n = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{n:06d}"


def _save_new(contract: Contract, products: list[Product] | None, levels: list[ContractServiceLevel] | None) -> None:
    """Save a new contract under the next number; retry when a concurrent creation took it."""
    for attempt in range(5):
        contract.number = _next_number(timezone.localdate())
        try:
            with transaction.atomic():
                _store(contract, products, levels)
            return
        except IntegrityError:
            contract.pk = None
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def contract_create(
    *,
    actor: User,
    account: Account,
    data: Mapping[str, Any],
    products: Sequence[Product] | None = None,
    service_levels: Sequence[ServiceLevelInput] | None = None,
) -> Contract:
    """A draft contract for an account; the total follows from annual value and term unless given."""
    _require_writer(actor, account)
    contract = Contract(account=account, owner=actor, created_by=actor, currency=account.currency)
    for required in ("start_on", "end_on"):
        if not data.get(required):
            raise _invalid(required, "This field is required.")
    _apply(contract, data)
    if not contract.name:
        contract.name = f"Agreement with {account.name}"
    contract.number = "pending"
    full_clean_or_fail(contract, exclude=["public_id", "number"])
    _check_owner(contract)
    _save_new(contract, _products(products, set()), _service_levels(contract, service_levels))
    audit.record(actor=actor, action="create", instance=contract, before=None, after=_snapshot(contract), account_id=account.pk)
    return contract


@transaction.atomic
def contract_update(
    *,
    actor: User,
    contract: Contract,
    data: Mapping[str, Any] | None = None,
    products: Sequence[Product] | None = None,
    service_levels: Sequence[ServiceLevelInput] | None = None,
    expected_version: int | None = None,
) -> Contract:
    """Change a draft or active contract's terms, products or service levels."""
    _require_writer(actor, contract.account)
    contract = _locked(contract)
    check_version(contract, expected_version)
    if contract.status not in EDITABLE:
        raise ContractStateError(f"A {contract.get_status_display().lower()} contract cannot be changed.")
    before = _snapshot(contract)
    _apply(contract, data or {})
    full_clean_or_fail(contract, exclude=["public_id"])
    _check_owner(contract)
    kept = set(contract.products.values_list("pk", flat=True))
    _store(contract, _products(products, kept), _service_levels(contract, service_levels))
    after = _snapshot(contract)
    if after == before:
        return contract
    contract.version += 1
    contract.save(update_fields=["version", "updated_at"])
    audit.record(actor=actor, action="update", instance=contract, before=before, after=after, account_id=contract.account_id)
    return contract


# Workflow --------------------------------------------------------------------------------------


def _transition(actor: User | None, contract: Contract, now: dt.datetime, event: str, **changes: Any) -> Contract:
    before = {"status": contract.status}
    for name, value in changes.items():
        setattr(contract, name, value)
    contract.version += 1
    contract.save()
    after = {"status": contract.status, "event": event}
    audit.record(actor=actor, action="update", instance=contract, before=before, after=after, account_id=contract.account_id, now=now)
    return contract


@transaction.atomic
def contract_activate(*, actor: User, contract: Contract, now: dt.datetime | None = None, expected_version: int | None = None) -> Contract:
    """Put a draft contract into force; refused once its end date has passed."""
    now = now or timezone.now()
    _require_writer(actor, contract.account)
    contract = _locked(contract)
    check_version(contract, expected_version)
    if contract.status != ContractStatus.DRAFT:
        raise ContractStateError(f"Only a draft can be activated; this contract is {contract.get_status_display().lower()}.")
    if contract.end_on < timezone.localdate(now):
        raise _invalid("end_on", f"This contract ended on {contract.end_on:%d %b %Y}: change the end date before activating it.")
    return _transition(actor, contract, now, "activated", status=ContractStatus.ACTIVE, activated_at=now)


@transaction.atomic
def contract_terminate(
    *, actor: User, contract: Contract, reason: str, now: dt.datetime | None = None, expected_version: int | None = None
) -> Contract:
    """End a draft or active contract early, with the reason."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", "Say why the contract is terminated.")
    _require_writer(actor, contract.account)
    contract = _locked(contract)
    check_version(contract, expected_version)
    if contract.status not in (ContractStatus.DRAFT, ContractStatus.ACTIVE):
        raise ContractStateError(f"A {contract.get_status_display().lower()} contract cannot be terminated.")
    return _transition(
        actor, contract, now, f"terminated: {reason}", status=ContractStatus.TERMINATED, terminated_at=now, termination_reason=reason
    )


def _follow_on(actor: User | None, contract: Contract, data: Mapping[str, Any], *, activate: bool, now: dt.datetime) -> Contract:
    if contract.status not in RENEWABLE:
        raise ContractStateError(f"A {contract.get_status_display().lower()} contract cannot be renewed.")
    if Contract.objects.filter(previous=contract).exclude(status=ContractStatus.TERMINATED).exists():
        raise ContractStateError("This contract has already been renewed.")
    start, end = term.follow_on_dates(contract.end_on, contract.renewal_term_months)
    follow = Contract(
        account=contract.account, owner=contract.owner, created_by=actor, previous=contract, name=contract.name,
        start_on=start, end_on=end, currency=contract.currency, annual_value=contract.annual_value,
        auto_renew=contract.auto_renew, renewal_term_months=contract.renewal_term_months,
        notice_period_days=contract.notice_period_days, warranty_terms=contract.warranty_terms, description=contract.description,
        status=ContractStatus.ACTIVE if activate else ContractStatus.DRAFT, activated_at=now if activate else None,
    )
    _apply(follow, data)
    follow.number = "pending"
    full_clean_or_fail(follow, exclude=["public_id", "number"])
    levels = [
        ServiceLevelInput(metric=s.metric, target=s.target, unit=s.unit, kind=s.kind, notes=s.notes)
        for s in contract.service_levels.order_by("position")
    ]
    _save_new(follow, list(contract.products.all()), _service_levels(follow, levels))
    audit.record(actor=actor, action="create", instance=follow, before=None, after={**_snapshot(follow), "renews": contract.number},
                 account_id=follow.account_id, now=now)
    _transition(actor, contract, now, f"renewed by {follow.number}", status=ContractStatus.RENEWED)
    return follow


@transaction.atomic
def contract_renew(
    *, actor: User, contract: Contract, data: Mapping[str, Any] | None = None, activate: bool = False, now: dt.datetime | None = None,
) -> Contract:
    """The follow-on contract: starts the day after this one ends, for the renewal term, same terms unless `data` changes them.

    The follow-on starts as a draft (to adjust and activate) unless `activate`; this contract becomes renewed.
    """
    now = now or timezone.now()
    _require_writer(actor, contract.account)
    contract = _locked(contract)
    return _follow_on(actor, contract, data or {}, activate=activate, now=now)


def _open_renewal_opportunity(actor: User | None, contract: Contract, now: dt.datetime) -> Opportunity:
    opportunity = opportunity_create_renewal(
        account=contract.account, name=f"Renewal: {contract.name}", amount=contract.annual_value, currency=contract.currency,
        close_date=contract.end_on, owner=contract.owner, actor=actor,
    )
    before = {"renewal_opportunity_id": None}
    contract.renewal_opportunity = opportunity
    contract.version += 1
    contract.save(update_fields=["renewal_opportunity", "version", "updated_at"])
    audit.record(actor=actor, action="update", instance=contract, before=before,
                 after={"renewal_opportunity_id": opportunity.pk, "event": "renewal opportunity opened"}, account_id=contract.account_id, now=now)
    return opportunity


@transaction.atomic
def contract_create_renewal_opportunity(*, actor: User, contract: Contract, now: dt.datetime | None = None) -> Opportunity:
    """Open the renewal opportunity now (the renewal job would open it when the end comes within the lead time)."""
    now = now or timezone.now()
    _require_writer(actor, contract.account)
    contract = _locked(contract)
    if contract.status != ContractStatus.ACTIVE:
        raise ContractStateError("Only an active contract gets a renewal opportunity.")
    if contract.renewal_opportunity_id is not None:
        raise ContractStateError("This contract already has a renewal opportunity.")
    return _open_renewal_opportunity(actor, contract, now)


# The renewal job --------------------------------------------------------------------------------


def renewal_candidates(*, today: dt.date, lead_days: int) -> list[int]:
    """Active contracts ending within the lead time that have no renewal opportunity yet (one query)."""
    return list(
        Contract.objects.filter(
            status=ContractStatus.ACTIVE, renewal_opportunity__isnull=True, end_on__gte=today,
            end_on__lte=today + dt.timedelta(days=lead_days),
        ).order_by("end_on", "id").values_list("pk", flat=True)
    )


def _renewal_opportunity_for(pk: int, today: dt.date, lead_days: int, now: dt.datetime) -> bool:
    """One contract, one transaction; re-checked under the lock so two runs never open two."""
    with transaction.atomic():
        contract = Contract.objects.select_for_update(of=("self",)).select_related("account", "owner").filter(pk=pk).first()
        if contract is None or contract.status != ContractStatus.ACTIVE or contract.renewal_opportunity_id is not None:
            return False
        if not renewal.renewal_opportunity_due(contract.end_on, today=today, lead_days=lead_days):
            return False
        _open_renewal_opportunity(None, contract, now)
        return True


def _settle_ended(pk: int, today: dt.date, now: dt.datetime) -> str:
    """An active contract past its end: renewed when it renews automatically, expired otherwise."""
    with transaction.atomic():
        contract = Contract.objects.select_for_update(of=("self",)).select_related("account", "owner").filter(pk=pk).first()
        if contract is None or contract.status != ContractStatus.ACTIVE or contract.end_on >= today:
            return ""
        if contract.auto_renew and not Contract.objects.filter(previous=contract).exclude(status=ContractStatus.TERMINATED).exists():
            _follow_on(None, contract, {}, activate=True, now=now)
            return "renewed"
        _transition(None, contract, now, f"expired (ended {contract.end_on:%Y-%m-%d})", status=ContractStatus.EXPIRED)
        return "expired"


def contracts_renewal_run(*, now: dt.datetime, lead_days: int | None = None, limit: int = 5000) -> RenewalRun:
    """Open due renewal opportunities, and expire or auto-renew contracts past their end; idempotent.

    Candidates are found with one set-based query each; every contract is then handled in its own
    transaction, so a failure or a crash leaves the others done and a second run finishes the rest.
    """
    today = timezone.localdate(now)
    lead = settings.STEWARD_RENEWAL_LEAD_DAYS if lead_days is None else lead_days
    ended = list(
        Contract.objects.filter(status=ContractStatus.ACTIVE, end_on__lt=today).order_by("end_on", "id").values_list("pk", flat=True)[:limit]
    )
    outcomes = [_settle_ended(pk, today, now) for pk in ended]
    # Auto-renewed follow-ons may themselves end within the lead time: candidates are read after.
    opened = sum(_renewal_opportunity_for(pk, today, lead, now) for pk in renewal_candidates(today=today, lead_days=lead)[:limit])
    return RenewalRun(opportunities=opened, expired=outcomes.count("expired"), auto_renewed=outcomes.count("renewed"))
