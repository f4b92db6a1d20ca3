"""Customer accounts, their people, the interactions with them and the work on them."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from steward.accounts import choices
from steward.core.models import TimeStampedModel, VersionedModel

COUNTRY_CODE = RegexValidator(r"^[A-Z]{2}$", "Use a two-letter ISO country code, e.g. DE.")
CURRENCY_CODE = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO currency code, e.g. EUR.")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not an IANA time zone such as Europe/Berlin.")


class Tier(TimeStampedModel):
    """A service tier (Strategic, Key, Growth, Maintain by default); sets the touchpoint cadence."""

    name = models.CharField(max_length=50, unique=True)
    rank = models.PositiveSmallIntegerField(default=0, help_text="Lower ranks are more important.")
    touchpoint_cadence_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="Maximum days between touchpoints before the account is overdue.",
    )
    qbr_every_months = models.PositiveSmallIntegerField(default=3)
    color = models.CharField(max_length=7, default="#64748b")

    class Meta:
        ordering = ["rank", "name"]

    def __str__(self) -> str:
        return self.name


class ExchangeRate(TimeStampedModel):
    """How many units of the reporting currency one unit of `currency` is worth.

    Portfolio totals (annual contract value on the dashboard) convert each account's amount
    with these rates; an amount in a currency without a rate is shown apart, never summed as if
    it were the reporting currency.
    """

    currency = models.CharField(max_length=3, unique=True, validators=[CURRENCY_CODE])
    rate = models.DecimalField(
        max_digits=18, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))],
        help_text="Units of the reporting currency for one unit of this currency.",
    )
    as_of = models.DateField(help_text="The date the rate was taken.")

    class Meta:
        ordering = ["currency"]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate.normalize():f} {settings.REPORTING_CURRENCY}"


class Account(VersionedModel):
    """A customer account: the unit of the portfolio."""

    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=200, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    region = models.ForeignKey("users.Region", null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts")
    territory = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, validators=[COUNTRY_CODE])
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="accounts")
    lifecycle_stage = models.CharField(
        max_length=20, choices=choices.LifecycleStage.choices, default=choices.LifecycleStage.ONBOARDING
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_accounts")
    operations_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="operated_accounts"
    )
    executive_sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sponsored_accounts"
    )
    customer_since = models.DateField(null=True, blank=True)
    annual_contract_value = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, default="EUR", validators=[CURRENCY_CODE])
    preferred_channel = models.CharField(max_length=20, choices=choices.Channel.choices, blank=True)
    meeting_cadence = models.CharField(max_length=20, choices=choices.MeetingCadence.choices, blank=True)
    preference_notes = models.TextField(blank=True)
    salesforce_id = models.CharField(max_length=18, blank=True)
    hubspot_id = models.CharField(max_length=32, blank=True)
    # Derived, maintained by services (never edited by hand).
    last_touchpoint_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_single_threaded = models.BooleanField(default=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="account_name_idx"),
            models.Index(fields=["owner", "name"], name="account_owner_idx"),
            models.Index(fields=["operations_manager"], name="account_ops_idx"),
            models.Index(fields=["executive_sponsor"], name="account_sponsor_idx"),
            models.Index(fields=["last_touchpoint_at"], name="account_last_touch_idx"),
            models.Index(fields=["-annual_contract_value", "id"], name="account_acv_idx"),
            # The dashboard's portfolio-wide questions, answered from small or covering indexes.
            models.Index(
                fields=["tier", "last_touchpoint_at"], name="account_touch_due_idx",
                condition=~Q(lifecycle_stage="churned"),
            ),
            models.Index(
                fields=["tier", "-annual_contract_value", "id"], name="account_single_threaded_idx",
                condition=Q(is_single_threaded=True) & ~Q(lifecycle_stage="churned"),
            ),
            models.Index(
                fields=["tier", "lifecycle_stage", "currency", "annual_contract_value"], name="account_tier_stage_acv_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(annual_contract_value__gte=0), name="account_acv_non_negative"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="account_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class AccountTeamMember(TimeStampedModel):
    """A colleague on an account's team, with their role on it; they see the account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="team_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_teams")
    role = models.CharField(max_length=30, choices=choices.TeamRole.choices, default=choices.TeamRole.OTHER)

    class Meta:
        ordering = ["account", "role"]
        constraints = [models.UniqueConstraint(fields=["account", "user"], name="team_member_unique")]
        indexes = [models.Index(fields=["user", "account"], name="team_member_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} on {self.account} ({self.get_role_display()})"


class Contact(VersionedModel):
    """A person at a customer account, placed on the account's stakeholder map."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    title = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    department = models.CharField(max_length=100, blank=True)
    buying_role = models.CharField(max_length=30, choices=choices.BuyingRole.choices, default=choices.BuyingRole.USER)
    influence = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(5)])
    sentiment = models.CharField(max_length=10, choices=choices.Sentiment.choices, default=choices.Sentiment.UNKNOWN)
    reports_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="direct_reports")
    is_primary = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=choices.ContactStatus.choices, default=choices.ContactStatus.ACTIVE)
    left_at = models.DateField(null=True, blank=True)
    # Derived from interactions, maintained by services.
    last_touched_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["account", "status"], name="contact_account_idx"),
            models.Index(fields=["last_name", "first_name"], name="contact_name_idx"),
            models.Index(fields=["email"], name="contact_email_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(influence__gte=1, influence__lte=5), name="contact_influence_1_5"),
            models.CheckConstraint(condition=~Q(reports_to=models.F("id")), name="contact_not_own_manager"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def full_name(self) -> str:
        return str(self)

    def clean(self) -> None:
        if self.reports_to is not None and self.account_id and self.reports_to.account_id != self.account_id:
            raise ValidationError({"reports_to": "Pick a contact at the same account."})
        if self.status == choices.ContactStatus.ACTIVE and self.left_at:
            raise ValidationError({"left_at": "Only a contact who left the company has a leaving date."})


class Interaction(VersionedModel):
    """A logged interaction with the customer; every kind but a note is a touchpoint."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=10, choices=choices.InteractionKind.choices)
    occurred_at = models.DateTimeField()
    subject = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    outcome = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contacts = models.ManyToManyField(Contact, blank=True, related_name="interactions")
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="interactions")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["account", "-occurred_at"], name="interaction_account_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def is_touchpoint(self) -> bool:
        return self.kind in choices.TOUCHPOINT_KINDS


class Task(VersionedModel):
    """A piece of work on an account, assigned to one person."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tasks")
    due_date = models.DateField(null=True, blank=True)
    priority = models.CharField(max_length=10, choices=choices.Priority.choices, default=choices.Priority.NORMAL)
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["done", "due_date", "id"]
        indexes = [
            models.Index(fields=["assignee", "done", "due_date"], name="task_assignee_idx"),
            models.Index(fields=["account", "done", "due_date"], name="task_account_idx"),
        ]

    def __str__(self) -> str:
        return self.title
