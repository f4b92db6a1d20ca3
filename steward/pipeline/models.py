"""Opportunities moving through configurable stages toward closed won or closed lost."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from steward.accounts.models import CURRENCY_CODE
from steward.core.models import TimeStampedModel, VersionedModel
from steward.pipeline.choices import LossReason, OpportunityType, PeriodKind, StageOutcome


class OpportunityStage(TimeStampedModel):
    """A step of the sales process with its win probability; admins add, rename and reorder them."""

    name = models.CharField(max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the pipeline board, left to right.")
    probability = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(100)], help_text="Chance of winning, in percent; weights the pipeline."
    )
    outcome = models.CharField(max_length=10, choices=StageOutcome.choices, default=StageOutcome.OPEN)
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.CheckConstraint(condition=models.Q(probability__lte=100), name="stage_probability_max_100")]

    def __str__(self) -> str:
        return self.name


class Opportunity(VersionedModel):
    """A chance to sell to an account: new business, upsell, cross-sell or renewal."""

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="opportunities")
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=OpportunityType.choices, default=OpportunityType.UPSELL)
    stage = models.ForeignKey(OpportunityStage, on_delete=models.PROTECT, related_name="opportunities")
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(Decimal(0))])
    currency = models.CharField(max_length=3, default="EUR", validators=[CURRENCY_CODE])
    close_date = models.DateField(help_text="Expected close date; the actual one once closed.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opportunities")
    next_step = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    loss_reason = models.CharField(max_length=20, choices=LossReason.choices, blank=True)
    close_note = models.TextField(blank=True, help_text="Why it was won or lost, in a sentence or two.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["close_date", "id"]
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["owner", "stage", "close_date"], name="opp_owner_stage_idx"),
            models.Index(fields=["account", "close_date"], name="opp_account_close_idx"),
            models.Index(fields=["stage", "close_date"], name="opp_stage_close_idx"),
            models.Index(fields=["closed_at", "owner"], name="opp_closed_owner_idx"),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="opportunity_amount_not_negative")]

    def __str__(self) -> str:
        return self.name


class OpportunityLine(TimeStampedModel):
    """A product the opportunity would sell, with quantity and expected unit price."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalogue.Product", on_delete=models.PROTECT, related_name="opportunity_lines")
    quantity = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(1), validators=[MinValueValidator(Decimal("0.01"))])
    unit_price = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))])

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product}"

    @property
    def total(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class Quota(VersionedModel):
    """What a person is expected to book (close won) in a month, quarter or year."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quotas")
    kind = models.CharField("period", max_length=10, choices=PeriodKind.choices, default=PeriodKind.QUARTER)
    period_start = models.DateField(help_text="First day of the month, quarter or year; other dates are moved to it.")
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))])
    currency = models.CharField(max_length=3, default="EUR", validators=[CURRENCY_CODE])

    class Meta:
        ordering = ["-period_start", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "period_start"], name="quota_one_per_user_period"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="quota_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["kind", "period_start"], name="quota_period_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.get_kind_display()} {self.period_start:%Y-%m-%d}: {self.amount} {self.currency}"
