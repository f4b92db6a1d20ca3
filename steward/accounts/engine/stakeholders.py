"""Stakeholder coverage and the org chart of an account's contacts.

An account is *single-threaded* when fewer than two engaged senior contacts remain: active
decision makers, economic buyers or champions touched within the tier's cadence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

SENIOR_ROLES = frozenset({"decision_maker", "economic_buyer", "champion"})
MIN_ENGAGED_SENIOR = 2


@dataclass(frozen=True)
class ContactFacts:
    """What the coverage rule needs to know about one contact."""

    id: int
    buying_role: str
    active: bool
    last_touched_at: dt.datetime | None
    reports_to_id: int | None = None


@dataclass(frozen=True)
class Coverage:
    """The engaged senior contacts and whether the account is single-threaded."""

    engaged_senior_ids: tuple[int, ...]
    senior_ids: tuple[int, ...]
    single_threaded: bool


def is_engaged_senior(contact: ContactFacts, *, cadence_days: int, now: dt.datetime) -> bool:
    """Active, in a senior buying role, and touched within the cadence."""
    if (
        not contact.active
        or contact.buying_role not in SENIOR_ROLES
        or contact.last_touched_at is None
    ):
        return False
    return contact.last_touched_at >= now - dt.timedelta(days=cadence_days)


def coverage(contacts: Sequence[ContactFacts], *, cadence_days: int, now: dt.datetime) -> Coverage:
    """Apply the single-threaded rule to an account's contacts."""
    senior = tuple(c.id for c in contacts if c.active and c.buying_role in SENIOR_ROLES)
    engaged = tuple(
        c.id for c in contacts if is_engaged_senior(c, cadence_days=cadence_days, now=now)
    )
    return Coverage(
        engaged_senior_ids=engaged,
        senior_ids=senior,
        single_threaded=len(engaged) < MIN_ENGAGED_SENIOR,
    )


@dataclass
class OrgNode:
    """A contact in the org chart with the contacts reporting to them."""

    id: int
    children: list[OrgNode] = field(default_factory=list)


def org_chart(contacts: Sequence[ContactFacts]) -> list[OrgNode]:
    """Roots of the reports-to forest; a contact whose manager is missing or in a cycle is a root."""
    by_id = {c.id: c for c in contacts}
    nodes = {c.id: OrgNode(c.id) for c in contacts}
    roots: list[OrgNode] = []
    for c in contacts:
        parent = c.reports_to_id
        if parent is None or parent not in by_id or _in_cycle(c.id, by_id):
            roots.append(nodes[c.id])
        else:
            nodes[parent].children.append(nodes[c.id])
    return roots


def _in_cycle(start: int, by_id: dict[int, ContactFacts]) -> bool:
    """True when following reports-to from `start` comes back to `start`."""
    seen: set[int] = set()
    current = by_id[start].reports_to_id
    while current is not None and current in by_id and current not in seen:
        if current == start:
            return True
        seen.add(current)
        current = by_id[current].reports_to_id
    return False
