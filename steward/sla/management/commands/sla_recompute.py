"""Bring the SLA state of every open case, or of every case, up to now, on several cores."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from steward.sla import parallel, services


class Command(BaseCommand):
    help = (
        "Recompute the SLA state of every open case (--open, the default, as the periodic job does) or of every case "
        "with a policy (--all), split over --workers processes."
    )

    def add_arguments(self, parser: Any) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--open", dest="open_only", action="store_true", default=True, help="Open cases only (default).")
        which.add_argument("--all", dest="open_only", action="store_false", help="Every case with a policy, closed ones too.")
        parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="Processes (default: one per core).")
        parser.add_argument("--chunk", type=int, default=2000, help="Cases per transaction in each process.")
        parser.add_argument("--now", help="Evaluate at this time (ISO 8601, UTC); default: now.")
        parser.add_argument(
            "--alerts", action=argparse.BooleanOptionalAction, default=None,
            help="Send the warnings, breaches and escalations that are due (default: with --open only, like the periodic job).",
        )

    def handle(self, *args: Any, **o: Any) -> None:
        if o["workers"] < 1 or o["chunk"] < 1:
            raise CommandError("--workers and --chunk must be at least 1.")
        now = timezone.now()
        if o["now"]:
            try:
                now = dt.datetime.fromisoformat(o["now"])
            except ValueError:
                raise CommandError(f"--now: “{o['now']}” is not an ISO 8601 time.") from None
            now = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now
        alerts = o["open_only"] if o["alerts"] is None else o["alerts"]

        def told(part: services.RecomputeTotals) -> None:
            self.stdout.write(f"  slice: {part.cases:,} cases in {part.seconds:.1f}s")

        totals = parallel.cases_recompute_parallel(
            now=now, open_only=o["open_only"], notify_people=alerts, workers=o["workers"], chunk=o["chunk"], progress=told
        )
        self.stdout.write(
            f"{totals.cases:,} cases ({totals.changed:,} changed), {totals.targets:,} target states, "
            f"in {totals.seconds:.1f}s with {o['workers']} worker(s)"
        )
