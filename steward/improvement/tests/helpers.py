"""Test data for improvement plans: cases with decided SLA targets on given days, without the clock."""

from __future__ import annotations

import datetime as dt
import itertools

from steward.sla.models import Case, CaseTarget

_serial = itertools.count(1)
UTC = dt.UTC


def case(account, owner, *, subject="Pallets damaged on arrival", opened=dt.datetime(2026, 5, 1, 9, tzinfo=UTC)) -> Case:
    return Case.objects.create(number=f"CS-2026-{next(_serial):06d}", account=account, owner=owner, subject=subject, opened_at=opened)


def decided(account, owner, day: dt.date, *, met: int = 0, breached: int = 0, kind: str = "resolution") -> list[CaseTarget]:
    """`met` + `breached` cases whose `kind` target was decided on `day`."""
    made = []
    for status in ["met"] * met + ["breached"] * breached:
        c = case(account, owner)
        at = dt.datetime.combine(day, dt.time(12), tzinfo=UTC)
        made.append(CaseTarget.objects.create(
            case=c, account=account, name=kind, status=status, target_seconds=3600, mode="business", decided_on=day,
            met_at=at if status == "met" else None, breached_at=at if status == "breached" else None,
        ))
    return made
