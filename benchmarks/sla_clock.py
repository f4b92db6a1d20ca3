"""The SLA clock at scale: 500,000 synthetic cases through the pure engine, no database, no Django.

Each case gets a seeded random event log (created at any hour of 2026, replies, pauses and
resumes, priority changes, resolutions, reopenings, closings) and is evaluated at a `now` after
its last event, on a Monday-Friday 09:00-18:00 Europe/Berlin calendar with German public
holidays. Logs are built in memory first; only the clock is timed, per case.

    .venv/bin/python benchmarks/sla_clock.py                  # 500,000 cases, one process
    .venv/bin/python benchmarks/sla_clock.py --workers 2      # split over two processes
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from steward.sla.engine.calendar import BusinessCalendar, holiday_dates
from steward.sla.engine.clock import (
    CLOSED,
    CREATED,
    CUSTOMER_REPLY,
    PRIORITY_CHANGED,
    PUBLIC_REPLY,
    REOPENED,
    RESOLVED,
    STATUS_CHANGED,
    Event,
    Policy,
    PriorityTargets,
    Target,
    evaluate_clock,
)

HOUR = 3600
YEAR_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
PRIORITIES = ("urgent", "high", "normal", "low")
PAUSES = ("waiting_on_customer", "on_hold")

CALENDAR = BusinessCalendar.working_days(
    "Europe/Berlin",
    "09:00-18:00",
    holidays=holiday_dates(country="DE", years=(2025, 2026, 2027)),
)
POLICY = Policy(
    id=1,
    name="Standard support",
    calendar=CALENDAR,
    targets={
        "urgent": PriorityTargets(
            Target(1 * HOUR), Target(2 * HOUR), Target(24 * HOUR, mode="calendar")
        ),
        "high": PriorityTargets(Target(2 * HOUR), Target(4 * HOUR), Target(18 * HOUR)),
        "normal": PriorityTargets(Target(4 * HOUR), Target(8 * HOUR), Target(45 * HOUR)),
        "low": PriorityTargets(Target(8 * HOUR), None, Target(90 * HOUR)),
    },
    pause_statuses=frozenset(PAUSES),
)


def case_log(rng: random.Random) -> tuple[tuple[Event, ...], dt.datetime]:
    """One case's events and the `now` it is evaluated at."""
    at = YEAR_START + dt.timedelta(seconds=rng.randrange(365 * 24 * HOUR))
    events = [Event(at, CREATED, status="open", priority=rng.choice(PRIORITIES))]
    paused = resolved = False
    for _ in range(rng.randrange(2, 13)):
        at += dt.timedelta(seconds=rng.randrange(60, 30 * HOUR))
        roll = rng.random()
        if resolved:
            if roll < 0.5:
                events.append(Event(at, REOPENED, status="open"))
                resolved = paused = False
            elif roll < 0.7:
                events.append(Event(at, CLOSED))
                break
            continue
        if roll < 0.25:
            events.append(Event(at, PUBLIC_REPLY))
        elif roll < 0.45:
            events.append(Event(at, CUSTOMER_REPLY))
        elif roll < 0.65:
            status = "open" if paused else rng.choice(PAUSES)
            paused = not paused
            events.append(Event(at, STATUS_CHANGED, status=status))
        elif roll < 0.72:
            status = rng.choice(PAUSES)
            paused = True
            events.append(Event(at, STATUS_CHANGED, status=status))
        elif roll < 0.82:
            events.append(Event(at, PRIORITY_CHANGED, priority=rng.choice(PRIORITIES)))
        else:
            events.append(Event(at, RESOLVED))
            resolved = True
    now = at + dt.timedelta(seconds=rng.randrange(0, 72 * HOUR))
    return tuple(events), now


def run_chunk(seed: int, cases: int) -> tuple[list[int], float, int]:
    """Build `cases` logs from `seed`, time the clock on each: per-case ns, total s, event count."""
    rng = random.Random(seed)
    logs = [case_log(rng) for _ in range(cases)]
    gc.freeze()  # the logs stay alive all run; a job streaming cases would not hold them
    samples = []
    clock = time.perf_counter_ns
    begin = time.perf_counter()
    for events, now in logs:
        start = clock()
        evaluate_clock(policy=POLICY, events=events, now=now)
        samples.append(clock() - start)
    return samples, time.perf_counter() - begin, sum(len(events) for events, _ in logs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=500_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    per_worker = [args.cases // args.workers] * args.workers
    per_worker[0] += args.cases - sum(per_worker)
    wall = time.perf_counter()
    if args.workers == 1:
        results = [run_chunk(args.seed, args.cases)]
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            futures = [pool.submit(run_chunk, args.seed + i, n) for i, n in enumerate(per_worker)]
            results = [f.result() for f in futures]
    wall = time.perf_counter() - wall
    samples = sorted(s for chunk, _, _ in results for s in chunk)
    events = sum(n for _, _, n in results)
    clock_total = max(t for _, t, _ in results)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    print(
        f"{len(samples):,} cases, {events:,} events, {args.workers} process(es); "
        f"Mon-Fri 09:00-18:00 Europe/Berlin, German holidays"
    )
    print(f"per case: median {statistics.median(samples) / 1000:.1f} µs, p95 {p95 / 1000:.1f} µs")
    print(
        f"clock time (slowest process): {clock_total:.1f} s; wall time incl. building logs: {wall:.1f} s"
    )


if __name__ == "__main__":
    main()
