"""Service levels: the business calendars SLA clocks run on, and the policies measured on them.

A calendar's weekly hours are stored as seven lists of windows written like "09:00-12:00" (Monday
first), the form people read and type; the pure engine (`engine/calendar.py`) parses and checks
them, so a rule about hours lives once. Public holidays come from the `holidays` package for the
calendar's country (and subdivision) when the clock runs; custom closures are rows of their own.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from steward.core.models import TimeStampedModel, VersionedModel
from steward.sla.choices import (
    OPEN_CASE_STATUSES,
    CaseChannel,
    CaseEventKind,
    CasePriority,
    CaseStatus,
    CaseType,
    EscalationLevel,
    TargetKind,
    TargetMode,
    TargetStatus,
)


def default_week() -> list[list[str]]:
    """Monday to Friday, 09:00-17:00."""
    return [["09:00-17:00"]] * 5 + [[], []]


class BusinessCalendar(VersionedModel):
    """When working time runs for an SLA: a time zone, hours per weekday, holidays; or 24/7."""

    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="An IANA time zone, e.g. Europe/Berlin."
    )
    always_open = models.BooleanField(
        default=False, help_text="24/7: every hour of every day counts, holidays included."
    )
    week = models.JSONField(default=default_week, help_text="Seven lists of windows, Monday first.")
    holiday_country = models.CharField(
        max_length=3, blank=True, help_text="Public holidays of this country (ISO code), e.g. DE."
    )
    holiday_subdivision = models.CharField(
        max_length=10, blank=True, help_text="And of this state or region, e.g. BY for Bavaria."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CalendarClosure(TimeStampedModel):
    """A custom day or span of days the calendar does not work (both ends included)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="closures"
    )
    first_day = models.DateField()
    last_day = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["first_day", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")),
                name="closure_ends_after_start",
            )
        ]
        indexes = [models.Index(fields=["calendar", "first_day"], name="closure_calendar_day_idx")]

    def __str__(self) -> str:
        return self.name


def default_pauses() -> list[str]:
    return ["waiting_on_customer"]


def default_thresholds() -> list[int]:
    return [50, 75, 90]


