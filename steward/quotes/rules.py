"""Writes to the approval set-up: the rules (admins) and delegations (each approver for themselves)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from steward.core import audit
from steward.core.errors import PermissionDenied, ValidationFailed
from steward.core.services import apply_fields, full_clean_or_fail
from steward.quotes.models import ApprovalRule, Delegation
from steward.users.models import User

RULE_FIELDS = frozenset({"name", "metric", "operator", "threshold", "approver", "level", "is_active", "description"})


def can_edit_rules(user: User) -> bool:
    """Approval rules are company policy: admins keep them."""
    return bool(user.is_active and user.is_admin_role)


def _require_rules_editor(actor: User) -> None:
    if not can_edit_rules(actor):
        raise PermissionDenied("Only admins change approval rules.")


@transaction.atomic
def approval_rule_create(*, actor: User, data: Mapping[str, Any]) -> ApprovalRule:
    """Add a rule; it applies to quotes submitted from now on."""
    _require_rules_editor(actor)
    rule = ApprovalRule()
    apply_fields(rule, data, allowed=RULE_FIELDS)
    full_clean_or_fail(rule, exclude=["public_id"])
    rule.save()
    audit.record(actor=actor, action="create", instance=rule, before=None, after=audit.snapshot(rule))
    return rule


@transaction.atomic
def approval_rule_update(*, actor: User, rule: ApprovalRule, data: Mapping[str, Any]) -> ApprovalRule:
    """Change a rule; requests already open keep the steps they were given."""
    _require_rules_editor(actor)
    rule = ApprovalRule.objects.select_for_update().get(pk=rule.pk)
    before = audit.snapshot(rule)
    apply_fields(rule, data, allowed=RULE_FIELDS)
    full_clean_or_fail(rule, exclude=["public_id"])
    rule.save()
    audit.record(actor=actor, action="update", instance=rule, before=before, after=audit.snapshot(rule))
    return rule


@transaction.atomic
def approval_rule_delete(*, actor: User, rule: ApprovalRule) -> None:
    """Remove a rule (deactivating keeps it for reference)."""
    _require_rules_editor(actor)
    audit.record(actor=actor, action="delete", instance=rule, before=audit.snapshot(rule), after=None)
    rule.delete()


@transaction.atomic
def delegation_create(
    *, actor: User, to_user: User, starts_at: dt.datetime, ends_at: dt.datetime, reason: str = "", from_user: User | None = None
) -> Delegation:
    """Let `to_user` decide approvals in the actor's place (admins may set one up for someone else)."""
    giver = from_user or actor
    if giver.pk != actor.pk and not actor.is_admin_role:
        raise PermissionDenied("You can only delegate your own approvals.")
    if to_user.pk == giver.pk:
        raise ValidationFailed("to_user: choose someone else.", field_errors={"to_user": ["Choose someone else."]})
    if not to_user.is_active:
        raise ValidationFailed("to_user: choose an active colleague.", field_errors={"to_user": ["Choose an active colleague."]})
    if ends_at <= starts_at:
        raise ValidationFailed("ends_at: the end comes before the start.", field_errors={"ends_at": ["The end comes before the start."]})
    delegation = Delegation.objects.create(from_user=giver, to_user=to_user, starts_at=starts_at, ends_at=ends_at, reason=reason.strip()[:200])
    audit.record(actor=actor, action="create", instance=delegation, before=None, after=audit.snapshot(delegation))
    return delegation


@transaction.atomic
def delegation_delete(*, actor: User, delegation: Delegation) -> None:
    """End a delegation early (its giver or an admin)."""
    if delegation.from_user_id != actor.pk and not actor.is_admin_role:
        raise PermissionDenied("Only the person who delegated can end it.")
    audit.record(actor=actor, action="delete", instance=delegation, before=audit.snapshot(delegation), after=None)
    delegation.delete()
