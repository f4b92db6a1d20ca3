"""Customer contracts: term, value, renewal terms, products, warranty and service levels."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from steward.accounts.models import CURRENCY_CODE
from steward.contracts.choices import ContractStatus, ServiceLevelKind, ServiceLevelUnit
from steward.core.models import TimeStampedModel, VersionedModel

NOT_NEGATIVE = [MinValueValidator(Decimal(0))]


class Contract(VersionedModel):
    """An agreement with an account for a term, renewed (or not) when it ends.

    `total_value` and `notice_deadline` are kept by the services: the total from the annual value
    and the term (engine/term.py) unless a negotiated total was given (`total_value_given`), the
    deadline as end date less notice period, stored so renewal lists sort and filter on it.
    """

    number = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="contracts")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contracts")
    status = models.CharField(max_length=12, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    start_on = models.DateField("start date")
    end_on = models.DateField("end date", help_text="The last day the contract runs.")
    currency = models.CharField(max_length=3, default="EUR", validators=[CURRENCY_CODE])
    annual_value = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0), validators=NOT_NEGATIVE)
    total_value = models.DecimalField(
        max_digits=16, decimal_places=2, default=Decimal(0), validators=NOT_NEGATIVE,
        help_text="Leave empty to compute it from the annual value and the term.",
    )
    total_value_given = models.BooleanField(default=False, help_text="The total was negotiated, not computed.")
    auto_renew = models.BooleanField("renews automatically", default=False)
    renewal_term_months = models.PositiveSmallIntegerField(
        "renewal term (months)", default=12, validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="How long each renewal runs.",
    )
    notice_period_days = models.PositiveSmallIntegerField(
        "notice period (days)", default=90, validators=[MaxValueValidator(730)],
        help_text="Notice to terminate or renegotiate must be given this many days before the end.",
    )
    notice_deadline = models.DateField(help_text="End date less notice period.")
    products = models.ManyToManyField("catalogue.Product", blank=True, related_name="contracts")
    warranty_terms = models.TextField(blank=True)
    description = models.TextField(blank=True)
    renewal_opportunity = models.ForeignKey(
        "pipeline.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewed_contracts"
    )
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewals", help_text="The contract this one renews."
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    terminated_at = models.DateTimeField(null=True, blank=True)
    termination_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["end_on", "id"]
        indexes = [
            models.Index(fields=["account", "-end_on"], name="contract_account_end_idx"),
            models.Index(fields=["status", "end_on"], name="contract_status_end_idx"),
            models.Index(fields=["owner", "status", "end_on"], name="contract_owner_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_on__gte=models.F("start_on")), name="contract_ends_after_start"),
            models.CheckConstraint(condition=models.Q(annual_value__gte=0), name="contract_annual_value_not_negative"),
            models.CheckConstraint(condition=models.Q(total_value__gte=0), name="contract_total_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.start_on and self.end_on and self.end_on < self.start_on:
            raise ValidationError({"end_on": "The end date must be on or after the start date."})


class ContractServiceLevel(TimeStampedModel):
    """One service level the contract promises (e.g. first response within 4 business hours).

    SLA policies scope to contracts and read these targets.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="service_levels")
    position = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(max_length=20, choices=ServiceLevelKind.choices, default=ServiceLevelKind.OTHER)
    metric = models.CharField(max_length=120, help_text='What is measured, e.g. "on-time delivery".')
    target = models.DecimalField(max_digits=12, decimal_places=2, validators=NOT_NEGATIVE)
    unit = models.CharField(max_length=20, choices=ServiceLevelUnit.choices, default=ServiceLevelUnit.PERCENT)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["contract", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["contract", "position"], name="contract_service_level_position_unique")]

    def __str__(self) -> str:
        return f"{self.metric}: {self.target} {self.get_unit_display()}"
