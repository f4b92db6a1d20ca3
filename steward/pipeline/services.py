"""Writes to the pipeline: stages, opportunities and quotas. One transaction and audit event each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from steward.accounts.models import Account
from steward.accounts.selectors import accounts_visible_to
from steward.catalogue.models import Product
from steward.core import audit
from steward.core.errors import NotFound, PermissionDenied, ValidationFailed
from steward.core.services import apply_fields, check_version, full_clean_or_fail
from steward.pipeline.choices import LossReason, OpportunityType, StageOutcome
from steward.pipeline.engine.periods import period_start
from steward.pipeline.models import Opportunity, OpportunityLine, OpportunityStage, Quota
from steward.users.choices import Role
from steward.users.models import User
from steward.users.selectors import user_ids_in_scope

STAGE_FIELDS = frozenset({"name", "position", "probability", "outcome", "is_active"})
OPPORTUNITY_FIELDS = frozenset({"name", "type", "stage", "amount", "currency", "close_date", "owner", "next_step", "description"})
QUOTA_FIELDS = frozenset({"amount", "currency"})


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", field_errors={field: [message]})


# Stages -------------------------------------------------------------------------------------


def can_configure_pipeline(user: User) -> bool:
    """Admins and directors keep the stages and set quotas."""
    return bool(user.is_authenticated and user.is_active and (user.is_admin_role or user.role == Role.DIRECTOR))


def _require_configurer(actor: User) -> None:
    if not can_configure_pipeline(actor):
        raise PermissionDenied("Only admins and account directors change the pipeline stages and quotas.")


def _check_stage_set() -> None:
    """Exactly one active won stage and at least one active lost and open stage must remain."""
    active = list(OpportunityStage.objects.filter(is_active=True).values_list("outcome", flat=True))
    won, lost, open_ = (active.count(o) for o in (StageOutcome.WON, StageOutcome.LOST, StageOutcome.OPEN))
    if won != 1:
        raise _invalid("outcome", f"Exactly one active stage must be “Closed won” (there would be {won}).")
    if lost < 1:
        raise _invalid("outcome", "At least one active stage must be “Closed lost”.")
    if open_ < 1:
        raise _invalid("is_active", "At least one open stage must stay active.")


def _normalise_stage(data: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(data)
    if isinstance(clean.get("name"), str):
        clean["name"] = clean["name"].strip()
    if "probability" in clean and clean.get("outcome") == StageOutcome.WON:
        clean["probability"] = 100
    return clean


@transaction.atomic
def stage_create(*, actor: User, data: Mapping[str, Any]) -> OpportunityStage:
    """Add a stage; without a position it goes after the last open stage."""
    _require_configurer(actor)
    stage = OpportunityStage()
    data = _normalise_stage(data)
    if data.get("position") is None:
        last = OpportunityStage.objects.filter(outcome=StageOutcome.OPEN).order_by("-position").values_list("position", flat=True).first()
        data["position"] = (last or 0) + 1
    apply_fields(stage, data, allowed=STAGE_FIELDS)
    full_clean_or_fail(stage, exclude=["public_id"])
    stage.save()
    _check_stage_set()
    audit.record(actor=actor, action="create", instance=stage, before=None, after=audit.snapshot(stage))
    return stage


@transaction.atomic
def stage_update(*, actor: User, stage: OpportunityStage, data: Mapping[str, Any]) -> OpportunityStage:
    """Rename, reweight, reorder or (de)activate a stage; the won/lost rule is checked after."""
    _require_configurer(actor)
    stage = OpportunityStage.objects.select_for_update().get(pk=stage.pk)
    before = audit.snapshot(stage)
    changed = apply_fields(stage, _normalise_stage(data), allowed=STAGE_FIELDS)
    if not changed:
        return stage
    full_clean_or_fail(stage)
    if "outcome" in changed and stage.opportunities.exists():
        raise _invalid("outcome", "Opportunities are in this stage: its outcome cannot change. Add a new stage instead.")
    stage.save()
    _check_stage_set()
    audit.record(actor=actor, action="update", instance=stage, before=before, after=audit.snapshot(stage))
    return stage


@transaction.atomic
def stage_move(*, actor: User, stage: OpportunityStage, direction: int) -> None:
    """Swap a stage with its neighbour on the board (direction -1: left, +1: right); positions renumbered."""
    _require_configurer(actor)
    stages = list(OpportunityStage.objects.select_for_update().order_by("position", "name"))
    index = next(i for i, s in enumerate(stages) if s.pk == stage.pk)
    other = index + (1 if direction > 0 else -1)
    if not 0 <= other < len(stages):
        return
    stages[index], stages[other] = stages[other], stages[index]
    changes = []
    for position, s in enumerate(stages, start=1):
        if s.position != position * 10:
            before = audit.snapshot(s)
            s.position = position * 10
            s.save(update_fields=["position", "updated_at"])
            changes.append(audit.Change("update", s._meta.label_lower, str(s.public_id), str(s), None, before, audit.snapshot(s)))
    audit.record_changes(actor=actor, changes=changes)


@transaction.atomic
def stage_delete(*, actor: User, stage: OpportunityStage) -> None:
    """Remove an unused stage; a stage that opportunities are in can only be deactivated."""
    _require_configurer(actor)
    stage = OpportunityStage.objects.select_for_update().get(pk=stage.pk)
    used = stage.opportunities.count()
    if used:
        raise _invalid("stage", f"{used} opportunit{'y is' if used == 1 else 'ies are'} in “{stage.name}”: deactivate it instead of deleting it.")
    before = audit.snapshot(stage)
    stage.delete()
    _check_stage_set()
    audit.record(actor=actor, action="delete", instance=stage, before=before, after=None)


def won_stage() -> OpportunityStage:
    """The active stage opportunities close won into."""
    stage = OpportunityStage.objects.filter(is_active=True, outcome=StageOutcome.WON).first()
    if stage is None:
        raise ValidationFailed("No active “Closed won” stage: ask an admin to set up the pipeline stages.")
    return stage


def lost_stage() -> OpportunityStage:
    """The first active stage opportunities close lost into."""
    stage = OpportunityStage.objects.filter(is_active=True, outcome=StageOutcome.LOST).order_by("position").first()
    if stage is None:
        raise ValidationFailed("No active “Closed lost” stage: ask an admin to set up the pipeline stages.")
    return stage


def first_open_stage() -> OpportunityStage:
    """Where new opportunities start: the first active open stage by position."""
    stage = OpportunityStage.objects.filter(is_active=True, outcome=StageOutcome.OPEN).order_by("position", "name").first()
    if stage is None:
        raise ValidationFailed("No active open stage: ask an admin to set up the pipeline stages.")
    return stage


# Opportunities ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    """A product line as a form or API sends it."""

    product: Product
    quantity: Decimal
    unit_price: Decimal | None = None  # None: the product's list price


def can_edit_opportunity(user: User, account: Account) -> bool:
    """Like accounts: anyone who can see the account, except read-only roles."""
    if user.is_read_only or not user.is_active:
        return False
    return accounts_visible_to(user).filter(pk=account.pk).exists()


def _require_editable(actor: User, account: Account) -> None:
    if actor.is_read_only or not actor.is_active:
        raise PermissionDenied("Your role is read-only: you can view opportunities but not change them.")
    if not accounts_visible_to(actor).filter(pk=account.pk).exists():
        raise NotFound("No such account.")


def _snapshot(opportunity: Opportunity) -> dict[str, Any]:
    lines = [
        [sku, str(qty), str(price)]
        for sku, qty, price in opportunity.lines.order_by("id").values_list("product__sku", "quantity", "unit_price")
    ]
    return {**audit.snapshot(opportunity), "lines": lines}


def _normalise_opportunity(data: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(data)
    if isinstance(clean.get("currency"), str):
        clean["currency"] = clean["currency"].strip().upper()
    if isinstance(clean.get("name"), str):
        clean["name"] = clean["name"].strip()
    return clean


def _check_open_stage(stage: OpportunityStage | None, *, current: OpportunityStage | None = None) -> None:
    if stage is None:
        return
    if stage.outcome != StageOutcome.OPEN:
        raise _invalid("stage", f"“{stage.name}” closes the opportunity: use Close won or Close lost.")
    if not stage.is_active and (current is None or current.pk != stage.pk):
        raise _invalid("stage", f"“{stage.name}” is no longer in use; pick an active stage.")


def _set_lines(opportunity: Opportunity, lines: Sequence[LineInput] | None) -> bool:
    """Replace the lines; when there are lines the amount is their total. True when lines were given."""
    if lines is None:
        return False
    rows = []
    for index, line in enumerate(lines, start=1):
        price = line.product.list_price if line.unit_price is None else line.unit_price
        if line.quantity is None or line.quantity <= 0:
            raise ValidationFailed(f"lines: row {index}: quantity must be more than 0.", field_errors={"lines": [f"Row {index}: quantity must be more than 0."]})
        if price < 0:
            raise ValidationFailed(f"lines: row {index}: unit price cannot be negative.", field_errors={"lines": [f"Row {index}: unit price cannot be negative."]})
        row = OpportunityLine(opportunity=opportunity, product=line.product, quantity=line.quantity, unit_price=price)
        try:
            full_clean_or_fail(row, exclude=["public_id", "opportunity"])
        except ValidationFailed as exc:
            raise ValidationFailed(f"lines: row {index}: {exc.message}", field_errors={"lines": [f"Row {index}: {exc.message}"]}) from exc
        rows.append(row)
    opportunity.lines.all().delete()
    OpportunityLine.objects.bulk_create(rows)
    if rows:
        opportunity.amount = sum((r.quantity * r.unit_price for r in rows), Decimal(0)).quantize(Decimal("0.01"))
    return True


@transaction.atomic
def opportunity_create(
    *, actor: User | None, account: Account, data: Mapping[str, Any], lines: Sequence[LineInput] | None = None,
    check_access: bool = True,
) -> Opportunity:
    """Open an opportunity on an account; stage defaults to the first open one, owner to the actor."""
    if check_access:
        assert actor is not None
        _require_editable(actor, account)
    data = _normalise_opportunity(data)
    opportunity = Opportunity(account=account, created_by=actor, currency=account.currency)
    if data.get("stage") is None:
        data["stage"] = first_open_stage()
    if data.get("owner") is None:
        data["owner"] = actor
    _check_open_stage(data["stage"])
    apply_fields(opportunity, {k: v for k, v in data.items() if v is not None or k in ("next_step", "description")}, allowed=OPPORTUNITY_FIELDS)
    full_clean_or_fail(opportunity, exclude=["public_id"])
    opportunity.save()
    if _set_lines(opportunity, lines):
        full_clean_or_fail(opportunity)
        opportunity.save(update_fields=["amount"])
    audit.record(actor=actor, action="create", instance=opportunity, before=None, after=_snapshot(opportunity), account_id=account.pk)
    return opportunity


def _locked(opportunity: Opportunity, expected_version: int | None) -> Opportunity:
    locked = Opportunity.objects.select_for_update(of=("self",)).select_related("stage", "account").get(pk=opportunity.pk)
    check_version(locked, expected_version)
    return locked


def _save(actor: User | None, opportunity: Opportunity, before: dict[str, Any]) -> Opportunity:
    opportunity.version = F("version") + 1  # type: ignore[assignment]
    opportunity.save()
    opportunity.refresh_from_db()
    audit.record(actor=actor, action="update", instance=opportunity, before=before, after=_snapshot(opportunity), account_id=opportunity.account_id)
    return opportunity


@transaction.atomic
def opportunity_update(
    *, actor: User, opportunity: Opportunity, data: Mapping[str, Any], lines: Sequence[LineInput] | None = None,
    expected_version: int | None = None,
) -> Opportunity:
    """Change the fields given (and the lines when given); closing goes through close won/lost."""
    _require_editable(actor, opportunity.account)
    opportunity = _locked(opportunity, expected_version)
    before = _snapshot(opportunity)
    data = _normalise_opportunity(data)
    new_stage = data.get("stage")
    if new_stage is not None and new_stage.pk != opportunity.stage_id:
        _check_open_stage(new_stage)
        if opportunity.closed_at is not None:
            raise _invalid("stage", "This opportunity is closed: reopen it by moving it to an open stage.")
    changed = apply_fields(opportunity, data, allowed=OPPORTUNITY_FIELDS)
    lines_given = _set_lines(opportunity, lines)
    if not changed and not lines_given:
        return opportunity
    full_clean_or_fail(opportunity)
    return _save(actor, opportunity, before)


@transaction.atomic
def opportunity_move_stage(
    *, actor: User, opportunity: Opportunity, stage: OpportunityStage, expected_version: int | None = None,
    loss_reason: str = "", note: str = "", now: dt.datetime | None = None,
) -> Opportunity:
    """Move to another stage: an open one (reopening a closed opportunity), or close won/lost."""
    if stage.outcome == StageOutcome.WON:
        return opportunity_close_won(actor=actor, opportunity=opportunity, note=note, expected_version=expected_version, now=now)
    if stage.outcome == StageOutcome.LOST:
        return opportunity_close_lost(actor=actor, opportunity=opportunity, loss_reason=loss_reason, note=note, expected_version=expected_version, now=now)
    _require_editable(actor, opportunity.account)
    opportunity = _locked(opportunity, expected_version)
    if not stage.is_active:
        raise _invalid("stage", f"“{stage.name}” is no longer in use; pick an active stage.")
    if stage.pk == opportunity.stage_id:
        return opportunity
    before = _snapshot(opportunity)
    opportunity.stage = stage
    if opportunity.closed_at is not None:  # reopening: the close facts no longer hold
        opportunity.closed_at = None
        opportunity.loss_reason = ""
    return _save(actor, opportunity, before)


def _close(actor: User, opportunity: Opportunity, stage: OpportunityStage, *, loss_reason: str, note: str,
           expected_version: int | None, now: dt.datetime | None) -> Opportunity:
    _require_editable(actor, opportunity.account)
    opportunity = _locked(opportunity, expected_version)
    if opportunity.stage_id == stage.pk and opportunity.closed_at is not None:
        raise _invalid("stage", f"This opportunity is already {stage.name.lower()}.")
    before = _snapshot(opportunity)
    closed_at = now or timezone.now()
    opportunity.stage = stage
    opportunity.closed_at = closed_at
    opportunity.close_date = closed_at.date()
    opportunity.loss_reason = loss_reason
    if note:
        opportunity.close_note = note
    full_clean_or_fail(opportunity)
    return _save(actor, opportunity, before)


@transaction.atomic
def opportunity_close_won(
    *, actor: User, opportunity: Opportunity, note: str = "", expected_version: int | None = None, now: dt.datetime | None = None,
) -> Opportunity:
    """Close won: the won stage, closed now; counts toward the owner's quota from then on."""
    return _close(actor, opportunity, won_stage(), loss_reason="", note=note.strip(), expected_version=expected_version, now=now)


