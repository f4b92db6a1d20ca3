"""Service levels at the portfolio's full size (seed_demo --accounts 50000: about 500,000 cases).

Run against a seeded database (DATABASE_URL picks it; SQLite or PostgreSQL):

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/steward .venv/bin/python benchmarks/sla_scale.py --runs 20

Prints, with the median and p95 over the runs:

- recomputing every case with a policy (`services.cases_recompute(open_only=False)`), in one process
  (rolled back) and split over `--workers` processes (`steward.sla.parallel`, what
  `manage.py sla_recompute --all` runs; committed, as workers cannot share a transaction). Run k
  evaluates the clock at `--at` plus k times ten minutes, both variants at the same time, so every
  run finds the running clocks moved on and writes what changed; states are left as of the last run;
- the pass over the open cases (the periodic job's, alerts off) five minutes after each of those;
- one new event on one open case (`case_reply`, `case_customer_reply`), rolled back: the incremental update;
- attainment of the whole portfolio by account (every row, and the ranked first page of 50 the page
  shows) and by quarter (the selectors, as a director, read from the attainment cells), and the
  attainment page for a director.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from harness import Client, connection, run_cases, time_call

from steward.sla import parallel, selectors, services
from steward.sla.choices import OPEN_CASE_STATUSES, CaseStatus
from steward.sla.models import Case, CaseEvent, CaseTarget
from steward.users.models import User


def rolled_back(fn: Callable[[], Any]) -> Any:
    """Run `fn` in a transaction that is rolled back, so the data stay as they were."""
    with transaction.atomic():
        result = fn()
        transaction.set_rollback(True)
    return result


def line(label: str, samples: list[float], cases: int, cpu: list[float]) -> None:
    """Median and p95 seconds over the runs, the cases per second at the median, and the median CPU
    seconds of this process and its workers (the database server's not counted): on a shared machine
    the wall-clock figure includes waiting for a core."""
    ordered = sorted(samples)
    median = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    runs = ", ".join(f"{s:.1f}" for s in samples)
    print(
        f"{label:<58} {median:>8.1f} s {p95:>8.1f} s {cases / median:>9,.0f}/s"
        f"   (runs: {runs}; Python CPU {statistics.median(cpu):.1f} s)", flush=True,
    )


def cpu_seconds() -> float:
    """CPU time of this process and of its finished child processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def recompute(at: dt.datetime, runs: int, workers: int, chunk: int, *, single: bool) -> None:
    """Every case at `at` + k x 10 minutes, then the open cases 5 minutes later, for run k: in one
    process (rolled back) and in `workers` processes (committed)."""
    samples: dict[tuple[bool, int], list[float]] = {}
    cpu: dict[tuple[bool, int], list[float]] = {}
    totals: dict[bool, services.RecomputeTotals] = {}
    for k in range(runs):
        for open_only, now in ((False, at + dt.timedelta(minutes=10 * k)), (True, at + dt.timedelta(minutes=10 * k + 5))):
            if single:
                t0, c0 = time.perf_counter(), cpu_seconds()
                rolled_back(lambda now=now, o=open_only: services.cases_recompute(now=now, open_only=o, notify_people=False, chunk=chunk))
                samples.setdefault((open_only, 1), []).append(time.perf_counter() - t0)
                cpu.setdefault((open_only, 1), []).append(cpu_seconds() - c0)
            t0, c0 = time.perf_counter(), cpu_seconds()
            totals[open_only] = parallel.cases_recompute_parallel(
                now=now, open_only=open_only, notify_people=False, workers=workers, chunk=chunk
            )
            samples.setdefault((open_only, workers), []).append(time.perf_counter() - t0)
            cpu.setdefault((open_only, workers), []).append(cpu_seconds() - c0)
    for open_only in (False, True):
        what = "open cases" if open_only else "every case"
        t = totals[open_only]
        for n in (1, workers) if single else (workers,):
            label = f"{what} ({t.cases:,}, {t.changed:,} changed), {n} process{'es' if n > 1 else ''}"
            line(label, samples[(open_only, n)], t.cases, cpu[(open_only, n)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20, help="Replies, selector calls and page requests timed.")
    parser.add_argument("--recompute-runs", type=int, default=3, help="Runs of each recompute.")
    parser.add_argument("--workers", type=int, default=2, help="Processes of the parallel recompute.")
    parser.add_argument("--chunk", type=int, default=2000, help="Cases per chunk of the recomputes.")
    parser.add_argument("--at", help="Clock time of the first recompute run (ISO 8601, UTC); default: the stored states' time + 1 day + 10 h.")
    parser.add_argument("--skip-single", action="store_true", help="Time the parallel recompute only.")
    parser.add_argument("--only", choices=["recompute", "incremental", "attainment"], help="Run one group of figures.")
    args = parser.parse_args()
    stored = Case.objects.aggregate(m=Max("sla_computed_at"))["m"]
    if stored is None:
        raise SystemExit("No case has SLA states: seed the database with manage.py seed_demo first.")
    if args.at:
        at = dt.datetime.fromisoformat(args.at)
        at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at
    else:
        at = stored + dt.timedelta(days=1, hours=10)
    n_cases = Case.objects.count()
    n_open = Case.objects.filter(status__in=OPEN_CASE_STATUSES).count()
    print(
        f"database: {connection.vendor}; {n_cases:,} cases ({n_open:,} open), {CaseEvent.objects.count():,} events,"
        f" {CaseTarget.objects.count():,} target states; stored at {stored:%Y-%m-%d %H:%M} UTC"
    )
    if args.only in (None, "recompute"):
        print(f"{'recompute (clock from ' + f'{at:%Y-%m-%d %H:%M} UTC)':<58} {'median':>10} {'p95':>10} {'rate':>10}")
        recompute(at, args.recompute_runs, args.workers, args.chunk, single=not args.skip_single)

    director = User.objects.get(username="director")
    if args.only in (None, "incremental"):
        case = (
            Case.objects.filter(status=CaseStatus.OPEN, policy_version__isnull=False)
            .annotate(n=Count("events")).order_by("-n", "pk").select_related("owner").first()
        )
        if case is None:
            raise SystemExit("No open case with a policy to reply on.")
        last = case.events.aggregate(m=Max("at"))["m"]
        when = max(at, last, case.sla_computed_at or last) + dt.timedelta(hours=1)
        # Steady state, as after the periodic job: the case is up to date and its due alerts are sent.
        services.case_recompute(case, now=when)
        print(f"{'incremental update (rolled back)':<58} {'median ms':>10} {'p95 ms':>8}")
        time_call(
            f"case_reply on one open case ({case.n} events)",
            lambda: rolled_back(lambda: services.case_reply(actor=case.owner, case=case, body="Benchmark reply", now=when)),
            args.runs,
        )
        time_call(
            f"case_customer_reply on one open case ({case.n} events)",
            lambda: rolled_back(lambda: services.case_customer_reply(actor=case.owner, case=case, body="Any update?", now=when)),
            args.runs,
        )

    if args.only in (None, "attainment"):
        decided = CaseTarget.objects.filter(decided_on__isnull=False).count()
        print(f"{f'attainment, whole portfolio ({decided:,} decided targets)':<58} {'median ms':>10} {'p95 ms':>8}")
        time_call("attainment_by account, all time (director)", lambda: selectors.attainment_by(user=director, group="account"), args.runs)

        def first_page() -> None:
            ranked = selectors.ranked_by_account(user=director)
            ranked.count()
            ranked[0:50]

        time_call("ranked_by_account: count and worst 50, all time (director)", first_page, args.runs)
        time_call("attainment_by quarter, all time (director)", lambda: selectors.attainment_by(user=director, group="quarter"), args.runs)
        client = Client()
        client.force_login(director)
        run_cases([
            ("/sla/attainment/ (director, 4 quarters by quarter)", client, "/sla/attainment/", None),
            ("/sla/attainment/?group=account (director, 4 quarters)", client, "/sla/attainment/?group=account", None),
            ("/sla/attainment/?group=account&quarters=12 (director)", client, "/sla/attainment/?group=account&quarters=12", None),
        ], args.runs)


if __name__ == "__main__":
    main()
