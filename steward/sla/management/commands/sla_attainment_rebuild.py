"""Recount the attainment cells (per account and quarter) from the target states and orders."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from steward.sla import rollup


class Command(BaseCommand):
    help = (
        "Recount every attainment cell (met and breached targets, delivered orders per account and quarter) from the "
        "target states and orders. The services keep them as they write; run this after changing data by hand."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        cells = rollup.rebuild()
        self.stdout.write(f"{cells:,} attainment cells recounted in {time.perf_counter() - started:.1f} s.")