@transaction.atomic
def opportunity_close_lost(
    *, actor: User, opportunity: Opportunity, loss_reason: str, note: str = "", expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Opportunity:
    """Close lost with a loss reason (required)."""
    if not loss_reason:
        raise _invalid("loss_reason", "Say why it was lost: pick a loss reason.")
    if loss_reason not in LossReason.values:
        raise _invalid("loss_reason", f"Unknown loss reason; pick one of {', '.join(LossReason.values)}.")
    return _close(actor, opportunity, lost_stage(), loss_reason=loss_reason, note=note.strip(), expected_version=expected_version, now=now)


@transaction.atomic
def opportunity_delete(*, actor: User, opportunity: Opportunity, expected_version: int | None = None) -> None:
    """Delete an opportunity and its lines; the audit trail keeps what it was."""
    _require_editable(actor, opportunity.account)
    opportunity = _locked(opportunity, expected_version)
    before = _snapshot(opportunity)
    audit.record(actor=actor, action="delete", instance=opportunity, before=before, after=None, account_id=opportunity.account_id)
    opportunity.delete()


@transaction.atomic
def opportunity_create_renewal(
    *, account: Account, name: str, amount: Decimal, currency: str, close_date: dt.date, owner: User, actor: User | None = None,
) -> Opportunity:
    """A renewal opportunity for another app (e.g. contracts) to open; `actor` None means the system."""
    data = {"name": name, "type": OpportunityType.RENEWAL, "amount": amount, "currency": currency, "close_date": close_date, "owner": owner}
    return opportunity_create(actor=actor, account=account, data=data, check_access=False)


# Quotas -------------------------------------------------------------------------------------


def quota_people(actor: User) -> set[int]:
    """Whose quotas the actor may set: everyone for admins, the people below a director."""
    if actor.is_admin_role:
        return set(User.objects.filter(is_active=True).values_list("pk", flat=True))
    if actor.role == Role.DIRECTOR:
        return set(user_ids_in_scope(actor))
    return set()


def _require_quota_setter(actor: User, user: User) -> None:
    _require_configurer(actor)
    if user.pk not in quota_people(actor):
        raise _invalid("user", "You can set quotas only for people in your reporting line.")


@transaction.atomic
def quota_set(*, actor: User, user: User, kind: str, period_start_day: dt.date, amount: Decimal, currency: str) -> Quota:
    """Create or replace the quota of `user` for the period containing `period_start_day`."""
    _require_quota_setter(actor, user)
    try:
        start = period_start(kind, period_start_day)
    except ValueError:
        raise _invalid("kind", "Pick month, quarter or year.") from None
    quota = Quota.objects.select_for_update().filter(user=user, kind=kind, period_start=start).first()
    if quota is not None:
        return quota_update(actor=actor, quota=quota, data={"amount": amount, "currency": currency})
    quota = Quota(user=user, kind=kind, period_start=start)
    apply_fields(quota, {"amount": amount, "currency": (currency or "").strip().upper()}, allowed=QUOTA_FIELDS)
    full_clean_or_fail(quota, exclude=["public_id"])
    quota.save()
    audit.record(actor=actor, action="create", instance=quota, before=None, after=audit.snapshot(quota))
    return quota


@transaction.atomic
def quota_update(*, actor: User, quota: Quota, data: Mapping[str, Any], expected_version: int | None = None) -> Quota:
    """Change a quota's amount or currency."""
    _require_quota_setter(actor, quota.user)
    quota = Quota.objects.select_for_update().get(pk=quota.pk)
    check_version(quota, expected_version)
    before = audit.snapshot(quota)
    clean = dict(data)
    if isinstance(clean.get("currency"), str):
        clean["currency"] = clean["currency"].strip().upper()
    if not apply_fields(quota, clean, allowed=QUOTA_FIELDS):
        return quota
    full_clean_or_fail(quota)
    quota.version = F("version") + 1  # type: ignore[assignment]
    quota.save()
    quota.refresh_from_db()
    audit.record(actor=actor, action="update", instance=quota, before=before, after=audit.snapshot(quota))
    return quota


@transaction.atomic
def quota_delete(*, actor: User, quota: Quota, expected_version: int | None = None) -> None:
    """Remove a quota."""
    _require_quota_setter(actor, quota.user)
    quota = Quota.objects.select_for_update().get(pk=quota.pk)
    check_version(quota, expected_version)
    audit.record(actor=actor, action="delete", instance=quota, before=audit.snapshot(quota), after=None)
    quota.delete()
