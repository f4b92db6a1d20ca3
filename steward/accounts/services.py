"""Writes about accounts, contacts, interactions and tasks. One transaction and audit event each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import PROTECT, RESTRICT, Count, F, Max, Q
from django.utils import timezone

from steward.accounts import choices
from steward.accounts.engine.stakeholders import MIN_ENGAGED_SENIOR, SENIOR_ROLES
from steward.accounts.models import Account, AccountTeamMember, Contact, Interaction, Task, Tier
from steward.accounts.selectors import accounts_visible_to
from steward.core import audit
from steward.core.errors import NotFound, PermissionDenied, ValidationFailed
from steward.core.services import apply_fields, check_version, full_clean_or_fail
from steward.users.models import User
from steward.users.selectors import user_ids_in_scope

ACCOUNT_FIELDS = frozenset(
    {
        "name", "domain", "industry", "region", "territory", "country", "time_zone", "tier",
        "lifecycle_stage", "parent", "owner", "operations_manager", "executive_sponsor",
        "customer_since", "annual_contract_value", "currency", "preferred_channel",
        "meeting_cadence", "preference_notes", "salesforce_id", "hubspot_id",
    }
)
CONTACT_FIELDS = frozenset(
    {
        "first_name", "last_name", "title", "email", "phone", "department", "buying_role",
        "influence", "sentiment", "reports_to", "is_primary", "status", "left_at",
    }
)
INTERACTION_FIELDS = frozenset({"kind", "occurred_at", "subject", "summary", "outcome", "next_steps"})
TASK_FIELDS = frozenset({"title", "description", "assignee", "due_date", "priority", "done"})


def _require_writer(actor: User) -> None:
    if actor.is_read_only or not actor.is_active:
        raise PermissionDenied("Your role is read-only: you can view accounts but not change them.")


def _require_editable(actor: User, account: Account) -> None:
    _require_writer(actor)
    if not accounts_visible_to(actor).filter(pk=account.pk).exists():
        raise NotFound("No such account.")


def _normalise_account(data: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(data)
    for key in ("name", "domain", "industry", "territory", "salesforce_id", "hubspot_id"):
        if isinstance(clean.get(key), str):
            clean[key] = clean[key].strip()
    if isinstance(clean.get("domain"), str):
        clean["domain"] = clean["domain"].lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    for key in ("country", "currency"):
        if isinstance(clean.get(key), str):
            clean[key] = clean[key].strip().upper()
    return clean


def _check_account_rules(*, actor: User, account: Account, changed: Iterable[str] | None = None) -> None:
    """Hierarchy and ownership rules, for the fields being set (all of them on a create).

    A field left as it was is not re-checked: a teammate may edit an account whose parent or
    owner lies outside their own portfolio without having to change either.
    """
    fields = set(changed) if changed is not None else {"parent", "owner"}
    if "parent" in fields and account.parent_id:
        if account.pk and _creates_cycle(account.pk, account.parent_id):
            raise ValidationFailed(
                "parent: an account cannot sit below one of its own subsidiaries.",
                field_errors={"parent": ["This would make the hierarchy circular."]},
            )
        if not accounts_visible_to(actor).filter(pk=account.parent_id).exists():
            raise ValidationFailed("parent: no such account.", field_errors={"parent": ["No such account."]})
    if "owner" in fields and not actor.is_admin_role and account.owner_id and account.owner_id not in user_ids_in_scope(actor):
        raise ValidationFailed(
            "owner: you can assign accounts only to yourself or people who report to you.",
            field_errors={"owner": ["Pick yourself or someone who reports to you."]},
        )


def _creates_cycle(account_id: int, parent_id: int) -> bool:
    current: int | None = parent_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        if current == account_id:
            return True
        seen.add(current)
        current = Account.objects.filter(pk=current).values_list("parent_id", flat=True).first()
    return False


@transaction.atomic
def account_create(*, actor: User, data: Mapping[str, Any], team: Sequence[tuple[User, str]] = ()) -> Account:
    """Create an account (owner defaults to the actor) with its team, and audit it."""
    _require_writer(actor)
    clean = _normalise_account(data)
    clean.setdefault("owner", actor)
    if clean.get("tier") is None:
        clean["tier"] = Tier.objects.order_by("-rank").first()
    account = Account()
    apply_fields(account, clean, allowed=ACCOUNT_FIELDS)
    full_clean_or_fail(account, exclude=["public_id"])
    _check_account_rules(actor=actor, account=account)
    account.save()
    audit.record(actor=actor, action="create", instance=account, before=None, after=audit.snapshot(account), account_id=account.pk)
    for user, role in team:
        team_member_add(actor=actor, account=account, user=user, role=role)
    return account


@transaction.atomic
def account_update(
    *, actor: User, account: Account, data: Mapping[str, Any], expected_version: int | None = None
) -> Account:
    """Change an account's fields; a stale `expected_version` writes nothing."""
    _require_editable(actor, account)
    account = Account.objects.select_for_update().get(pk=account.pk)
    check_version(account, expected_version)
    before = audit.snapshot(account)
    changed = apply_fields(account, _normalise_account(data), allowed=ACCOUNT_FIELDS)
    if not changed:
        return account
    # The hierarchy rules first: they name the field, where the database constraint would not.
    _check_account_rules(actor=actor, account=account, changed=changed)
    full_clean_or_fail(account)
    account.version = F("version") + 1
    account.save()
    account.refresh_from_db()
    audit.record(actor=actor, action="update", instance=account, before=before, after=audit.snapshot(account), account_id=account.pk)
    if "tier" in changed:
        account_refresh_coverage(account_ids=[account.pk], now=timezone.now())
    return account


