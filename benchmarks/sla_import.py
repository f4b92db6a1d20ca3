"""ServiceNow incident-log import: the check (`imports.servicenow_preview`) and the import
(`imports.servicenow_import`: the check, then the cases, their events and SLA states saved in one
transaction), on the real sample log and on a copy of it scaled up in memory.

Run against a seeded database (DATABASE_URL picks it; SQLite or PostgreSQL):

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/steward .venv/bin/python benchmarks/sla_import.py --copies 10 --runs 3

The logs:

- the real log, `shared/data/servicenow-incident-log-subset/incident_event_log.csv` beside the
  repository (`--log` for another file);
- the real log repeated `--copies` times, each copy's incident numbers renamed (copy 1 turns
  INC0000045 into INC1000045, copy 2 into INC2000045, ...), so every copy's incidents are new cases.

The import acts as the user `--as-user` (default `admin`) on the account `--account` (name or id;
default: the first account that user sees, by name, then id), through the module's own
`import_account` and `import_policy` (no `--policy`: each case gets the version that matches it).
Each import runs in a transaction that is rolled back, so the database stays as it was and every run
creates the same cases. Printed per log, median and p95 seconds over `--runs`: the check, the
import, the cases and events written per second at the import's median, the queries of one import,
the median seconds of the import's parts (its check, writing the events, the SLA recompute of the
new cases) and the median CPU seconds of this process (the database server's not counted: on a
shared machine the wall-clock figure includes waiting for a core and for the server).
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import time
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from harness import connection

from steward.accounts.selectors import accounts_visible_to
from steward.sla import imports
from steward.sla.models import Case, CaseEvent
from steward.users.models import User

REAL_LOG = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "servicenow-incident-log-subset" / "incident_event_log.csv"
NUMBER = re.compile(r"^INC(\d{7}),", re.MULTILINE)


def scaled(text: str, copies: int) -> str:
    """The log's rows repeated `copies` times under one header, copy k's numbers raised by k x 1,000,000."""
    header, _, body = text.partition("\n")
    if not body.endswith("\n"):
        body += "\n"
    parts = [header + "\n"]
    for k in range(1, copies + 1):
        parts.append(NUMBER.sub(lambda m, k=k: f"INC{k * 1_000_000 + int(m.group(1)):07d},", body))
    return "".join(parts)


def cpu_seconds() -> float:
    """CPU time of this process."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


