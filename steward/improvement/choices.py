"""Fixed vocabularies of improvement plans: statuses, sources, root-cause categories, metrics, actions."""

from __future__ import annotations

from django.db import models


class PlanStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "Actions in progress"
    VERIFYING = "verifying", "Verifying effectiveness"
    CLOSED_EFFECTIVE = "closed_effective", "Closed, effective"
    CLOSED_NOT_EFFECTIVE = "closed_not_effective", "Closed, not effective"


ACTIVE_PLAN_STATUSES = (PlanStatus.OPEN, PlanStatus.IN_PROGRESS, PlanStatus.VERIFYING)
CLOSED_PLAN_STATUSES = (PlanStatus.CLOSED_EFFECTIVE, PlanStatus.CLOSED_NOT_EFFECTIVE)

# Where a plan may go from each status; a closed plan reopens into "actions in progress".
PLAN_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PlanStatus.OPEN: (PlanStatus.IN_PROGRESS, PlanStatus.VERIFYING),
    PlanStatus.IN_PROGRESS: (PlanStatus.OPEN, PlanStatus.VERIFYING),
    PlanStatus.VERIFYING: (PlanStatus.IN_PROGRESS, PlanStatus.CLOSED_EFFECTIVE, PlanStatus.CLOSED_NOT_EFFECTIVE),
    PlanStatus.CLOSED_EFFECTIVE: (PlanStatus.IN_PROGRESS,),
    PlanStatus.CLOSED_NOT_EFFECTIVE: (PlanStatus.IN_PROGRESS,),
}


class PlanSource(models.TextChoices):
    BREACH = "breach", "SLA breach"
    ESCALATION = "escalation", "Escalation"
    LOW_ATTAINMENT = "low_attainment", "Low attainment quarter"
    MANUAL = "manual", "By hand"


class RootCause(models.TextChoices):
    PROCESS = "process", "Process"
    PEOPLE = "people", "People / training"
    TOOLING = "tooling", "Tooling"
    CAPACITY = "capacity", "Capacity"
    SUPPLIER = "supplier", "Supplier"
    COMMUNICATION = "communication", "Communication"
    PRODUCT_DEFECT = "product_defect", "Product defect"
    OTHER = "other", "Other"


class Metric(models.TextChoices):
    """The attainment the effectiveness check compares; the case metrics carry the SLA target kinds' names."""

    RESOLUTION = "resolution", "Resolution attainment"
    FIRST_RESPONSE = "first_response", "First response attainment"
    NEXT_RESPONSE = "next_response", "Next response attainment"
    OTIF = "otif", "Delivery OTIF"


class ActionKind(models.TextChoices):
    CORRECTIVE = "corrective", "Corrective"
    PREVENTIVE = "preventive", "Preventive"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


PENDING_ACTION_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
MAX_WHYS = 5
MIN_WINDOW_DAYS = 7
MAX_WINDOW_DAYS = 365