@transaction.atomic
def account_delete(*, actor: User, account: Account, expected_version: int | None = None) -> None:
    """Delete an account with its contacts, interactions and tasks; each removal is audited."""
    _require_editable(actor, account)
    account = Account.objects.select_for_update().get(pk=account.pk)
    check_version(account, expected_version)
    if account.children.exists():
        raise ValidationFailed(
            "This account has subsidiaries: move or delete them first.",
            field_errors={"parent": ["Subsidiaries still point to this account."]},
        )
    kept = _kept_records(account)
    if kept:
        message = (
            f"This account has {', '.join(kept)}, which are kept for the record, so it cannot be deleted."
            " Set its lifecycle stage to Churned instead."
        )
        raise ValidationFailed(message, field_errors={"__all__": [message]})
    changes = [
        audit.Change("delete", "accounts.contact", str(c.public_id), str(c), account.pk, audit.snapshot(c), None)
        for c in account.contacts.all()
    ]
    changes += [
        audit.Change("delete", "accounts.interaction", str(i.public_id), str(i), account.pk, audit.snapshot(i), None)
        for i in account.interactions.all()
    ]
    changes += [
        audit.Change("delete", "accounts.task", str(t.public_id), str(t), account.pk, audit.snapshot(t), None)
        for t in account.tasks.all()
    ]
    changes.append(
        audit.Change("delete", "accounts.account", str(account.public_id), str(account), account.pk, audit.snapshot(account), None)
    )
    audit.record_changes(actor=actor, changes=changes)
    account.delete()


def _kept_records(account: Account) -> list[str]:
    """Names of the records other apps protect from the account's deletion (orders, quotes, ...), one EXISTS each."""
    kept = []
    for rel in Account._meta.related_objects:
        if (
            rel.one_to_many
            and rel.on_delete in (PROTECT, RESTRICT)
            and rel.related_model._default_manager.filter(**{rel.field.name: account}).exists()
        ):
            kept.append(str(rel.related_model._meta.verbose_name_plural))
    return sorted(set(kept))


@transaction.atomic
def accounts_bulk_update(*, actor: User, accounts: Iterable[Account], data: Mapping[str, Any]) -> int:
    """Set the same fields (e.g. a new owner or stage) on many visible accounts; audited per account."""
    _require_writer(actor)
    allowed = {"owner", "operations_manager", "lifecycle_stage", "tier", "region"}
    if not data or set(data) - allowed:
        raise ValidationFailed("Only owner, operations manager, stage, tier or region can be changed in bulk.")
    ids = [a.pk for a in accounts]
    rows = list(accounts_visible_to(actor).filter(pk__in=ids).select_for_update())
    if len(rows) != len(set(ids)):
        raise NotFound("Some of the selected accounts do not exist or are not visible to you.")
    changes = []
    now = timezone.now()
    for account in rows:
        before = audit.snapshot(account)
        changed = apply_fields(account, data, allowed=allowed)
        full_clean_or_fail(account)
        _check_account_rules(actor=actor, account=account, changed=changed)
        account.version += 1
        account.updated_at = now
        changes.append(audit.Change("update", "accounts.account", str(account.public_id), str(account), account.pk, before, audit.snapshot(account)))
    if rows:
        Account.objects.bulk_update(rows, [*data.keys(), "version", "updated_at"], batch_size=500)
    audit.record_changes(actor=actor, changes=changes)
    return len(rows)


