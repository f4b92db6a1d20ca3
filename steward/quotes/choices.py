from django.db import models

from steward.quotes.engine.approval import ApproverRole, Metric, Operator


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"


# Statuses whose content may still change in place (an edit voids any approval and returns to draft).
EDITABLE = frozenset({QuoteStatus.DRAFT, QuoteStatus.PENDING, QuoteStatus.APPROVED, QuoteStatus.REJECTED})
# Statuses a validity date can still run out in.
EXPIRABLE = frozenset({QuoteStatus.DRAFT, QuoteStatus.PENDING, QuoteStatus.APPROVED, QuoteStatus.SENT})


class RejectedBy(models.TextChoices):
    APPROVER = "approver", "An approver"
    CUSTOMER = "customer", "The customer"


class ApprovalState(models.TextChoices):
    NONE = "", "Not submitted"
    NOT_REQUIRED = "not_required", "Not required"
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    VOIDED = "voided", "Voided by an edit"
    WITHDRAWN = "withdrawn", "Withdrawn"


class StepStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for an earlier level"
    PENDING = "pending", "Awaiting decision"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CLOSED = "closed", "Closed"


METRIC_CHOICES = [
    (Metric.LINE_DISCOUNT_PCT.value, "Largest line discount (%)"),
    (Metric.OVERALL_DISCOUNT_PCT.value, "Overall discount (%)"),
    (Metric.TOTAL.value, "Quote total (reporting currency)"),
    (Metric.PAYMENT_TERM_DAYS.value, "Payment terms (days)"),
    (Metric.MARGIN_PCT.value, "Margin (%)"),
    (Metric.NONSTANDARD_TERMS.value, "Nonstandard terms and clauses (count)"),
]
OPERATOR_CHOICES = [(Operator.GT.value, "greater than"), (Operator.GTE.value, "at least"), (Operator.LT.value, "less than"), (Operator.LTE.value, "at most")]
APPROVER_CHOICES = [(ApproverRole.OWNER_MANAGER.value, "Owner's manager"), (ApproverRole.DIRECTOR.value, "Director"), (ApproverRole.FINANCE.value, "Finance")]