class SlaPolicy(VersionedModel):
    """What a customer is promised: targets per priority on a calendar, for the cases in scope.

    Policies are tried in `position` order and the first whose scope matches a case applies; the
    active default policy covers the rest. Every change that the clock reads is kept as a new
    `SlaPolicyVersion`, and a case stays on the version it started under.
    """

    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="policies")
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False, help_text="Covers every case no other policy matches.")
    tiers = models.ManyToManyField("accounts.Tier", blank=True, related_name="+")
    accounts = models.ManyToManyField("accounts.Account", blank=True, related_name="+")
    contracts = models.ManyToManyField("contracts.Contract", blank=True, related_name="+")
    priorities = models.JSONField(default=list, blank=True, help_text="Case priorities covered; empty: all.")
    categories = models.JSONField(default=list, blank=True, help_text="Case categories covered; empty: all.")
    pause_statuses = models.JSONField(default=default_pauses, blank=True)
    warning_thresholds = models.JSONField(default=default_thresholds, blank=True)
    attainment_goal = models.DecimalField(max_digits=5, decimal_places=2, default=95)
    notify_in_business_hours = models.BooleanField(
        default=True, help_text="Hold warning and breach notifications until the calendar's next working minute."
    )
    escalate_on_breach_to = models.CharField(
        max_length=12, choices=EscalationLevel.choices, blank=True, default=EscalationLevel.L2,
        help_text="A breach escalates the case to this level at least; empty: no automatic escalation.",
    )
    escalate_at_threshold = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Also escalate (to the same level) when a warning threshold of this percent is reached.",
    )
    current_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True, is_active=True), name="one_active_default_policy"
            ),
            models.CheckConstraint(
                condition=models.Q(attainment_goal__gte=0, attainment_goal__lte=100), name="policy_goal_is_a_percentage"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def priority_labels(self) -> list[str]:
        return [CasePriority(p).label for p in self.priorities if p in CasePriority.values]

    @property
    def pause_labels(self) -> list[str]:
        """The pause statuses as people read them ("waiting on customer")."""
        return [CaseStatus(s).label.lower() for s in self.pause_statuses if s in CaseStatus.values]


class SlaTarget(TimeStampedModel):
    """One target of a policy: for a priority, how long a first response, next response or resolution may take."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=10, choices=CasePriority.choices)
    kind = models.CharField(max_length=16, choices=TargetKind.choices)
    minutes = models.PositiveIntegerField()
    mode = models.CharField(max_length=10, choices=TargetMode.choices, default=TargetMode.BUSINESS)

    class Meta:
        ordering = ["policy", "priority", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority", "kind"], name="one_target_per_priority_and_kind"),
            models.CheckConstraint(condition=models.Q(minutes__gt=0), name="target_longer_than_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.priority} {self.kind}"


class SlaPolicyVersion(models.Model):
    """A policy as the clock read it from `effective_from` on: what a case started under keeps using."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    effective_from = models.DateTimeField()
    snapshot = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [models.UniqueConstraint(fields=["policy", "number"], name="one_policy_version_number")]

    def __str__(self) -> str:
        return f"{self.policy} v{self.number}"


class Case(VersionedModel):
    """A customer's complaint, issue, request or question, measured against the SLA policy that applied
    when it was opened (`policy_version`; none means "no SLA"). The SLA summary fields are kept by
    `services.case_recompute` from the event log, so lists sort and filter on them."""

    number = models.CharField(max_length=20, unique=True)
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="cases")
    contact = models.ForeignKey("accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    contract = models.ForeignKey("contracts.Contract", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    case_type = models.CharField(max_length=10, choices=CaseType.choices, default=CaseType.ISSUE)
    category = models.CharField(max_length=60, blank=True)
    priority = models.CharField(max_length=10, choices=CasePriority.choices, default=CasePriority.MODERATE)
    channel = models.CharField(max_length=10, choices=CaseChannel.choices, default=CaseChannel.EMAIL)
    status = models.CharField(max_length=24, choices=CaseStatus.choices, default=CaseStatus.NEW)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases")
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    policy_version = models.ForeignKey(SlaPolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    sla_breached = models.BooleanField(default=False)
    sla_next_due = models.DateTimeField(null=True, blank=True, help_text="The soonest due time of a running target.")
    sla_computed_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.CharField(max_length=12, choices=EscalationLevel.choices, default=EscalationLevel.L1)
    policy_since = models.DateTimeField(
        null=True, blank=True,
        help_text="From when the case is measured on its policy version, when not from the version's start: a re-evaluation sets the moment it moved the case, an import the case's opening.",
    )
    external_source = models.CharField(max_length=20, blank=True, default="", help_text='The system a case was imported from ("servicenow").')
    external_ref = models.CharField(max_length=60, blank=True, default="", help_text="The case's number in that system.")

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "external_source", "external_ref"], condition=~models.Q(external_ref=""), name="one_case_per_external_ref"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-opened_at"], name="case_account_opened_idx"),
            models.Index(fields=["status", "sla_next_due"], name="case_status_due_idx"),
            models.Index(fields=["owner", "status"], name="case_owner_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE_STATUSES


class CaseEvent(models.Model):
    """One entry of a case's history, in the order it happened: what the clock reads, and notes."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=CaseEventKind.choices)
    status = models.CharField(max_length=24, blank=True)
    priority = models.CharField(max_length=10, blank=True)
    category = models.CharField(max_length=60, blank=True)
    body = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at", "id"], name="case_event_case_at_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def status_label(self) -> str:
        return CaseStatus(self.status).label.lower() if self.status in CaseStatus.values else self.status

    @property
    def priority_label(self) -> str:
        return CasePriority(self.priority).label.lower() if self.priority in CasePriority.values else self.priority


class CaseTarget(models.Model):
    """Where one SLA target of a case stands, as the clock last computed it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sla_targets")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False,
        help_text="The case's account, kept on the state so attainment by account counts without reading cases.",
    )
    name = models.CharField(max_length=16, choices=TargetKind.choices)
    status = models.CharField(max_length=12, choices=TargetStatus.choices)
    target_seconds = models.PositiveIntegerField()
    mode = models.CharField(max_length=10, choices=TargetMode.choices)
    opened_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    elapsed_seconds = models.FloatField(default=0)
    paused_seconds = models.FloatField(default=0)
    percent_used = models.FloatField(default=0)
    warning_level = models.PositiveSmallIntegerField(default=0)
    breaches = models.PositiveIntegerField(default=0)
    decided_on = models.DateField(
        null=True, blank=True, help_text="The UTC date the target was met or breached: the period attainment counts it in."
    )

    class Meta:
        ordering = ["case", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "name"], name="one_state_per_case_target")]
        indexes = [
            models.Index(fields=["decided_on", "name", "status"], name="case_target_decided_idx"),
            models.Index(fields=["account", "decided_on", "name", "status"], name="case_target_account_idx"),
            # The latest breaches (attainment page, account tab): walked newest first, no sort of every breach.
            models.Index(fields=["-breached_at", "-id"], name="case_target_breach_idx", condition=models.Q(status="breached")),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.name} {self.status}"


