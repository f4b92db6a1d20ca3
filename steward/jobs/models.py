"""Bookkeeping for periodic jobs: one row per job and time slot, so a slot runs once."""

from __future__ import annotations

from django.db import models


class ScheduledRun(models.Model):
    """A periodic job enqueued for one slot (the job's interval since the epoch)."""

    job = models.CharField(max_length=100)
    slot = models.BigIntegerField()
    enqueued_at = models.DateTimeField()
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-enqueued_at"]
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="scheduled_run_once_per_slot")]

    def __str__(self) -> str:
        return f"{self.job} #{self.slot}"
