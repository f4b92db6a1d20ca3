"""Periodic jobs: each slot is enqueued once, the database worker runs what was enqueued."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.tasks import task

from steward.jobs import registry
from steward.jobs.models import ScheduledRun

pytestmark = pytest.mark.django_db

CALLS: list[str] = []


@task()
def _record_call() -> str:
    CALLS.append("ran")
    return "ran"


@pytest.fixture
def only_test_job(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", {})
    CALLS.clear()
    registry.periodic("tests.every_hour", every=dt.timedelta(hours=1))(_record_call)
    return registry.registered_jobs()[0]


NOON = dt.datetime(2026, 11, 23, 12, 5, tzinfo=dt.UTC)


def test_a_slot_is_enqueued_once_however_often_the_scheduler_looks(only_test_job):
    assert registry.enqueue_due(NOON) == ["tests.every_hour"]
    assert registry.enqueue_due(NOON + dt.timedelta(minutes=30)) == []
    assert CALLS == ["ran"]
    assert registry.enqueue_due(NOON + dt.timedelta(minutes=55)) == ["tests.every_hour"]
    assert CALLS == ["ran", "ran"]
    runs = list(ScheduledRun.objects.order_by("slot"))
    assert [r.slot for r in runs] == [registry.slot_of(only_test_job, NOON), registry.slot_of(only_test_job, NOON) + 1]
    assert all(r.task_result_id for r in runs)


def test_slots_are_whole_intervals_since_the_epoch(only_test_job):
    assert registry.slot_of(only_test_job, dt.datetime(1970, 1, 1, 2, 59, tzinfo=dt.UTC)) == 2


def test_the_app_registers_its_periodic_jobs():
    import steward.accounts.tasks  # noqa: F401

    names = {job.name for job in registry.registered_jobs()}
    assert "accounts.refresh_coverage" in names


def test_the_scheduler_command_enqueues_and_the_database_worker_runs_it(settings, personas, capsys, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # The worker recycles connections between tasks; inside the test's transaction that would
    # close the test's own connection (SQLite's in-memory test database is never closed).
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    from django_tasks_db.models import DBTaskResult

    call_command("run_scheduler", "--once")
    out = capsys.readouterr().out
    assert "enqueued accounts.refresh_coverage" in out
    result = DBTaskResult.objects.get(task_path__endswith="refresh_coverage")
    assert result.status == "READY"
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    result.refresh_from_db()
    assert result.status == "SUCCESSFUL"
    call_command("run_scheduler", "--once")
    assert DBTaskResult.objects.filter(task_path__endswith="refresh_coverage").count() == 1