@transaction.atomic
def team_member_add(*, actor: User, account: Account, user: User, role: str) -> AccountTeamMember:
    """Put a colleague on an account's team (they will see the account)."""
    _require_editable(actor, account)
    if role not in choices.TeamRole.values:
        raise ValidationFailed("role: not a team role.", field_errors={"role": ["Pick a team role."]})
    member, created = AccountTeamMember.objects.get_or_create(account=account, user=user, defaults={"role": role})
    before = None if created else audit.snapshot(member)
    if not created and member.role != role:
        member.role = role
        member.save(update_fields=["role", "updated_at"])
    audit.record(
        actor=actor, action="create" if created else "update", instance=member,
        before=before, after=audit.snapshot(member), account_id=account.pk,
    )
    return member


@transaction.atomic
def team_member_remove(*, actor: User, account: Account, user: User) -> None:
    """Take a colleague off an account's team."""
    _require_editable(actor, account)
    member = AccountTeamMember.objects.filter(account=account, user=user).first()
    if member is None:
        raise NotFound("That person is not on the account team.")
    audit.record(actor=actor, action="delete", instance=member, before=audit.snapshot(member), after=None, account_id=account.pk)
    member.delete()


# Contacts -----------------------------------------------------------------------------------


def _check_contact_rules(contact: Contact) -> None:
    if contact.reports_to_id:
        if contact.pk and contact.reports_to_id == contact.pk:
            raise ValidationFailed("reports_to: a contact cannot report to themselves.", field_errors={"reports_to": ["Pick someone else."]})
        current: int | None = contact.reports_to_id
        seen: set[int] = set()
        while current is not None and current not in seen:
            if contact.pk and current == contact.pk:
                raise ValidationFailed(
                    "reports_to: this would make the org chart circular.",
                    field_errors={"reports_to": ["This would make the org chart circular."]},
                )
            seen.add(current)
            current = Contact.objects.filter(pk=current).values_list("reports_to_id", flat=True).first()
    if contact.status == choices.ContactStatus.LEFT and contact.left_at is None:
        contact.left_at = timezone.localdate()


def _unset_other_primaries(contact: Contact) -> None:
    if contact.is_primary:
        Contact.objects.filter(account_id=contact.account_id, is_primary=True).exclude(pk=contact.pk).update(is_primary=False)


@transaction.atomic
def contact_create(*, actor: User, account: Account, data: Mapping[str, Any]) -> Contact:
    """Add a contact to an account's stakeholder map."""
    _require_editable(actor, account)
    contact = Contact(account=account)
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    apply_fields(contact, clean, allowed=CONTACT_FIELDS)
    full_clean_or_fail(contact, exclude=["public_id"])
    _check_contact_rules(contact)
    contact.save()
    _unset_other_primaries(contact)
    audit.record(actor=actor, action="create", instance=contact, before=None, after=audit.snapshot(contact), account_id=account.pk)
    account_refresh_coverage(account_ids=[account.pk], now=timezone.now())
    return contact


@transaction.atomic
def contact_update(*, actor: User, contact: Contact, data: Mapping[str, Any], expected_version: int | None = None) -> Contact:
    """Change a contact; marking them as having left re-checks the account's coverage."""
    _require_editable(actor, contact.account)
    contact = Contact.objects.select_for_update(of=("self",)).select_related("account").get(pk=contact.pk)
    check_version(contact, expected_version)
    before = audit.snapshot(contact)
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    if clean.get("status") == choices.ContactStatus.ACTIVE and "left_at" not in clean:
        clean["left_at"] = None
    changed = apply_fields(contact, clean, allowed=CONTACT_FIELDS)
    if not changed:
        return contact
    _check_contact_rules(contact)
    full_clean_or_fail(contact)
    contact.version = F("version") + 1
    contact.save()
    contact.refresh_from_db()
    _unset_other_primaries(contact)
    audit.record(actor=actor, action="update", instance=contact, before=before, after=audit.snapshot(contact), account_id=contact.account_id)
    account_refresh_coverage(account_ids=[contact.account_id], now=timezone.now())
    return contact