class Phases:
    """Seconds spent in the import's parts, by wrapping the functions `imports` calls while it runs:
    the check, writing the events, and the SLA recompute of the new cases; the rest is numbering and
    writing the cases, the past alerts of open ones, the met/breached counts and the audit event."""

    WRAPPED = (
        ("check", imports, "servicenow_preview"),
        ("events", imports.bulk, "insert"),  # counted for the events only (the recompute writes states with it too)
        ("recompute", imports.services, "cases_recompute"),
    )

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {name: [] for name, _, _ in self.WRAPPED}

    def __enter__(self) -> Phases:
        self.run = dict.fromkeys(self.seconds, 0.0)
        self.saved = [(module, attr, getattr(module, attr)) for _, module, attr in self.WRAPPED]
        for (name, module, attr), (_, _, original) in zip(self.WRAPPED, self.saved, strict=True):
            setattr(module, attr, self._timed(name, original))
        return self

    def __exit__(self, *exc) -> None:
        for module, attr, original in self.saved:
            setattr(module, attr, original)
        for name, seconds in self.run.items():
            self.seconds[name].append(seconds)

    def _timed(self, name, fn):
        def timed(*args, **kwargs):
            if name == "events" and args and args[0] is not CaseEvent:
                return fn(*args, **kwargs)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.run[name] += time.perf_counter() - t0
        return timed

    def medians(self) -> str:
        return ", ".join(f"{name} {statistics.median(s):.2f} s" for name, s in self.seconds.items())


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(label: str, content: str, *, actor: User, account, policy, now, runs: int) -> None:
    """`runs` checks and `runs` rolled-back imports of one log, alternately; one line each."""
    check: list[float] = []
    check_cpu: list[float] = []
    saved: list[float] = []
    saved_cpu: list[float] = []
    queries = 0
    phases = Phases()
    preview = result = None
    for k in range(runs):
        t0, c0 = time.perf_counter(), cpu_seconds()
        preview = imports.servicenow_preview(actor=actor, account=account, content=content, policy=policy, now=now)
        check.append(time.perf_counter() - t0)
        check_cpu.append(cpu_seconds() - c0)
        if not preview.can_import:
            raise SystemExit(f"{label}: the check found {len(preview.errors)} row errors; first: {preview.errors[0]}")
        if preview.already_imported:
            raise SystemExit(f"{label}: {len(preview.already_imported)} incidents are cases of {account} already.")
        counted: list[str] = []

        def count(execute, sql, params, many, context, counted=counted):
            counted.append(sql)
            return execute(sql, params, many, context)

        t0, c0 = time.perf_counter(), cpu_seconds()
        with transaction.atomic(), phases:
            if k == 0:
                with connection.execute_wrapper(count):
                    result = imports.servicenow_import(actor=actor, account=account, content=content, policy=policy, now=now)
            else:
                result = imports.servicenow_import(actor=actor, account=account, content=content, policy=policy, now=now)
            transaction.set_rollback(True)
        saved.append(time.perf_counter() - t0)
        saved_cpu.append(cpu_seconds() - c0)
        if k == 0:
            queries = len(counted)
    assert preview is not None and result is not None
    check_median, check_p95 = stats(check)
    median, p95 = stats(saved)
    print(
        f"{label:<34} {preview.rows:>7,} {preview.incidents:>9,} {check_median:>8.2f} {check_p95:>8.2f}"
        f" {median:>8.2f} {p95:>8.2f} {result.created / median:>8,.0f} {result.events / median:>9,.0f} {queries:>7,}",
        flush=True,
    )
    print(
        f"{'':<34} check runs: {', '.join(f'{s:.2f}' for s in check)} s (CPU {statistics.median(check_cpu):.2f} s);"
        f" import runs: {', '.join(f'{s:.2f}' for s in saved)} s (CPU {statistics.median(saved_cpu):.2f} s);"
        f" {result.created:,} cases, {result.events:,} events, {result.met:,} met, {result.breached:,} breached",
        flush=True,
    )
    print(f"{'':<34} import, median of its parts: {phases.medians()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", type=Path, default=REAL_LOG, help="The ServiceNow incident log (CSV).")
    parser.add_argument("--copies", type=int, default=10, help="Copies of the log in the scaled one (0: the real log only).")
    parser.add_argument("--runs", type=int, default=3, help="Checks and imports timed per log.")
    parser.add_argument("--as-user", default="admin", help="Who checks and imports.")
    parser.add_argument("--account", default="", help="The account, by name or id; default: the first the user sees.")
    parser.add_argument("--policy", default="", help="One SLA policy for every case, by name or id; default: each case's match.")
    args = parser.parse_args()
    if not args.log.exists():
        raise SystemExit(f"No log at {args.log}: give one with --log.")
    actor = User.objects.get(username=args.as_user)
    if args.account:
        account = imports.import_account(actor=actor, reference=args.account)
    else:
        account = accounts_visible_to(actor).order_by("name", "pk").first()
        if account is None:
            raise SystemExit(f"{actor.username} sees no account: seed the database with manage.py seed_demo first.")
        account = imports.import_account(actor=actor, reference=str(account.public_id))
    policy = imports.import_policy(reference=args.policy)
    now = timezone.now()
    text = args.log.read_text(encoding="utf-8-sig")
    logs = [("real log", text)]
    if args.copies > 0:
        logs.append((f"real log x {args.copies} (numbers renamed)", scaled(text, args.copies)))
    print(
        f"database: {connection.vendor}; {Case.objects.count():,} cases, {CaseEvent.objects.count():,} events;"
        f" as {actor.username} into {account.name!r} ({Case.objects.filter(account=account).count():,} cases);"
        f" policy: {policy.name if policy else 'each case its match'}; {args.runs} runs, imports rolled back"
    )
    # Warm-up: one check of the real log (policies, calendars and code loaded once), not timed.
    imports.servicenow_preview(actor=actor, account=account, content=text, policy=policy, now=now)
    print(
        f"{'log':<34} {'rows':>7} {'incidents':>9} {'check s':>8} {'p95 s':>8} {'import s':>8} {'p95 s':>8}"
        f" {'cases/s':>8} {'events/s':>9} {'queries':>7}"
    )
    for label, content in logs:
        measure(label, content, actor=actor, account=account, policy=policy, now=now, runs=args.runs)


if __name__ == "__main__":
    main()
