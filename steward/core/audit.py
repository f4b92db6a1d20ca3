"""Append-only, hash-chained audit events written in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from steward.core.bulk import insert_rows
from steward.core.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
AUDIT_COLUMNS = (
    "occurred_at", "actor", "actor_label", "action", "object_type", "object_id", "object_repr",
    "account_id", "before", "after", "prev_hash", "hash",
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The record's concrete field values, JSON-ready, as the audit trail stores them."""
    skipped = {"created_at", "updated_at", *exclude}
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in skipped:
            continue
        data[field.attname] = _jsonable(getattr(instance, field.attname))
    return data


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the canonical JSON of the event's fields."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def hashed_fields(event: AuditEvent) -> dict[str, Any]:
    """The fields an event's hash covers, read the same way when writing and verifying."""
    occurred: Any = event.occurred_at
    if isinstance(occurred, dt.datetime):
        occurred = occurred.astimezone(dt.UTC).isoformat()
    return {
        "occurred_at": occurred,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": str(event.object_id),
        "object_repr": event.object_repr,
        "account_id": event.account_id,
        "before": event.before,
        "after": event.after,
    }


@dataclass(frozen=True)
class Change:
    """One change to record: what happened to which object, with before/after snapshots."""

    action: str
    object_type: str
    object_id: str
    object_repr: str = ""
    account_id: int | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def _lock_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS, "length": 0})
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def record_changes(*, actor: Any, changes: Sequence[Change], now: dt.datetime | None = None) -> int:
    """Append events for `changes` to the chain, in the current transaction; returns the count."""
    if not changes:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events must be written inside the service's transaction")
    now = (now or timezone.now()).astimezone(dt.UTC)
    head = _lock_head()
    prev = head.last_hash
    actor_id = getattr(actor, "pk", None)
    actor_label = getattr(actor, "username", "") or ("system" if actor is None else str(actor))
    events: list[AuditEvent] = []
    longest = AuditEvent._meta.get_field("action").max_length or 10
    for change in changes:
        if len(change.action) > longest:
            # SQLite would store it; PostgreSQL refuses it mid-transaction. Fail the same way on both.
            raise ValueError(f"audit action {change.action!r} is longer than {longest} characters")
        event = AuditEvent(
            occurred_at=now,
            actor_id=actor_id,
            actor_label=actor_label,
            action=change.action,
            object_type=change.object_type,
            object_id=str(change.object_id),
            object_repr=change.object_repr[:300],
            account_id=change.account_id,
            before=_jsonable(change.before) if change.before is not None else None,
            after=_jsonable(change.after) if change.after is not None else None,
            prev_hash=prev,
        )
        event.hash = event_hash(prev, hashed_fields(event))
        prev = event.hash
        events.append(event)
    if len(events) > 100:
        # Bulk paths: plain multi-row inserts, the same values the ORM would write.
        insert_rows(
            AuditEvent,
            AUDIT_COLUMNS,
            [tuple(getattr(e, "actor_id" if c == "actor" else c) for c in AUDIT_COLUMNS) for e in events],
        )
    else:
        AuditEvent.objects.bulk_create(events)
    head.last_hash = prev
    head.length += len(events)
    head.save(update_fields=["last_hash", "length"])
    return len(events)


def record(
    *,
    actor: Any,
    action: str,
    instance: models.Model,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    account_id: int | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Append one event for a change to `instance`."""
    record_changes(
        actor=actor,
        now=now,
        changes=[
            Change(
                action=action,
                object_type=instance._meta.label_lower,
                object_id=str(getattr(instance, "public_id", instance.pk)),
                object_repr=str(instance),
                account_id=account_id,
                before=before,
                after=after,
            )
        ],
    )


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of walking the chain: ok, or the first event id where it breaks and why."""

    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str = ""


def verify_chain(batch_size: int = 5000) -> VerifyResult:
    """Recompute every hash in order; detect edited, inserted or deleted events."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for event in batch:
            if event.prev_hash != prev:
                return VerifyResult(False, checked, event.id, "an event before this one was deleted or altered")
            if event_hash(prev, hashed_fields(event)) != event.hash:
                return VerifyResult(False, checked, event.id, "this event's content was edited")
            prev = event.hash
            checked += 1
            last_id = event.id
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.length != checked or head.last_hash != prev):
        return VerifyResult(False, checked, None, "events at the end of the chain were deleted")
    return VerifyResult(True, checked)
