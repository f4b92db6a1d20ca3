"""Forms for the SLA set-up pages: they parse; the services decide."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from steward.accounts.models import Account, Contact, Tier
from steward.contracts.models import Contract
from steward.orders.models import Order
from steward.sla.choices import (
    PAUSABLE_STATUSES,
    WEEKDAYS,
    CaseChannel,
    CasePriority,
    CaseStatus,
    CaseType,
    EscalationLevel,
    TargetKind,
    TargetMode,
)
from steward.sla.models import BusinessCalendar, SlaPolicy
from steward.sla.services import TargetInput, country_names, holiday_countries, time_zones
from steward.users.choices import Role
from steward.users.models import User

DAY_FIELDS = tuple(f"day_{n}" for n in range(7))


class CalendarForm(forms.Form):
    """A calendar's name, zone, hours per weekday (one text field a day) and holiday country."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(max_length=120)
    description = forms.CharField(max_length=300, required=False)
    time_zone = forms.ChoiceField(help_text="Deadlines are computed in this zone, whatever the server's or the viewer's.")
    always_open = forms.BooleanField(required=False, label="24/7", help_text="Every hour of every day counts; hours and holidays are ignored.")
    holiday_country = forms.ChoiceField(required=False, label="Public holidays of", help_text="Leave empty for no public holidays.")
    holiday_subdivision = forms.CharField(max_length=10, required=False, label="State or region", help_text="A code such as BY (Bavaria) or CA (California); empty for the national holidays.")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(z, z) for z in time_zones()]
        names = country_names()
        self.fields["holiday_country"].choices = [("", "None"), *sorted(((c, f"{names.get(c, c)} ({c})") for c in holiday_countries()), key=lambda choice: choice[1])]
        for n, field in enumerate(DAY_FIELDS):
            self.fields[field] = forms.CharField(
                required=False, label=WEEKDAYS[n],
                widget=forms.TextInput(attrs={"placeholder": "e.g. 09:00-12:00, 13:00-17:00" if n < 5 else "closed"}),
            )

    @classmethod
    def for_calendar(cls, calendar: BusinessCalendar) -> CalendarForm:
        initial = {
            "version": calendar.version, "name": calendar.name, "description": calendar.description,
            "time_zone": calendar.time_zone, "always_open": calendar.always_open,
            "holiday_country": calendar.holiday_country, "holiday_subdivision": calendar.holiday_subdivision,
            "is_active": calendar.is_active,
        }
        initial.update({field: ", ".join(calendar.week[n]) for n, field in enumerate(DAY_FIELDS)})
        return cls(initial=initial)

    def data_for_service(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version" and k not in DAY_FIELDS}
        data["week"] = [self.cleaned_data[field] or "" for field in DAY_FIELDS]
        return data

    def week_fields(self) -> list[forms.BoundField]:
        return [self[field] for field in DAY_FIELDS]


class ClosureForm(forms.Form):
    first_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="From")
    last_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="To", required=False, help_text="Empty for a single day.")
    name = forms.CharField(max_length=120, label="Why", widget=forms.TextInput(attrs={"placeholder": "e.g. Winter closure"}))


class PreviewForm(forms.Form):
    """Try the calendar: a start (local to the calendar) and a target in working hours."""

    start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), input_formats=["%Y-%m-%dT%H:%M"])
    hours = forms.DecimalField(min_value=Decimal("0"), max_value=Decimal("10000"), max_digits=8, decimal_places=2, initial=Decimal(4), label="Working hours")


DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*d)?\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$", re.IGNORECASE)


def parse_duration(text: str) -> int | None:
    """Minutes from "45m", "4h", "1h 30m", "2d" (24 h a day) or a bare number of hours; None when empty."""
    text = (text or "").strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return round(float(text) * 60)
    match = DURATION.match(text)
    if not match or not any(match.groups()):
        raise forms.ValidationError(f"“{text}” is not a duration like 45m, 4h, 1h 30m or 2d.")
    days, hours, minutes = (float(g) if g else 0.0 for g in match.groups())
    return round(days * 1440 + hours * 60 + minutes)


def target_field_names(priority: str, kind: str) -> tuple[str, str]:
    return f"t_{priority}_{kind}", f"m_{priority}_{kind}"


