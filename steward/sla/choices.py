"""Fixed vocabularies of service levels: case priorities and statuses, target kinds and modes.

Target kinds and modes carry the engine's own names, so a stored value is what the clock reads.
"""

from __future__ import annotations

from django.db import models

from steward.sla.engine import clock

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class CasePriority(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MODERATE = "moderate", "Moderate"
    LOW = "low", "Low"


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    WAITING_ON_THIRD_PARTY = "waiting_on_third_party", "Waiting on a third party"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# Statuses a policy may list as pauses: the case waits on someone other than us.
PAUSABLE_STATUSES = (CaseStatus.WAITING_ON_CUSTOMER, CaseStatus.WAITING_ON_THIRD_PARTY, CaseStatus.ON_HOLD)


class TargetKind(models.TextChoices):
    FIRST_RESPONSE = clock.FIRST_RESPONSE, "First response"
    NEXT_RESPONSE = clock.NEXT_RESPONSE, "Next response"
    RESOLUTION = clock.RESOLUTION, "Resolution"


class TargetMode(models.TextChoices):
    BUSINESS = clock.BUSINESS, "Business hours"
    CALENDAR = clock.CALENDAR, "Around the clock"


class CaseType(models.TextChoices):
    COMPLAINT = "complaint", "Complaint"
    ISSUE = "issue", "Issue"
    REQUEST = "request", "Request"
    QUESTION = "question", "Question"


class CaseChannel(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    PORTAL = "portal", "Portal"
    CHAT = "chat", "Chat"
    MEETING = "meeting", "Meeting"


OPEN_CASE_STATUSES = (
    CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.WAITING_ON_CUSTOMER, CaseStatus.WAITING_ON_THIRD_PARTY, CaseStatus.ON_HOLD,
)


class CaseEventKind(models.TextChoices):
    """The clock's event kinds, and internal notes (which the clock ignores)."""

    CREATED = clock.CREATED, "Opened"
    STATUS_CHANGED = clock.STATUS_CHANGED, "Status changed"
    PUBLIC_REPLY = clock.PUBLIC_REPLY, "Reply to the customer"
    CUSTOMER_REPLY = clock.CUSTOMER_REPLY, "Customer replied"
    PRIORITY_CHANGED = clock.PRIORITY_CHANGED, "Priority changed"
    CATEGORY_CHANGED = clock.CATEGORY_CHANGED, "Category changed"
    RESOLVED = clock.RESOLVED, "Resolved"
    REOPENED = clock.REOPENED, "Reopened"
    CLOSED = clock.CLOSED, "Closed"
    INTERNAL_NOTE = "internal_note", "Internal note"
    ESCALATED = "escalated", "Escalated"
    REEVALUATED = "reevaluated", "SLA re-evaluated"


class TargetStatus(models.TextChoices):
    NOT_STARTED = clock.NOT_STARTED, "Not started"
    RUNNING = clock.RUNNING, "Running"
    PAUSED = clock.PAUSED, "Paused"
    MET = clock.MET, "Met"
    BREACHED = clock.BREACHED, "Breached"


class EscalationLevel(models.TextChoices):
    L1 = "l1", "L1"
    L2 = "l2", "L2"
    L3 = "l3", "L3"
    MANAGEMENT = "management", "Management"


ESCALATION_ORDER = [level.value for level in EscalationLevel]