@transaction.atomic
def contact_delete(*, actor: User, contact: Contact, expected_version: int | None = None) -> None:
    """Remove a contact; their direct reports move up to the contact's own manager."""
    _require_editable(actor, contact.account)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    check_version(contact, expected_version)
    Contact.objects.filter(reports_to=contact).update(reports_to=contact.reports_to_id)
    audit.record(actor=actor, action="delete", instance=contact, before=audit.snapshot(contact), after=None, account_id=contact.account_id)
    account_id = contact.account_id
    contact.delete()
    account_refresh_coverage(account_ids=[account_id], now=timezone.now())


# Interactions -------------------------------------------------------------------------------


def _interaction_participants(account: Account, contacts: Iterable[Contact], users: Iterable[User]) -> tuple[list[Contact], list[User]]:
    contacts = list(contacts)
    if any(c.account_id != account.pk for c in contacts):
        raise ValidationFailed("contacts: every participant must be a contact of this account.", field_errors={"contacts": ["Pick contacts of this account."]})
    return contacts, list(users)


def _refresh_touch_fields(account_id: int, contact_ids: Iterable[int]) -> None:
    """Recompute the derived last-touch fields from the interactions themselves."""
    touchpoints = Interaction.objects.filter(account_id=account_id, kind__in=choices.TOUCHPOINT_KINDS)
    Account.objects.filter(pk=account_id).update(last_touchpoint_at=touchpoints.aggregate(m=Max("occurred_at"))["m"])
    ids = list(set(contact_ids))
    if ids:
        rows = (
            Interaction.contacts.through.objects.filter(contact_id__in=ids, interaction__kind__in=choices.TOUCHPOINT_KINDS)
            .values("contact_id")
            .annotate(latest=Max("interaction__occurred_at"))
        )
        latest = {row["contact_id"]: row["latest"] for row in rows}
        for cid in ids:
            Contact.objects.filter(pk=cid).update(last_touched_at=latest.get(cid))


def _interaction_after(interaction: Interaction) -> dict[str, Any]:
    data = audit.snapshot(interaction)
    data["contacts"] = sorted(str(c.public_id) for c in interaction.contacts.all())
    data["users"] = sorted(u.username for u in interaction.users.all())
    return data


@transaction.atomic
def interaction_create(
    *,
    actor: User,
    account: Account,
    data: Mapping[str, Any],
    contacts: Iterable[Contact] = (),
    users: Iterable[User] = (),
) -> Interaction:
    """Log an interaction; a touchpoint updates the account's and participants' last touch."""
    _require_editable(actor, account)
    contact_list, user_list = _interaction_participants(account, contacts, users)
    interaction = Interaction(account=account, created_by=actor)
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    apply_fields(interaction, clean, allowed=INTERACTION_FIELDS)
    full_clean_or_fail(interaction, exclude=["public_id"])
    _check_not_future(interaction.occurred_at)
    interaction.save()
    interaction.contacts.set(contact_list)
    interaction.users.set(user_list or [actor])
    _refresh_touch_fields(account.pk, [c.pk for c in contact_list])
    audit.record(actor=actor, action="create", instance=interaction, before=None, after=_interaction_after(interaction), account_id=account.pk)
    account_refresh_coverage(account_ids=[account.pk], now=timezone.now())
    return interaction


def _check_not_future(occurred_at: dt.datetime | None) -> None:
    if occurred_at and occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationFailed(
            "occurred_at: an interaction is logged after it happened; plan future work as a task.",
            field_errors={"occurred_at": ["This date is in the future. Plan future work as a task."]},
        )


@transaction.atomic
def interaction_update(
    *,
    actor: User,
    interaction: Interaction,
    data: Mapping[str, Any],
    contacts: Iterable[Contact] | None = None,
    users: Iterable[User] | None = None,
    expected_version: int | None = None,
) -> Interaction:
    """Correct a logged interaction; the derived last-touch fields follow."""
    _require_editable(actor, interaction.account)
    interaction = Interaction.objects.select_for_update(of=("self",)).select_related("account").get(pk=interaction.pk)
    check_version(interaction, expected_version)
    before = _interaction_after(interaction)
    old_contacts = set(interaction.contacts.values_list("pk", flat=True))
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    changed = apply_fields(interaction, clean, allowed=INTERACTION_FIELDS)
    full_clean_or_fail(interaction)
    _check_not_future(interaction.occurred_at)
    new_contacts = old_contacts
    if contacts is not None:
        contact_list, _ = _interaction_participants(interaction.account, contacts, [])
        new_contacts = {c.pk for c in contact_list}
    if not changed and new_contacts == old_contacts and users is None:
        return interaction
    interaction.version = F("version") + 1
    interaction.save()
    interaction.refresh_from_db()
    if contacts is not None:
        interaction.contacts.set(list(new_contacts))
    if users is not None:
        interaction.users.set(list(users))
    _refresh_touch_fields(interaction.account_id, old_contacts | new_contacts)
    audit.record(actor=actor, action="update", instance=interaction, before=before, after=_interaction_after(interaction), account_id=interaction.account_id)
    account_refresh_coverage(account_ids=[interaction.account_id], now=timezone.now())
    return interaction