class CaseNotification(models.Model):
    """A warning, breach or escalation that was sent for a case: kept so each is sent exactly once."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notifications_sent")
    key = models.CharField(max_length=200, help_text="Target, kind, threshold and the clock cycle or instant it belongs to.")
    kind = models.CharField(max_length=12)
    target = models.CharField(max_length=16, blank=True)
    sent_at = models.DateTimeField()
    recipients = models.JSONField(default=list)

    class Meta:
        ordering = ["case", "sent_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="one_notification_per_case_key")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.key}"


class CaseEscalation(models.Model):
    """A case raised to a higher level, by hand with a reason or automatically on a breach or threshold."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="escalations")
    from_level = models.CharField(max_length=12, choices=EscalationLevel.choices)
    to_level = models.CharField(max_length=12, choices=EscalationLevel.choices)
    reason = models.CharField(max_length=500)
    automatic = models.BooleanField(default=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="case_escalations",
        help_text="Who owns the level the case was raised to (see EscalationOwner), when one is named.",
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["case", "at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.from_level}->{self.to_level}"


class EscalationOwner(TimeStampedModel):
    """Who owns an escalation level (L2, L3, management), for every account or for one tier's accounts.

    L1 is the case's own owner. A tier's owner comes before the portfolio-wide one; a case raised to
    a level is assigned to that level's owner, who is told with the case owner and operations manager.
    """

    level = models.CharField(max_length=12, choices=EscalationLevel.choices)
    tier = models.ForeignKey("accounts.Tier", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="escalation_levels")

    class Meta:
        ordering = ["level", "tier", "id"]
        constraints = [
            models.UniqueConstraint(fields=["level", "tier"], name="one_escalation_owner_per_level_and_tier"),
            models.UniqueConstraint(
                fields=["level"], condition=models.Q(tier__isnull=True), name="one_portfolio_escalation_owner_per_level"
            ),
            models.CheckConstraint(condition=~models.Q(level="l1"), name="escalation_owner_above_l1"),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.tier or 'all'} {self.user}"


class DeliveryGoal(TimeStampedModel):
    """The share of deliveries that must arrive on time and in full: for one account, or (no account)
    the portfolio's default. A contract's on-time-delivery service level comes first (see selectors)."""

    account = models.OneToOneField(
        "accounts.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="delivery_goal"
    )
    is_default = models.BooleanField(default=False)
    goal = models.DecimalField(max_digits=5, decimal_places=2)
    note = models.CharField(max_length=300, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="one_default_delivery_goal"),
            models.CheckConstraint(
                condition=models.Q(is_default=True, account__isnull=True) | models.Q(is_default=False, account__isnull=False),
                name="delivery_goal_for_an_account_or_the_default",
            ),
            models.CheckConstraint(condition=models.Q(goal__gte=0, goal__lte=100), name="delivery_goal_is_a_percentage"),
        ]

    def __str__(self) -> str:
        return f"{self.account or 'default'} {self.goal} %"


class AttainmentCell(models.Model):
    """How many case targets of one account were met and breached in one quarter, per target kind, and
    how many of its orders were delivered then, on time and in full or not.

    A rollup of `CaseTarget` and delivered orders, recounted by every write of target states and of
    delivery outcomes (`steward.sla.rollup`), so attainment of a whole portfolio reads one row per account
    and quarter instead of every target and order. `rollup.rebuild` recounts it all
    (`manage.py sla_attainment_rebuild`)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False)
    quarter = models.DateField(help_text="First day of the quarter the targets were decided in (UTC dates).")
    first_response_met = models.PositiveIntegerField(default=0)
    first_response_breached = models.PositiveIntegerField(default=0)
    next_response_met = models.PositiveIntegerField(default=0)
    next_response_breached = models.PositiveIntegerField(default=0)
    resolution_met = models.PositiveIntegerField(default=0)
    resolution_breached = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0, help_text="Orders delivered in the quarter.")
    delivered_otif = models.PositiveIntegerField(default=0, help_text="Of those, delivered on time and in full.")

    class Meta:
        ordering = ["account", "quarter"]
        constraints = [models.UniqueConstraint(fields=["account", "quarter"], name="one_attainment_cell_per_account_quarter")]
        indexes = [models.Index(fields=["quarter", "account"], name="attainment_cell_quarter_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.quarter}"
