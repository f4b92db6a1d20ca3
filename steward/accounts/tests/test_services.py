"""Account services: rules, derived fields and the audit event of each write."""

import datetime as dt

import pytest
from django.utils import timezone

from steward.accounts import services
from steward.accounts.models import Account, Contact
from steward.accounts.tests.factories import AccountFactory, ContactFactory, tier
from steward.core.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed
from steward.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def call(personas, when, subject="Call", contacts=()):
    return services.interaction_create(
        actor=personas.owner, account=personas.account, data={"kind": "call", "occurred_at": when, "subject": subject}, contacts=contacts
    )


def test_create_account_audits_and_defaults_owner_to_actor(personas):
    account = services.account_create(actor=personas.manager, data={"name": " Nova GmbH ", "tier": tier("Growth"), "domain": "HTTPS://Nova.example/"})
    assert account.owner == personas.manager
    assert account.name == "Nova GmbH" and account.domain == "nova.example"
    event = AuditEvent.objects.get(object_id=str(account.public_id))
    assert event.action == "create" and event.after["name"] == "Nova GmbH" and event.actor == personas.manager


def test_parent_cycle_is_refused(personas):
    child = AccountFactory(owner=personas.owner, parent=personas.account)
    with pytest.raises(ValidationFailed) as exc:
        services.account_update(actor=personas.owner, account=personas.account, data={"parent": child})
    assert "parent" in exc.value.field_errors
    personas.account.refresh_from_db()
    assert personas.account.parent is None


def test_invisible_parent_is_refused(personas):
    foreign = AccountFactory(owner=personas.outsider)
    with pytest.raises(ValidationFailed) as exc:
        services.account_update(actor=personas.owner, account=personas.account, data={"parent": foreign})
    assert "parent" in exc.value.field_errors


def test_stale_version_writes_nothing(personas):
    acc = personas.account
    services.account_update(actor=personas.owner, account=acc, data={"industry": "Retail"}, expected_version=1)
    with pytest.raises(StaleVersion):
        services.account_update(actor=personas.teammate, account=acc, data={"industry": "Energy"}, expected_version=1)
    acc.refresh_from_db()
    assert acc.industry == "Retail" and acc.version == 2


def test_outsider_and_sponsor_cannot_write(personas):
    with pytest.raises(NotFound):
        services.account_update(actor=personas.outsider, account=personas.account, data={"industry": "X"})
    with pytest.raises(PermissionDenied):
        services.task_create(actor=personas.sponsor, account=personas.account, data={"title": "t"})
    assert not AuditEvent.objects.exists()


def test_failed_validation_rolls_back_everything(personas):
    with pytest.raises(ValidationFailed) as exc:
        services.contact_create(actor=personas.owner, account=personas.account, data={"first_name": "A", "last_name": "B", "influence": 9, "email": "nope"})
    assert {"influence", "email"} <= set(exc.value.field_errors)
    assert not Contact.objects.exists() and not AuditEvent.objects.exists()


def test_touchpoint_updates_last_touch_but_a_note_does_not(personas):
    now = timezone.now()
    services.interaction_create(actor=personas.owner, account=personas.account, data={"kind": "note", "occurred_at": now, "subject": "memo"})
    personas.account.refresh_from_db()
    assert personas.account.last_touchpoint_at is None
    call(personas, now - dt.timedelta(days=3))
    personas.account.refresh_from_db()
    assert personas.account.last_touchpoint_at == now - dt.timedelta(days=3)


def test_deleting_the_latest_interaction_restores_the_previous_touch(personas):
    now = timezone.now()
    call(personas, now - dt.timedelta(days=10))
    latest = call(personas, now - dt.timedelta(days=1))
    services.interaction_delete(actor=personas.owner, interaction=latest)
    personas.account.refresh_from_db()
    assert personas.account.last_touchpoint_at == now - dt.timedelta(days=10)


def test_contact_leaving_makes_account_single_threaded(personas):
    acc = personas.account
    ceo = ContactFactory(account=acc, buying_role="decision_maker")
    champ = ContactFactory(account=acc, buying_role="champion")
    call(personas, timezone.now() - dt.timedelta(hours=1), contacts=[ceo, champ])
    acc.refresh_from_db()
    assert acc.is_single_threaded is False
    services.contact_update(actor=personas.owner, contact=champ, data={"status": "left"})
    acc.refresh_from_db()
    champ.refresh_from_db()
    assert acc.is_single_threaded is True
    assert champ.left_at == timezone.localdate()


def test_coverage_job_flags_accounts_whose_touches_aged_out(personas):
    acc = personas.account  # Key tier: 14-day cadence
    a, b = ContactFactory(account=acc, buying_role="decision_maker"), ContactFactory(account=acc, buying_role="economic_buyer")
    call(personas, timezone.now() - dt.timedelta(days=10), contacts=[a, b])
    acc.refresh_from_db()
    assert acc.is_single_threaded is False
    services.account_refresh_coverage(account_ids=None, now=timezone.now() + dt.timedelta(days=5))
    acc.refresh_from_db()
    assert acc.is_single_threaded is True


def test_reports_to_cycle_is_refused(personas):
    boss = ContactFactory(account=personas.account)
    report = ContactFactory(account=personas.account, reports_to=boss)
    with pytest.raises(ValidationFailed) as exc:
        services.contact_update(actor=personas.owner, contact=boss, data={"reports_to": report})
    assert "reports_to" in exc.value.field_errors


def test_participant_from_another_account_is_refused(personas):
    stranger = ContactFactory(account=AccountFactory(owner=personas.owner))
    with pytest.raises(ValidationFailed):
        call(personas, timezone.now(), contacts=[stranger])


def test_deleting_account_audits_each_removed_record(personas):
    ContactFactory(account=personas.account)
    call(personas, timezone.now())
    services.account_delete(actor=personas.owner, account=personas.account)
    deleted = set(AuditEvent.objects.filter(action="delete").values_list("object_type", flat=True))
    assert deleted == {"accounts.account", "accounts.contact", "accounts.interaction"}
    assert not Account.objects.filter(pk=personas.account.pk).exists()


def test_bulk_reassign_audits_each_account(personas):
    more = AccountFactory.create_batch(3, owner=personas.owner)
    count = services.accounts_bulk_update(actor=personas.manager, accounts=[personas.account, *more], data={"owner": personas.manager})
    assert count == 4
    assert AuditEvent.objects.filter(action="update", object_type="accounts.account").count() == 4
    assert Account.objects.filter(owner=personas.manager).count() == 4


def test_bulk_update_refuses_accounts_out_of_sight(personas):
    foreign = AccountFactory(owner=personas.outsider)
    with pytest.raises(NotFound):
        services.accounts_bulk_update(actor=personas.manager, accounts=[personas.account, foreign], data={"lifecycle_stage": "at_risk"})
    personas.account.refresh_from_db()
    assert personas.account.lifecycle_stage == "active"