@transaction.atomic
def interaction_delete(*, actor: User, interaction: Interaction, expected_version: int | None = None) -> None:
    """Delete a logged interaction; the derived last-touch fields follow."""
    _require_editable(actor, interaction.account)
    interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    check_version(interaction, expected_version)
    contact_ids = list(interaction.contacts.values_list("pk", flat=True))
    account_id = interaction.account_id
    audit.record(actor=actor, action="delete", instance=interaction, before=_interaction_after(interaction), after=None, account_id=account_id)
    interaction.delete()
    _refresh_touch_fields(account_id, contact_ids)
    account_refresh_coverage(account_ids=[account_id], now=timezone.now())


# Tasks --------------------------------------------------------------------------------------


def _apply_done(task: Task) -> None:
    if task.done and task.done_at is None:
        task.done_at = timezone.now()
    elif not task.done:
        task.done_at = None


@transaction.atomic
def task_create(*, actor: User, account: Account, data: Mapping[str, Any]) -> Task:
    """Create a task on an account (assigned to the actor unless said otherwise)."""
    _require_editable(actor, account)
    task = Task(account=account, created_by=actor)
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    clean.setdefault("assignee", actor)
    apply_fields(task, clean, allowed=TASK_FIELDS)
    _apply_done(task)
    full_clean_or_fail(task, exclude=["public_id"])
    task.save()
    audit.record(actor=actor, action="create", instance=task, before=None, after=audit.snapshot(task), account_id=account.pk)
    return task


@transaction.atomic
def task_update(*, actor: User, task: Task, data: Mapping[str, Any], expected_version: int | None = None) -> Task:
    """Change a task, including marking it done or reopening it."""
    _require_editable(actor, task.account)
    task = Task.objects.select_for_update(of=("self",)).select_related("account").get(pk=task.pk)
    check_version(task, expected_version)
    before = audit.snapshot(task)
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    changed = apply_fields(task, clean, allowed=TASK_FIELDS)
    if not changed:
        return task
    _apply_done(task)
    full_clean_or_fail(task)
    task.version = F("version") + 1
    task.save()
    task.refresh_from_db()
    audit.record(actor=actor, action="update", instance=task, before=before, after=audit.snapshot(task), account_id=task.account_id)
    return task


@transaction.atomic
def task_delete(*, actor: User, task: Task, expected_version: int | None = None) -> None:
    """Delete a task."""
    _require_editable(actor, task.account)
    task = Task.objects.select_for_update().get(pk=task.pk)
    check_version(task, expected_version)
    audit.record(actor=actor, action="delete", instance=task, before=audit.snapshot(task), after=None, account_id=task.account_id)
    task.delete()


# Derived coverage flag ----------------------------------------------------------------------


def account_refresh_coverage(*, account_ids: Iterable[int] | None, now: dt.datetime) -> int:
    """Recompute `is_single_threaded` for the given accounts (all when None) with aggregate queries.

    The flag is derived data (not audited); it changes with time as touches age out of the
    cadence window, so the periodic job refreshes all accounts too. Returns the accounts updated.
    """
    ids = None if account_ids is None else list(account_ids)
    updated = 0
    for tier in Tier.objects.all():
        scope = Account.objects.filter(tier=tier)
        if ids is not None:
            scope = scope.filter(pk__in=ids)
        since = now - dt.timedelta(days=tier.touchpoint_cadence_days)
        engaged = (
            Contact.objects.filter(
                account__in=scope.values("pk"),
                status=choices.ContactStatus.ACTIVE,
                buying_role__in=SENIOR_ROLES,
                last_touched_at__gte=since,
            )
            .values("account_id")
            .annotate(n=Count("id"))
            .filter(n__gte=MIN_ENGAGED_SENIOR)
            .values("account_id")
        )
        updated += scope.filter(Q(pk__in=engaged), is_single_threaded=True).update(is_single_threaded=False)
        updated += scope.filter(~Q(pk__in=engaged), is_single_threaded=False).update(is_single_threaded=True)
    return updated
