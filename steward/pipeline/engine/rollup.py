"""Quota attainment rolled up a reporting tree: each person's own figures and their subtree's.

Rules:
- own booked is what the person closed won in the period; own quota is their quota (0 when none);
- team figures of a person are their own plus the team figures of each direct report, so a
  manager's team booked is everything closed won in their subtree;
- attainment = booked / quota as a percentage, None when the quota is 0 (nothing to attain);
- someone whose manager is not in the tree is a root (e.g. the viewer at the top of their scope);
- a loop in the reporting line (which the user model refuses) is broken where it is met.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True)
class Person:
    """A node of the reporting tree."""

    id: int
    manager_id: int | None


@dataclass(frozen=True)
class Attainment:
    """One person's own and team figures for a period."""

    person_id: int
    depth: int
    reports: tuple[int, ...]
    own_quota: Decimal
    own_booked: Decimal
    team_quota: Decimal
    team_booked: Decimal

    @property
    def own_pct(self) -> Decimal | None:
        """Own booked as a percentage of own quota; None without a quota."""
        return percent(self.own_booked, self.own_quota)

    @property
    def team_pct(self) -> Decimal | None:
        """Team booked as a percentage of team quota; None without a team quota."""
        return percent(self.team_booked, self.team_quota)


def percent(booked: Decimal, quota: Decimal) -> Decimal | None:
    """booked / quota in percent with one decimal; None when quota is not positive."""
    if quota <= 0:
        return None
    return (booked * 100 / quota).quantize(Decimal("0.1"))


def rollup(
    people: Iterable[Person], *, quotas: Mapping[int, Decimal], booked: Mapping[int, Decimal]
) -> list[Attainment]:
    """Each person's own and subtree figures, in tree order (a root, then its reports depth first)."""
    nodes = {p.id: p for p in people}
    children: dict[int, list[int]] = {pid: [] for pid in nodes}
    roots: list[int] = []
    for pid in sorted(nodes):
        manager = nodes[pid].manager_id
        if manager is None or manager not in nodes or manager == pid:
            roots.append(pid)
        else:
            children[manager].append(pid)
    team_quota: dict[int, Decimal] = {}
    team_booked: dict[int, Decimal] = {}
    depth: dict[int, int] = {}
    order: list[int] = []
    visited: set[int] = set()

    def walk(root: int) -> None:
        # Iterative post-order so deep trees never hit the recursion limit.
        stack: list[tuple[int, int, bool]] = [(root, 0, False)]
        while stack:
            pid, level, done = stack.pop()
            if done:
                kids = [c for c in children[pid] if c in team_quota]
                team_quota[pid] = quotas.get(pid, ZERO) + sum((team_quota[c] for c in kids), ZERO)
                team_booked[pid] = booked.get(pid, ZERO) + sum((team_booked[c] for c in kids), ZERO)
                continue
            if pid in visited:
                continue
            visited.add(pid)
            depth[pid] = level
            order.append(pid)
            stack.append((pid, level, True))
            for child in reversed(children[pid]):
                if child not in visited:
                    stack.append((child, level + 1, False))

    for root in roots:
        walk(root)
    for pid in sorted(nodes):  # members of a loop with no way in from a root
        if pid not in visited:
            walk(pid)
    return [
        Attainment(
            person_id=pid,
            depth=depth[pid],
            reports=tuple(c for c in children[pid] if depth.get(c) == depth[pid] + 1),
            own_quota=quotas.get(pid, ZERO),
            own_booked=booked.get(pid, ZERO),
            team_quota=team_quota[pid],
            team_booked=team_booked[pid],
        )
        for pid in order
    ]
