"""Improvement plans (corrective and preventive action, CAPA): a problem, its root cause, the actions
that fix it and keep it from coming back, and a check that the chosen metric actually improved.

A plan belongs to one account or to the whole portfolio (no account). It may start from an SLA
breach (a case target), an escalation, a quarter of low attainment, or by hand; the source is kept.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from steward.core.models import VersionedModel
from steward.improvement.choices import (
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
    ActionKind,
    ActionStatus,
    Metric,
    PlanSource,
    PlanStatus,
    RootCause,
)


def no_whys() -> list[str]:
    return []


class ImprovementPlan(VersionedModel):
    """A problem worked to its root cause, with actions and an effectiveness check before/after a change date."""

    number = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    problem = models.TextField(help_text="What went wrong, where and how often: the problem statement.")
    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="improvement_plans",
        help_text="Empty: the plan covers the whole portfolio.",
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="improvement_plans")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=24, choices=PlanStatus.choices, default=PlanStatus.OPEN)
    source = models.CharField(max_length=16, choices=PlanSource.choices, default=PlanSource.MANUAL)
    source_case = models.ForeignKey("sla.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_target = models.ForeignKey("sla.CaseTarget", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_escalation = models.ForeignKey("sla.CaseEscalation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_quarter = models.DateField(null=True, blank=True, help_text="The first day of the quarter of low attainment.")
    root_cause_category = models.CharField(max_length=16, choices=RootCause.choices, blank=True)
    root_cause = models.TextField(blank=True, help_text="The root cause in a sentence or two.")
    whys = models.JSONField(default=no_whys, blank=True, help_text="The five-whys chain, in order (at most five).")
    metric = models.CharField(max_length=16, choices=Metric.choices, default=Metric.RESOLUTION)
    change_date = models.DateField(
        null=True, blank=True, help_text="When the change took effect; empty: the last completed action, else the plan's creation.",
    )
    before_days = models.PositiveSmallIntegerField(default=90)
    after_days = models.PositiveSmallIntegerField(default=90)
    closed_on = models.DateField(null=True, blank=True)
    closing_note = models.TextField(blank=True)
    linked_cases = models.ManyToManyField("sla.Case", blank=True, related_name="improvement_plans")
    linked_orders = models.ManyToManyField("orders.Order", blank=True, related_name="improvement_plans")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "status"], name="plan_account_status_idx"),
            models.Index(fields=["owner", "status"], name="plan_owner_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(before_days__gte=MIN_WINDOW_DAYS, before_days__lte=MAX_WINDOW_DAYS,
                                   after_days__gte=MIN_WINDOW_DAYS, after_days__lte=MAX_WINDOW_DAYS),
                name="plan_windows_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_closed(self) -> bool:
        return self.status in (PlanStatus.CLOSED_EFFECTIVE, PlanStatus.CLOSED_NOT_EFFECTIVE)


class ImprovementAction(VersionedModel):
    """One corrective (fix this occurrence) or preventive (keep it from recurring) action of a plan."""

    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=12, choices=ActionKind.choices, default=ActionKind.CORRECTIVE)
    description = models.CharField(max_length=500)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="improvement_actions")
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    completed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["owner", "status", "due_on"], name="action_owner_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=ActionStatus.DONE, completed_on__isnull=False)
                | (~models.Q(status=ActionStatus.DONE) & models.Q(completed_on__isnull=True)),
                name="action_completed_when_done",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.number if self.plan_id else ''} {self.description[:60]}".strip()

    @property
    def is_pending(self) -> bool:
        return self.status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