class PolicyForm(forms.Form):
    """A policy: calendar, scope, a duration and mode per priority and target, pauses and warnings."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(max_length=120)
    description = forms.CharField(max_length=300, required=False)
    calendar = forms.ModelChoiceField(queryset=BusinessCalendar.objects.none(), help_text="Business-hours targets count this calendar's working time.")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    is_default = forms.BooleanField(required=False, label="Default policy", help_text="Covers every case no other policy matches; leave its scope empty.")
    priorities = forms.MultipleChoiceField(choices=CasePriority.choices, required=False, widget=forms.CheckboxSelectMultiple, help_text="None ticked: every priority.")
    tiers = forms.ModelMultipleChoiceField(queryset=Tier.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="Account tiers", help_text="None ticked: every tier.")
    accounts = forms.CharField(required=False, label="Specific accounts", help_text="Account names, one per line; empty: any account.", widget=forms.Textarea(attrs={"rows": 2}))
    contracts = forms.CharField(required=False, label="Specific contracts", help_text="Contract numbers separated by commas, e.g. CT-2026-00012.")
    categories = forms.CharField(required=False, help_text="Case categories separated by commas; empty: any category.")
    pause_statuses = forms.MultipleChoiceField(choices=[(s.value, s.label) for s in PAUSABLE_STATUSES], required=False, widget=forms.CheckboxSelectMultiple, label="The clock pauses while the case is", initial=["waiting_on_customer"])
    warning_thresholds = forms.CharField(initial="50, 75, 90", help_text="Percent of a target used at which the owner is warned.")
    attainment_goal = forms.DecimalField(min_value=Decimal(0), max_value=Decimal(100), max_digits=5, decimal_places=2, initial=Decimal(95), label="Attainment goal %", help_text="Share of targets to meet each period, for the attainment reports.")
    notify_in_business_hours = forms.BooleanField(required=False, initial=True, label="Notify in business hours only")
    escalate_on_breach_to = forms.ChoiceField(choices=[("", "Do not escalate"), *EscalationLevel.choices], required=False, initial=EscalationLevel.L2, label="On a breach, escalate to")
    escalate_at_threshold = forms.IntegerField(required=False, min_value=1, max_value=99, label="Also escalate at warning %", help_text="One of the warning thresholds; empty: only on a breach.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["calendar"].queryset = BusinessCalendar.objects.filter(is_active=True).order_by("name")
        self.fields["tiers"].queryset = Tier.objects.order_by("rank", "name")
        for priority in CasePriority:
            for kind in TargetKind:
                duration, mode = target_field_names(priority.value, kind.value)
                self.fields[duration] = forms.CharField(required=False, label=f"{priority.label} {kind.label.lower()}", widget=forms.TextInput(attrs={"placeholder": "-", "size": 6}))
                self.fields[mode] = forms.ChoiceField(choices=TargetMode.choices, initial=TargetMode.BUSINESS, required=False, label=f"{priority.label} {kind.label.lower()}, counted in")

    @classmethod
    def for_policy(cls, policy: SlaPolicy) -> PolicyForm:
        initial: dict[str, Any] = {
            "version": policy.version, "name": policy.name, "description": policy.description, "calendar": policy.calendar_id,
            "is_active": policy.is_active, "is_default": policy.is_default, "priorities": policy.priorities,
            "tiers": list(policy.tiers.values_list("pk", flat=True)),
            "accounts": "\n".join(policy.accounts.order_by("name").values_list("name", flat=True)),
            "contracts": ", ".join(policy.contracts.order_by("number").values_list("number", flat=True)),
            "categories": ", ".join(policy.categories), "pause_statuses": policy.pause_statuses,
            "warning_thresholds": ", ".join(str(t) for t in policy.warning_thresholds), "attainment_goal": policy.attainment_goal,
            "notify_in_business_hours": policy.notify_in_business_hours,
            "escalate_on_breach_to": policy.escalate_on_breach_to, "escalate_at_threshold": policy.escalate_at_threshold,
        }
        for t in policy.targets.all():
            duration, mode = target_field_names(t.priority, t.kind)
            initial[duration], initial[mode] = duration_words(t.minutes, business=t.mode == TargetMode.BUSINESS), t.mode
        return cls(initial=initial)

    def clean_warning_thresholds(self) -> list[int]:
        parts = [p for p in re.split(r"[,\s]+", self.cleaned_data["warning_thresholds"] or "") if p]
        try:
            return [int(p.rstrip("%")) for p in parts]
        except ValueError:
            raise forms.ValidationError("Whole percentages separated by commas, e.g. 50, 75, 90.") from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for priority in CasePriority:
            for kind in TargetKind:
                duration, _mode = target_field_names(priority.value, kind.value)
                try:
                    data[duration] = parse_duration(self.data.get(self.add_prefix(duration), "") if self.is_bound else "")
                except forms.ValidationError as exc:
                    self.add_error(duration, exc)
        return data

    def targets(self) -> list[TargetInput]:
        out = []
        for priority in CasePriority:
            for kind in TargetKind:
                duration, mode = target_field_names(priority.value, kind.value)
                if self.cleaned_data.get(duration):
                    out.append(TargetInput(priority=priority.value, kind=kind.value, minutes=self.cleaned_data[duration], mode=self.cleaned_data.get(mode) or TargetMode.BUSINESS))
        return out

    def data_for_service(self) -> dict[str, Any]:
        keys = (
            "name", "description", "calendar", "is_active", "is_default", "priorities", "pause_statuses", "warning_thresholds",
            "attainment_goal", "notify_in_business_hours", "escalate_on_breach_to", "escalate_at_threshold",
        )
        data = {k: self.cleaned_data[k] for k in keys}
        data["categories"] = [c.strip() for c in (self.cleaned_data["categories"] or "").split(",") if c.strip()]
        return data

    def target_rows(self) -> list[dict[str, Any]]:
        return [
            {"priority": priority, "cells": [(self[target_field_names(priority.value, k.value)[0]], self[target_field_names(priority.value, k.value)[1]]) for k in TargetKind]}
            for priority in CasePriority
        ]


def duration_words(minutes: int, *, business: bool = False) -> str:
    """Minutes written back the way the form reads them: "1h 30m", "45m"; "2d" only around the clock."""
    days, rest = divmod(minutes, 1440) if not business else (0, minutes)
    hours, mins = divmod(rest, 60)
    return " ".join(p for p in (f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m" if mins else "") if p)


class CaseForm(forms.Form):
    """Open a case on an account: what it is about, how urgent, who it concerns."""

    subject = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    case_type = forms.ChoiceField(choices=CaseType.choices, initial=CaseType.ISSUE, label="Type")
    priority = forms.ChoiceField(choices=CasePriority.choices, initial=CasePriority.MODERATE)
    channel = forms.ChoiceField(choices=CaseChannel.choices, initial=CaseChannel.EMAIL)
    category = forms.CharField(max_length=60, required=False, help_text="E.g. delivery, billing, product.")
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False)
    order = forms.ModelChoiceField(queryset=Order.objects.none(), required=False, help_text="The order it is about, if any.")
    contract = forms.ModelChoiceField(queryset=Contract.objects.none(), required=False)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, help_text="Empty: you.")

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(account=account).order_by("last_name", "first_name")
        self.fields["order"].queryset = Order.objects.filter(account=account).order_by("-ordered_on", "-id")[:100]
        self.fields["contract"].queryset = Contract.objects.filter(account=account).order_by("-start_on")
        self.fields["owner"].queryset = User.objects.filter(is_active=True).exclude(role=Role.SPONSOR).order_by("first_name", "last_name")

    def data_for_service(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("owner") is None:
            data.pop("owner", None)
        return data


class ReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Message")
    kind = forms.ChoiceField(choices=[("public", "Reply to the customer"), ("note", "Internal note"), ("customer", "Log the customer's reply")], initial="public", widget=forms.RadioSelect, label="This is")


class StatusForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    status = forms.ChoiceField(choices=[c for c in CaseStatus.choices if c[0] != CaseStatus.NEW])
    note = forms.CharField(required=False, max_length=500, label="Note (optional)")


class EscalateForm(forms.Form):
    level = forms.ChoiceField(choices=EscalationLevel.choices, label="To")
    reason = forms.CharField(max_length=500)


class EscalationOwnerForm(forms.Form):
    """Name who owns an escalation level, for every account or one tier's; no one removes the owner."""

    level = forms.ChoiceField(
        choices=[c for c in EscalationLevel.choices if c[0] != EscalationLevel.L1],
        error_messages={"invalid_choice": "L1 is the case's own owner: choose L2, L3 or management."},
    )
    tier = forms.ModelChoiceField(queryset=Tier.objects.order_by("rank", "name"), required=False, empty_label="Every account")
    user = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("first_name", "last_name", "username"), required=False,
        empty_label="No one (remove)", label="Owner",
    )


class DeliveryGoalForm(forms.Form):
    """A delivery goal for one account (by name or id) or, with no account, for the portfolio."""

    account = forms.CharField(required=False, max_length=200, help_text="The account's name; empty: the portfolio's default goal.")
    goal = forms.CharField(max_length=10, label="Goal (%)", help_text="Share of deliveries on time and in full, e.g. 95.")
    note = forms.CharField(required=False, max_length=300)

    def account_for(self, user: Any) -> Account | bool | None:
        """The account among those `user` sees, None for the portfolio, or False (with the error on the form)."""
        from steward.accounts.selectors import accounts_visible_to

        given = (self.cleaned_data.get("account") or "").strip()
        if not given:
            return None
        visible = accounts_visible_to(user)
        try:
            found = list(visible.filter(public_id=given)[:1])
        except ValidationError:
            found = []
        if not found:
            found = list(visible.filter(name__iexact=given)[:2])
        if len(found) != 1:
            self.add_error("account", f"“{given}”: {'no account of your portfolio has this name' if not found else 'several accounts have this name'}.")
            return False
        return found[0]


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(choices=CasePriority.choices)
    reason = forms.CharField(max_length=500, help_text="Time already used carries over to the new priority's targets.")
