"""The registry of periodic jobs and the rule that enqueues each once per slot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from steward.jobs.models import ScheduledRun


@dataclass(frozen=True)
class PeriodicJob:
    """A task to enqueue every `every`; the task takes no arguments and is idempotent."""

    name: str
    task: Any
    every: dt.timedelta
    description: str = ""


_REGISTRY: dict[str, PeriodicJob] = {}


def periodic(name: str, *, every: dt.timedelta, description: str = "") -> Callable[[Any], Any]:
    """Decorator for a django.tasks Task: register it to run every `every`."""

    def register(task: Any) -> Any:
        _REGISTRY[name] = PeriodicJob(name=name, task=task, every=every, description=description)
        return task

    return register


def registered_jobs() -> list[PeriodicJob]:
    """All registered periodic jobs, by name."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def slot_of(job: PeriodicJob, now: dt.datetime) -> int:
    """The slot `now` falls in: whole intervals since the Unix epoch."""
    return int(now.timestamp() // job.every.total_seconds())


def enqueue_due(now: dt.datetime) -> list[str]:
    """Enqueue every job whose current slot has not been enqueued yet; safe on many machines."""
    enqueued = []
    for job in registered_jobs():
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=job.name, slot=slot_of(job, now), enqueued_at=now)
                result = job.task.enqueue()
                run.task_result_id = str(result.id)
                run.save(update_fields=["task_result_id"])
        except IntegrityError:
            continue
        enqueued.append(job.name)
    return enqueued
