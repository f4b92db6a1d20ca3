"""The audit trail is append-only and hash-chained: `audit_verify` finds any edit or deletion."""

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from steward.accounts import services
from steward.core.audit import verify_chain
from steward.core.models import AuditChainHead, AuditEvent


@pytest.fixture
def trail(personas):
    """Five events from ordinary service calls, on top of whatever the fixtures wrote."""
    account = personas.account
    for n in range(5):
        account = services.account_update(actor=personas.owner, account=account, data={"industry": f"Industry {n}"})
    return list(AuditEvent.objects.order_by("id"))


def _verify_output(capsys):
    call_command("audit_verify")
    return capsys.readouterr().out


def test_an_untouched_trail_verifies(trail, capsys):
    assert verify_chain().ok
    assert f"{len(trail)} events verified" in _verify_output(capsys)


def test_each_update_records_before_and_after_with_the_actor(trail, personas):
    last = trail[-1]
    assert (last.action, last.actor_id, last.account_id) == ("update", personas.owner.pk, personas.account.pk)
    assert last.before["industry"] == "Industry 3"
    assert last.after["industry"] == "Industry 4"
    assert last.occurred_at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_an_edited_event_is_detected(trail, position):
    event = {"first": trail[0], "middle": trail[len(trail) // 2], "last": trail[-1]}[position]
    AuditEvent.objects.filter(pk=event.pk).update(after={"industry": "Forged"})
    result = verify_chain()
    assert not result.ok
    assert result.broken_at == event.pk
    assert "edited" in result.reason
    with pytest.raises(CommandError, match=f"at event {event.pk}"):
        call_command("audit_verify")


def test_an_edited_actor_or_time_is_detected(trail, personas):
    event = trail[2]
    AuditEvent.objects.filter(pk=event.pk).update(actor_label="someone-else")
    assert verify_chain().broken_at == event.pk


def test_a_deleted_event_in_the_middle_is_detected(trail):
    gone, following = trail[2], trail[3]
    AuditEvent.objects.filter(pk=gone.pk).delete()
    result = verify_chain()
    assert not result.ok
    assert result.broken_at == following.pk
    assert "deleted" in result.reason


def test_deleting_the_last_events_is_detected(trail):
    AuditEvent.objects.filter(pk__in=[e.pk for e in trail[-2:]]).delete()
    result = verify_chain()
    assert not result.ok
    assert "end of the chain" in result.reason
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_a_forged_event_appended_without_the_chain_head_is_detected(trail):
    last = trail[-1]
    forged = AuditEvent(
        occurred_at=last.occurred_at, action="update", object_type=last.object_type, object_id=last.object_id,
        prev_hash=last.hash, hash="f" * 64, before={}, after={},
    )
    forged.save()
    result = verify_chain()
    assert not result.ok
    assert result.broken_at == forged.pk


def test_events_cannot_be_changed_or_deleted_through_the_orm(trail):
    event = AuditEvent.objects.get(pk=trail[0].pk)
    event.after = {"industry": "Forged"}
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()


def test_a_user_with_history_cannot_be_deleted_so_the_chain_keeps_its_actor(trail, personas):
    with pytest.raises(ProtectedError), transaction.atomic():
        personas.owner.delete()
    assert verify_chain().ok


def test_two_events_cannot_share_a_hash(trail):
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.create(
            occurred_at=trail[0].occurred_at, action="create", object_type="x", object_id="1",
            prev_hash=trail[0].prev_hash, hash=trail[0].hash,
        )


def test_the_chain_head_tracks_length_and_last_hash(trail):
    head = AuditChainHead.objects.get(pk=1)
    assert head.length == len(trail)
    assert head.last_hash == trail[-1].hash


def test_a_bulk_path_with_many_events_chains_them_too(personas):
    from steward.accounts.tests.factories import AccountFactory

    accounts = AccountFactory.create_batch(120, owner=personas.owner)
    changed = services.accounts_bulk_update(actor=personas.owner, accounts=accounts, data={"lifecycle_stage": "expanding"})
    assert changed == 120
    assert AuditEvent.objects.filter(action="update", object_type="accounts.account").count() >= 120
    assert verify_chain().ok


@pytest.mark.django_db
def test_an_action_longer_than_its_column_is_refused_on_every_database(personas):
    from steward.core import audit

    with pytest.raises(ValueError, match="longer than 10"), transaction.atomic():
        audit.record(actor=personas.owner, action="customer_reply", instance=personas.account, before=None, after={})
    assert not AuditEvent.objects.filter(action="customer_reply").exists()
