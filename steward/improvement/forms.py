"""Forms of the improvement plan pages: they parse; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from steward.improvement.choices import (
    MAX_WHYS,
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
    ActionKind,
    ActionStatus,
    Metric,
    PlanStatus,
    RootCause,
)
from steward.users.models import User

WHY_FIELDS = tuple(f"why_{n}" for n in range(1, MAX_WHYS + 1))
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _people(field: forms.ModelChoiceField, people: Any) -> None:
    field.queryset = people
    field.label_from_instance = lambda u: u.get_full_name() or u.username  # type: ignore[method-assign]


class PlanForm(forms.Form):
    """A plan's problem, scope, owner and effectiveness settings (the source comes hidden from the link it was opened from)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(max_length=200)
    problem = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Problem statement",
                              help_text="What went wrong, where, how often, and what it cost the customer.")
    account = forms.ModelChoiceField(queryset=None, required=False, empty_label="Whole portfolio")  # type: ignore[arg-type]
    owner = forms.ModelChoiceField(queryset=None)  # type: ignore[arg-type]
    metric = forms.ChoiceField(choices=Metric.choices, label="Effectiveness metric")
    change_date = forms.DateField(required=False, widget=DATE,
                                  help_text="When the change took effect. Empty: the last completed action, else the plan's creation.")
    before_days = forms.IntegerField(min_value=MIN_WINDOW_DAYS, max_value=MAX_WINDOW_DAYS, initial=90, label="Days before")
    after_days = forms.IntegerField(min_value=MIN_WINDOW_DAYS, max_value=MAX_WINDOW_DAYS, initial=90, label="Days after")
    root_cause_category = forms.ChoiceField(choices=[("", "Not yet known"), *RootCause.choices], required=False, label="Root-cause category")
    source = forms.CharField(widget=forms.HiddenInput, required=False)
    source_target = forms.IntegerField(widget=forms.HiddenInput, required=False)
    source_escalation = forms.IntegerField(widget=forms.HiddenInput, required=False)
    source_quarter = forms.DateField(widget=forms.HiddenInput, required=False)
    link_cases = forms.CharField(required=False, label="Linked cases", help_text="Case numbers, separated by commas or spaces.")
    link_orders = forms.CharField(required=False, label="Linked orders", help_text="Order numbers, separated by commas or spaces.")

    def __init__(self, *args: Any, accounts: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts  # type: ignore[attr-defined]
        _people(self.fields["owner"], people)  # type: ignore[arg-type]


class RootCauseForm(forms.Form):
    """The root-cause analysis: a category, a summary and the five-whys chain."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    root_cause_category = forms.ChoiceField(choices=[("", "Not yet known"), *RootCause.choices], required=False, label="Category")
    root_cause = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Root cause",
                                 help_text="The cause that, removed, keeps the problem from coming back.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n, name in enumerate(WHY_FIELDS, start=1):
            self.fields[name] = forms.CharField(max_length=500, required=False, label=f"Why {n}?")

    def whys(self) -> list[str]:
        return [self.cleaned_data.get(name, "") for name in WHY_FIELDS]


class ActionForm(forms.Form):
    """One corrective or preventive action."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(choices=ActionKind.choices)
    description = forms.CharField(max_length=500, label="Action")
    owner = forms.ModelChoiceField(queryset=None)  # type: ignore[arg-type]
    due_on = forms.DateField(widget=DATE, label="Due")
    status = forms.ChoiceField(choices=ActionStatus.choices, initial=ActionStatus.OPEN)
    completed_on = forms.DateField(widget=DATE, required=False, label="Completed", help_text="Empty: today, when done.")

    def __init__(self, *args: Any, people: Any, prefix: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, prefix=prefix, **kwargs)
        _people(self.fields["owner"], people)  # type: ignore[arg-type]


class EffectivenessForm(forms.Form):
    """The effectiveness check's settings, changed on the plan page."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    metric = forms.ChoiceField(choices=Metric.choices)
    change_date = forms.DateField(required=False, widget=DATE, help_text="Empty: the last completed action, else the plan's creation.")
    before_days = forms.IntegerField(min_value=MIN_WINDOW_DAYS, max_value=MAX_WINDOW_DAYS, label="Days before")
    after_days = forms.IntegerField(min_value=MIN_WINDOW_DAYS, max_value=MAX_WINDOW_DAYS, label="Days after")


class StatusForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    status = forms.ChoiceField(choices=PlanStatus.choices)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                           help_text="Needed to reopen, and to close against what the effectiveness check says.")


class LinkForm(forms.Form):
    number = forms.CharField(max_length=30, label="Case or order number")


def people_queryset() -> Any:
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
