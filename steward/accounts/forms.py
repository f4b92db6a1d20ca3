"""Forms for the account pages.

They parse input and run the model's own field validators so every mistake shows at once;
the services re-validate and hold every rule beyond a single field.
"""

from __future__ import annotations

import zoneinfo

from django import forms
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.utils import timezone

from steward.accounts import choices
from steward.accounts.models import Account, Contact, Interaction, Task, Tier
from steward.accounts.selectors import accounts_visible_to
from steward.core.widgets import FastSelect, FastSelectMultiple
from steward.users.choices import Role
from steward.users.models import Region, User
from steward.users.selectors import in_scope_q, users_assignable


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz or tz == "UTC"]


class _UserChoices(ModelChoiceIterator):
    """Options straight from the columns they show: no model instance per colleague."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        roles = dict(Role.choices)
        for pk, first, last, username, role in self.queryset.values_list("pk", "first_name", "last_name", "username", "role"):
            yield (pk, f"{f'{first} {last}'.strip() or username} ({roles.get(role, role)})")


class UserChoiceField(forms.ModelChoiceField):
    """Pick a colleague; the label is their name and role."""

    widget = FastSelect
    iterator = _UserChoices


class AccountForm(forms.ModelForm):
    """Create or edit an account. The parent is picked with the account autocomplete."""

    parent = forms.UUIDField(required=False, widget=forms.HiddenInput)
    time_zone = forms.ChoiceField(choices=_time_zone_choices, initial="UTC", widget=FastSelect)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Account
        fields = [
            "name", "domain", "industry", "tier", "lifecycle_stage", "region", "territory", "country",
            "time_zone", "owner", "operations_manager", "executive_sponsor", "customer_since",
            "annual_contract_value", "currency", "preferred_channel", "meeting_cadence",
            "preference_notes", "salesforce_id", "hubspot_id",
        ]
        widgets = {
            "customer_since": forms.DateInput(attrs={"type": "date"}),
            "preference_notes": forms.Textarea(attrs={"rows": 3}),
            "country": forms.TextInput(attrs={"maxlength": 2, "placeholder": "DE", "autocapitalize": "characters"}),
            "currency": forms.TextInput(attrs={"maxlength": 3, "placeholder": "EUR"}),
        }

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        people = users_assignable(actor)
        for name in ("owner", "operations_manager", "executive_sponsor"):
            self.fields[name] = UserChoiceField(queryset=people, required=name == "owner", label=self.fields[name].label)
        if not actor.is_admin_role:
            # Owners come from the actor's reporting line (the service's rule); the current one stays.
            keep = {self.instance.owner_id} if self.instance.pk else set()
            self.fields["owner"].queryset = people.filter(in_scope_q(actor) | Q(pk__in=keep))
        self.fields["tier"].queryset = Tier.objects.all()
        self.fields["region"].queryset = Region.objects.all()
        self.fields["owner"].initial = actor.pk
        if self.instance.pk:
            self.fields["parent"].initial = self.instance.parent.public_id if self.instance.parent_id else None
            self.fields["version"].initial = self.instance.version
        self.parent_label = ""
        if self.instance.pk and self.instance.parent_id:
            visible = accounts_visible_to(actor).filter(pk=self.instance.parent_id).exists()
            self.parent_label = self.instance.parent.name if visible else "A parent account outside your portfolio"

    def service_data(self, parent: Account | None) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("parent", "version")}
        data["parent"] = parent
        for key in ("operations_manager", "executive_sponsor", "region"):
            data[key] = data.get(key)
        return data


class ContactForm(forms.ModelForm):
    """Create or edit a contact on an account's stakeholder map."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Contact
        fields = [
            "first_name", "last_name", "title", "department", "email", "phone", "buying_role",
            "influence", "sentiment", "reports_to", "is_primary", "status", "left_at",
        ]
        widgets = {"left_at": forms.DateInput(attrs={"type": "date"}), "influence": forms.Select(choices=[(i, f"{i} of 5") for i in range(1, 6)])}
        help_texts = {"influence": "How much weight this person carries in buying decisions.", "left_at": "Only when they left the company."}

    def __init__(self, *args, account: Account, **kwargs):
        kwargs.setdefault("instance", Contact(account=account))
        super().__init__(*args, **kwargs)
        others = account.contacts.exclude(status=choices.ContactStatus.LEFT)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
            self.fields["version"].initial = self.instance.version
        self.fields["reports_to"].queryset = others.order_by("last_name", "first_name")
        self.fields["reports_to"].required = False

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class InteractionForm(forms.ModelForm):
    """Log an interaction with its participants."""

    occurred_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    contacts = forms.ModelMultipleChoiceField(queryset=Contact.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="Customer participants")
    users = forms.ModelMultipleChoiceField(queryset=User.objects.none(), required=False, widget=FastSelectMultiple(attrs={"size": 5}), label="Colleagues present")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Interaction
        fields = ["kind", "occurred_at", "subject", "summary", "outcome", "next_steps"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 4}), "outcome": forms.Textarea(attrs={"rows": 2}), "next_steps": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, account: Account, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = account.contacts.filter(status=choices.ContactStatus.ACTIVE).order_by("last_name")
        self.fields["users"].queryset = users_assignable(actor)
        if not self.instance.pk:
            self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
            self.fields["users"].initial = [actor.pk]
        else:
            self.fields["contacts"].initial = list(self.instance.contacts.values_list("pk", flat=True))
            self.fields["users"].initial = list(self.instance.users.values_list("pk", flat=True))
            self.fields["version"].initial = self.instance.version

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("contacts", "users", "version")}


class TaskForm(forms.ModelForm):
    """Create or edit a task."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Task
        fields = ["title", "assignee", "due_date", "priority", "description", "done"]
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"}), "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = UserChoiceField(queryset=users_assignable(actor), initial=actor.pk)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class TeamMemberForm(forms.Form):
    user = UserChoiceField(queryset=User.objects.none(), label="Colleague")
    role = forms.ChoiceField(choices=choices.TeamRole.choices)

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users_assignable(actor)


class BulkUpdateForm(forms.Form):
    """Change owner, stage or tier of the selected accounts at once."""

    accounts = forms.TypedMultipleChoiceField(coerce=str, required=True, error_messages={"required": "Select at least one account."})
    owner = UserChoiceField(queryset=User.objects.none(), required=False, empty_label="Owner: keep", widget=FastSelect(attrs={"id": "bulk-owner"}))
    lifecycle_stage = forms.ChoiceField(
        choices=[("", "Stage: keep"), *choices.LifecycleStage.choices], required=False, widget=forms.Select(attrs={"id": "bulk-stage"})
    )
    tier = forms.ModelChoiceField(queryset=Tier.objects.all(), required=False, empty_label="Tier: keep", widget=forms.Select(attrs={"id": "bulk-tier"}))

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        people = users_assignable(actor)
        self.fields["owner"].queryset = people if actor.is_admin_role else people.filter(in_scope_q(actor))
        # Any submitted id is acceptable here; the selector decides which ones exist for the user.
        self.fields["accounts"].valid_value = lambda value: True  # type: ignore[method-assign]

    def changes(self) -> dict:
        return {k: v for k in ("owner", "lifecycle_stage", "tier") if (v := self.cleaned_data.get(k))}
