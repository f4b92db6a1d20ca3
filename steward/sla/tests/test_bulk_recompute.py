"""Recomputing cases in slices and in worker processes writes what one pass writes: the same target
states, summaries, alerts and escalations; a case whose state did not change is not rewritten."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import transaction

from steward.demo.generator import SeedOptions, generate
from steward.sla import parallel, services
from steward.sla.choices import OPEN_CASE_STATUSES
from steward.sla.models import Case, CaseEscalation, CaseNotification, CaseTarget
from steward.sla.tests.test_attainment_cells import counted_cells, stored_cells

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)  # a Sunday: the demo's states are computed then
LATER = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.UTC)  # Monday morning: business clocks run again

STATE_FIELDS = (
    "name", "status", "target_seconds", "mode", "opened_at", "due_at", "met_at", "breached_at",
    "elapsed_seconds", "paused_seconds", "percent_used", "warning_level", "breaches", "decided_on",
)


def _portfolio() -> None:
    generate(SeedOptions(accounts=30, seed=5, now=NOW, chunk_size=30, interactions_per_account=2, order_lines_per_account=1))


def _snapshot() -> dict[str, object]:
    """Everything a recompute writes, keyed by case number (ids of target rows left out)."""
    cases = {
        c["number"]: (c["sla_breached"], c["sla_next_due"], c["sla_computed_at"], c["escalation_level"])
        for c in Case.objects.values("number", "sla_breached", "sla_next_due", "sla_computed_at", "escalation_level")
    }
    targets = sorted(CaseTarget.objects.values_list("case__number", *STATE_FIELDS))
    sent = sorted(CaseNotification.objects.values_list("case__number", "key", "kind", "target"))
    escalations = sorted(CaseEscalation.objects.values_list("case__number", "from_level", "to_level", "reason", "automatic"))
    cells = stored_cells()
    assert cells == counted_cells()  # the attainment cells always agree with the target states
    return {"cases": cases, "targets": targets, "sent": sent, "escalations": escalations, "cells": cells}


@pytest.mark.django_db
def test_slices_cover_every_case_once_in_about_equal_parts():
    _portfolio()
    ids = list(services.cases_to_recompute(open_only=False).order_by("pk").values_list("pk", flat=True))
    parts = parallel.slices(open_only=False, parts=3)
    assert len(parts) == 3
    covered = [pk for part in parts for pk in ids if part.after_pk < pk <= part.upto_pk]
    assert covered == ids
    sizes = [sum(part.after_pk < pk <= part.upto_pk for pk in ids) for part in parts]
    assert max(sizes) - min(sizes) <= 1
    assert parallel.slices(open_only=True, parts=50)  # never more slices than cases
    assert len(parallel.slices(open_only=True, parts=10_000)) == services.cases_to_recompute(open_only=True).count()


@pytest.mark.django_db
def test_a_slice_by_slice_recompute_equals_one_pass():
    _portfolio()
    with transaction.atomic():
        whole = services.cases_recompute(now=LATER, open_only=False, notify_people=True, chunk=7)
        expected = _snapshot()
        transaction.set_rollback(True)
    assert whole.changed > 0 and expected["sent"]
    totals = services.RecomputeTotals(0, 0, 0.0)
    for part in parallel.slices(open_only=False, parts=4):
        one = services.cases_recompute(
            now=LATER, open_only=False, notify_people=True, after_pk=part.after_pk, upto_pk=part.upto_pk, chunk=5
        )
        totals = services.RecomputeTotals(totals.cases + one.cases, totals.targets + one.targets, 0.0, totals.changed + one.changed)
    assert (totals.cases, totals.targets, totals.changed) == (whole.cases, whole.targets, whole.changed)
    assert _snapshot() == expected


@pytest.mark.django_db(transaction=True)
def test_worker_processes_write_what_one_process_writes():
    """On a database other processes can reach (PostgreSQL, a SQLite file) the slices run in forked
    workers; on SQLite in memory they run one after the other here. The result is the same."""
    _portfolio()
    with transaction.atomic():
        whole = services.cases_recompute(now=LATER, open_only=False, notify_people=True, chunk=7)
        expected = _snapshot()
        transaction.set_rollback(True)
    totals = parallel.cases_recompute_parallel(now=LATER, open_only=False, notify_people=True, workers=3, chunk=7)
    assert (totals.cases, totals.targets, totals.changed) == (whole.cases, whole.targets, whole.changed)
    assert _snapshot() == expected
    # Again at the same time: nothing changed, so nothing is rewritten, and the states stay.
    again = parallel.cases_recompute_parallel(now=LATER, open_only=False, notify_people=True, workers=2, chunk=7)
    assert again.cases == whole.cases and again.changed == 0
    assert _snapshot() == expected


@pytest.mark.django_db
def test_unchanged_cases_keep_their_rows_and_open_ones_get_the_new_computed_time():
    _portfolio()
    before = dict(CaseTarget.objects.values_list("id", "status"))
    totals = services.cases_recompute(now=NOW, open_only=False, notify_people=False)
    assert totals.changed == 0 and totals.cases == Case.objects.exclude(policy_version=None).count()
    assert dict(CaseTarget.objects.values_list("id", "status")) == before
    later = NOW + dt.timedelta(minutes=5)
    services.cases_recompute(now=later, open_only=False, notify_people=False)
    with_policy = Case.objects.exclude(policy_version=None)
    assert set(with_policy.filter(status__in=OPEN_CASE_STATUSES).values_list("sla_computed_at", flat=True)) == {later}
    closed = set(with_policy.exclude(status__in=OPEN_CASE_STATUSES).values_list("sla_computed_at", flat=True))
    assert closed and later not in closed  # a closed case's state is final: not rewritten


@pytest.mark.django_db
def test_sla_recompute_command_reports_what_it_did():
    _portfolio()
    out = io.StringIO()
    call_command("sla_recompute", "--all", "--workers", "2", "--now", LATER.isoformat(), "--no-alerts", stdout=out)
    n = Case.objects.exclude(policy_version=None).count()
    assert f"{n:,} cases" in out.getvalue()
    assert not CaseNotification.objects.exists()
    assert set(Case.objects.exclude(policy_version=None).filter(status__in=OPEN_CASE_STATUSES).values_list("sla_computed_at", flat=True)) == {LATER}
