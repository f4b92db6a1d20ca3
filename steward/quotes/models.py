"""Quotes with their lines and nonstandard terms, the approval rules, requests, steps and delegations."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from steward.accounts.models import CURRENCY_CODE
from steward.core.models import TimeStampedModel, VersionedModel
from steward.quotes.choices import (
    APPROVER_CHOICES,
    METRIC_CHOICES,
    OPERATOR_CHOICES,
    ApprovalState,
    QuoteStatus,
    RejectedBy,
    RequestStatus,
    StepStatus,
)

PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class Quote(VersionedModel):
    """A priced offer to an account, in revisions (same number, revision 1, 2, ...).

    Totals are kept by the services from the lines (pricing engine). `approved_fingerprint` is the
    fingerprint of the content that was approved; sending or accepting checks it against the
    current content, so no path can send terms that were not approved.
    """

    number = models.CharField(max_length=30)
    revision = models.PositiveSmallIntegerField(default=1)
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="quotes")
    opportunity = models.ForeignKey("pipeline.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes")
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes", help_text="Who the quote is addressed to."
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quotes")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    currency = models.CharField(max_length=3, default="EUR", validators=[CURRENCY_CODE])
    valid_until = models.DateField(help_text="The offer lapses after this date.")
    payment_terms_days = models.PositiveSmallIntegerField(
        "payment terms (Net days)", default=30, validators=[MaxValueValidator(365)], help_text="Net N: the invoice is due N days after it is issued."
    )
    # Nonstandard terms (structured); any of them set makes the quote nonstandard.
    extra_discount_pct = models.DecimalField(
        "extra discount (%)", max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT, help_text="A discount on the whole quote, on top of line discounts."
    )
    sla_credit_pct = models.DecimalField(
        "SLA credits (%)", max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT,
        help_text="Service credit per missed service level, as a percentage of the monthly fee.",
    )
    liability_cap = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal(0))], help_text="A cap on our liability, in the quote's currency."
    )
    delivery_terms = models.TextField("custom delivery terms", blank=True)
    customer_note = models.TextField(blank=True, help_text="Printed on the quote.")
    internal_note = models.TextField(blank=True, help_text="Never shown to the customer.")
    # Totals, kept by the services from the pricing engine.
    list_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    lines_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    extra_discount_amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    overall_discount_pct = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))
    max_line_discount_pct = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))
    margin_pct = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    # Approval.
    approval_state = models.CharField(max_length=20, choices=ApprovalState.choices, blank=True, default=ApprovalState.NONE)
    approved_fingerprint = models.CharField(max_length=64, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.CharField(max_length=10, choices=RejectedBy.choices, blank=True)
    rejection_reason = models.TextField(blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    duplicated_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates")
    previous_revision = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_revisions")
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="source_quotes")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="quote_account_idx"),
            models.Index(fields=["status", "valid_until"], name="quote_status_valid_idx"),
            models.Index(fields=["owner", "status"], name="quote_owner_status_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["number", "revision"], name="quote_number_revision_unique")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.number if self.revision == 1 else f"{self.number} rev {self.revision}"

    @property
    def nonstandard_terms(self) -> list[str]:
        """Names of the structured nonstandard terms this quote carries (clauses are counted apart)."""
        found = []
        if self.extra_discount_pct:
            found.append("extra discount")
        if self.payment_terms_days > settings.STEWARD_STANDARD_PAYMENT_TERMS_DAYS:
            found.append("extended payment terms")
        if self.sla_credit_pct:
            found.append("SLA credits")
        if self.liability_cap is not None:
            found.append("liability cap")
        if self.delivery_terms.strip():
            found.append("custom delivery terms")
        return found


class QuoteLine(models.Model):
    """One product on a quote. List price and unit cost are copied from the catalogue when the line is set."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=1)
    product = models.ForeignKey("catalogue.Product", on_delete=models.PROTECT, related_name="quote_lines")
    description = models.CharField(max_length=300, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    unit_price = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))])
    discount_pct = models.DecimalField("discount (%)", max_digits=5, decimal_places=2, default=Decimal(0), validators=PERCENT)
    list_price = models.DecimalField(max_digits=14, decimal_places=2)
    unit_cost = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    net_amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    effective_discount_pct = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))

    class Meta:
        ordering = ["quote", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["quote", "position"], name="quote_line_position_unique")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


class QuoteClause(models.Model):
    """A free-text nonstandard clause (counts as a nonstandard term)."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="clauses")
    position = models.PositiveSmallIntegerField(default=1)
    text = models.TextField()

    class Meta:
        ordering = ["quote", "position", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class ApprovalRule(TimeStampedModel):
    """When a quote needs whose approval: a condition on one figure, the approver, the level."""

    name = models.CharField(max_length=120)
    metric = models.CharField(max_length=30, choices=METRIC_CHOICES)
    operator = models.CharField(max_length=4, choices=OPERATOR_CHOICES, default="gt")
    threshold = models.DecimalField(max_digits=16, decimal_places=2)
    approver = models.CharField(max_length=20, choices=APPROVER_CHOICES)
    level = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(9)], help_text="Lower levels decide first.")
    is_active = models.BooleanField("active", default=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["level", "approver", "name"]

    def __str__(self) -> str:
        return self.name


class ApprovalRequest(TimeStampedModel):
    """One submission of one quote's content for approval, with the fingerprint it covers."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="approval_requests")
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    facts = models.JSONField(default=dict, help_text="The figures the rules saw at submission.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"approval of {self.quote_id} ({self.status})"


class ApprovalStep(models.Model):
    """One approver role at one level of a request; decided once, by one of its approvers or a delegate."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveSmallIntegerField()
    level = models.PositiveSmallIntegerField()
    approver_role = models.CharField(max_length=20, choices=APPROVER_CHOICES)
    reasons = models.JSONField(default=list)
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="approval_steps")
    status = models.CharField(max_length=10, choices=StepStatus.choices, default=StepStatus.WAITING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["request", "index"]
        constraints = [models.UniqueConstraint(fields=["request", "index"], name="approval_step_index_unique")]
        indexes = [models.Index(fields=["status"], name="approval_step_status_idx")]

    def __str__(self) -> str:
        return f"step {self.index + 1} ({self.approver_role})"


class Delegation(TimeStampedModel):
    """While `from_user` is away, `to_user` may decide approvals in their place."""

    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_given")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_received")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="delegation_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.from_user_id} -> {self.to_user_id}"
