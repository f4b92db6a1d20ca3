"""Recomputing the SLA state of many cases on every core.

The cases to recompute are cut by primary key into slices of about equal size, and each slice is
brought up to date by `services.cases_recompute` in its own process with its own database
connection. A case lies in exactly one slice, so the states, alerts and escalations are the ones a
single pass writes. The processes are forked from this one after its connections are closed (a
connection must never be shared across a fork); a database only this process can see (SQLite in
memory, as in tests) or an open transaction, whose rows the workers could not read, runs the slices
here, one after the other.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from django.db import connection, connections

from steward.sla import services


@dataclass(frozen=True)
class Slice:
    """Cases with a primary key above `after_pk` and up to `upto_pk`."""

    after_pk: int
    upto_pk: int


def slices(*, open_only: bool, parts: int) -> list[Slice]:
    """The cases a recompute covers, cut into at most `parts` slices of about equal count."""
    ids = list(services.cases_to_recompute(open_only=open_only).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return []
    parts = max(1, min(parts, len(ids)))
    bounds = [ids[len(ids) * k // parts - 1] for k in range(1, parts + 1)]
    found, after = [], ids[0] - 1
    for upto in bounds:
        if upto > after:
            found.append(Slice(after, upto))
            after = upto
    return found


def can_fork() -> bool:
    """Whether worker processes would see this process's data: a server or file database, no open transaction."""
    in_memory = connection.vendor == "sqlite" and connection.is_in_memory_db()  # type: ignore[attr-defined]
    return not in_memory and not connection.in_atomic_block and "fork" in multiprocessing.get_all_start_methods()


def _run_slice(part: Slice, now: dt.datetime, open_only: bool, notify_people: bool, chunk: int) -> services.RecomputeTotals:
    """One worker's slice, on the worker's own connection (opened on first use, closed at the end)."""
    try:
        return services.cases_recompute(
            now=now, open_only=open_only, notify_people=notify_people, after_pk=part.after_pk, upto_pk=part.upto_pk, chunk=chunk
        )
    finally:
        connections.close_all()


def cases_recompute_parallel(
    *, now: dt.datetime, open_only: bool = True, notify_people: bool = True, workers: int = 2, chunk: int = 2000,
    progress: Callable[[services.RecomputeTotals], None] | None = None,
) -> services.RecomputeTotals:
    """`services.cases_recompute` over every case (or every open one) with `workers` processes; the
    same states as one process. Returns the totals of all slices and the wall-clock seconds."""
    started = time.perf_counter()
    parts = slices(open_only=open_only, parts=workers)
    results: list[services.RecomputeTotals] = []
    if workers <= 1 or len(parts) <= 1 or not can_fork():
        for part in parts:
            results.append(services.cases_recompute(
                now=now, open_only=open_only, notify_people=notify_people, after_pk=part.after_pk, upto_pk=part.upto_pk, chunk=chunk
            ))
            if progress is not None:
                progress(results[-1])
    else:
        connections.close_all()
        with ProcessPoolExecutor(max_workers=len(parts), mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_run_slice, part, now, open_only, notify_people, chunk) for part in parts]
            for future in futures:
                results.append(future.result())
                if progress is not None:
                    progress(results[-1])
    return services.RecomputeTotals(
        cases=sum(r.cases for r in results), targets=sum(r.targets for r in results),
        seconds=time.perf_counter() - started, changed=sum(r.changed for r in results),
    )
