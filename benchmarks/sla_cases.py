"""SLA cases at scale: recomputing every open case and every case, one reply on a case, and the case pages.

Run against a database seeded with `manage.py seed_demo` (DATABASE_URL or STEWARD_DATA_DIR picks it):

    DATABASE_URL=sqlite:////tmp/slabench/db.sqlite3 .venv/bin/python benchmarks/sla_cases.py --runs 20

Everything that writes runs in a transaction that is rolled back, so the data stay as seeded and a
second run measures the same thing. The clock is evaluated at `--now`, by default the time the demo
computed its states at (the seed's `--now`), so the states written equal the stored ones:

- the periodic job `services.cases_recompute_open` over every open case: the first pass also sends
  whatever alerts and escalations are due and not yet sent; the second pass, in the same
  transaction, is the steady state with nothing new to send;
- a full recompute of every case with a policy, open or not, through the demo's bulk path
  (`steward.sla.services.cases_recompute`);
- `services.case_reply` on one open case (the incremental update after one new event);
- the case list (director, operations manager), a case page, the account 360 cases tab, the API list.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from harness import Client, connection, run_cases, time_call

from steward.sla import services
from steward.sla.choices import OPEN_CASE_STATUSES, CaseStatus
from steward.sla.models import Case, CaseEvent, CaseTarget
from steward.users.choices import Role
from steward.users.models import User
from steward.users.services import api_token_create


def rolled_back(fn: Callable[[], Any]) -> Any:
    """Run `fn` in a transaction that is rolled back, so the data stay as they were."""
    with transaction.atomic():
        result = fn()
        transaction.set_rollback(True)
    return result


def seconds_line(label: str, samples: list[float], cases: int) -> None:
    """Median seconds over the runs and the cases per second that makes."""
    median = statistics.median(samples)
    runs = ", ".join(f"{s:.2f}" for s in samples)
    print(f"{label:<58} {median:>8.2f} s {cases / median:>10,.0f} cases/s   (runs: {runs})", flush=True)


def recompute_open(now: dt.datetime, runs: int, chunk: int) -> None:
    """The periodic job over every open case: a first pass and a steady second pass, per rolled-back run."""
    first: list[float] = []
    second: list[float] = []
    done = 0

    def two_passes() -> None:
        nonlocal done
        t0 = time.perf_counter()
        done = services.cases_recompute(now=now, chunk=chunk).cases
        first.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        services.cases_recompute(now=now, chunk=chunk)
        second.append(time.perf_counter() - t0)

    for _ in range(runs):
        rolled_back(two_passes)
    seconds_line(f"open cases, first pass ({done:,}, sends what is due)", first, done)
    seconds_line("open cases, second pass (nothing new to send)", second, done)


def recompute_all(now: dt.datetime, runs: int, chunk: int) -> None:
    """Every case with a policy through the bulk path, no alerts, per rolled-back run."""
    samples: list[float] = []
    totals = None
    for _ in range(runs):
        t0 = time.perf_counter()
        totals = rolled_back(lambda: services.cases_recompute(now=now, open_only=False, notify_people=False, chunk=chunk))
        samples.append(time.perf_counter() - t0)
    assert totals is not None
    seconds_line(f"every case ({totals.cases:,} cases, {totals.targets:,} targets)", samples, totals.cases)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20, help="Requests per page and replies timed.")
    parser.add_argument("--recompute-runs", type=int, default=3, help="Runs of each recompute (median reported).")
    parser.add_argument("--chunk", type=int, default=500, help="Cases per chunk of the recomputes.")
    parser.add_argument("--now", help="Evaluate at this time (ISO 8601, UTC); default: when the demo computed its states.")
    args = parser.parse_args()
    if args.now:
        now = dt.datetime.fromisoformat(args.now)
        now = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now
    else:
        now = Case.objects.aggregate(m=Max("sla_computed_at"))["m"]
        if now is None:
            raise SystemExit("No case has SLA states: seed the database with manage.py seed_demo first.")
    n_cases = Case.objects.count()
    n_open = Case.objects.filter(status__in=OPEN_CASE_STATUSES).count()
    print(
        f"database: {connection.vendor}; {n_cases:,} cases ({n_open:,} open), {CaseEvent.objects.count():,} events,"
        f" {CaseTarget.objects.count():,} target states; clock at {now:%Y-%m-%d %H:%M} UTC"
    )
    print(f"{'recompute (rolled back)':<58} {'median':>10} {'rate':>16}")
    recompute_open(now, args.recompute_runs, args.chunk)
    recompute_all(now, args.recompute_runs, args.chunk)

    # One new event: a reply on an open case with a policy, rolled back each time.
    case = (
        Case.objects.filter(status=CaseStatus.OPEN, policy_version__isnull=False)
        .annotate(n=Count("events")).order_by("-n", "pk").select_related("owner").first()
    )
    if case is None:
        raise SystemExit("No open case with a policy to reply on.")
    last = case.events.aggregate(m=Max("at"))["m"]
    at = max(now, last) + dt.timedelta(minutes=1)
    print(f"{'incremental update (rolled back)':<58} {'median ms':>10} {'p95 ms':>8}")
    time_call(
        f"case_reply on one open case ({case.n} events)",
        lambda: rolled_back(lambda: services.case_reply(actor=case.owner, case=case, body="Benchmark reply", now=at)),
        args.runs,
    )

    director = User.objects.get(username="director")
    ops = User.objects.filter(role=Role.OPERATIONS, is_active=True).annotate(n=Count("cases")).order_by("-n", "pk").first()
    busiest = Case.objects.values("account__public_id").annotate(n=Count("id")).order_by("-n").values_list("account__public_id", "n").first()
    _, key = api_token_create(user=director, name="benchmark")
    auth = {"Authorization": f"Bearer {key}"}
    director_client, ops_client, api_client = Client(), Client(), Client()
    director_client.force_login(director)
    cases = [
        ("/cases/, open, soonest due first (director)", director_client, "/cases/", None),
        ("/cases/?view=all (director)", director_client, "/cases/?view=all", None),
        (f"case page ({case.number}, {case.n} events)", director_client, f"/cases/{case.public_id}/", None),
        (f"account 360, cases tab ({busiest[1]} cases)", director_client, f"/accounts/{busiest[0]}/cases/", None),
        ("GET /api/v1/cases?limit=50 (director)", api_client, "/api/v1/cases?limit=50", auth),
    ]
    if ops is not None:
        ops_client.force_login(ops)
        cases.insert(2, (f"/cases/, open (operations manager, owns {ops.n} cases)", ops_client, "/cases/", None))
    run_cases(cases, args.runs)
    director.api_tokens.filter(name="benchmark").delete()


if __name__ == "__main__":
    main()
