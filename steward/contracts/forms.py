"""Contract forms: terms and value, renewal terms, products, warranty and the service levels."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q

from steward.catalogue.models import Product
from steward.contracts.choices import BAND_CHOICES, ServiceLevelKind, ServiceLevelUnit
from steward.contracts.models import Contract
from steward.contracts.services import ServiceLevelInput
from steward.core.widgets import FastSelect
from steward.users.models import User

TERM_FIELDS = [
    "name", "owner", "start_on", "end_on", "currency", "annual_value", "total_value", "auto_renew",
    "renewal_term_months", "notice_period_days", "warranty_terms", "description",
]


class ContractForm(forms.ModelForm):
    """The contract's terms; an empty total is computed from the annual value and the term."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    products = forms.ModelMultipleChoiceField(
        queryset=Product.objects.none(), required=False, widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="The products the contract covers (Ctrl or ⌘ to pick several).",
    )

    class Meta:
        model = Contract
        fields = TERM_FIELDS
        widgets = {
            "start_on": forms.DateInput(attrs={"type": "date"}),
            "end_on": forms.DateInput(attrs={"type": "date"}),
            "currency": forms.TextInput(attrs={"maxlength": 3}),
            "warranty_terms": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 2}),
            "owner": FastSelect,
        }

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        kept = list(self.instance.products.values_list("pk", flat=True)) if self.instance.pk else []
        self.fields["products"].queryset = Product.objects.filter(Q(is_active=True) | Q(pk__in=kept)).order_by("sku")
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("last_name", "first_name")
        self.fields["owner"].required = False
        self.fields["owner"].empty_label = "— me —"
        self.fields["total_value"].required = False
        self.fields["name"].required = False
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["products"].initial = kept
        else:
            self.initial["currency"] = account.currency
        if not self.instance.total_value_given:
            # Empty means "computed": showing the model's 0 would submit it as a negotiated total.
            self.initial["total_value"] = None

    def term_data(self) -> dict:
        data = {k: self.cleaned_data.get(k) for k in TERM_FIELDS if k in self.cleaned_data}
        if data.get("owner") is None:
            data.pop("owner", None)
        return data

    def chosen_products(self) -> list[Product]:
        return list(self.cleaned_data.get("products") or [])


class ServiceLevelForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "— kind —"), *ServiceLevelKind.choices], required=False)
    metric = forms.CharField(required=False, max_length=120)
    target = forms.DecimalField(required=False, min_value=Decimal(0), max_digits=12, decimal_places=2)
    unit = forms.ChoiceField(choices=ServiceLevelUnit.choices, required=False)
    notes = forms.CharField(required=False, max_length=500)

    def clean(self):
        data = super().clean()
        if data.get("metric") and data.get("target") is None:
            self.add_error("target", "Enter a target.")
        if not data.get("metric") and data.get("target") is not None:
            self.add_error("metric", "Say what is measured.")
        return data


class BaseServiceLevelFormSet(forms.BaseFormSet):
    def levels(self) -> list[ServiceLevelInput]:
        return [
            ServiceLevelInput(
                metric=f.cleaned_data["metric"], target=f.cleaned_data["target"], unit=f.cleaned_data.get("unit") or ServiceLevelUnit.PERCENT,
                kind=f.cleaned_data.get("kind") or ServiceLevelKind.OTHER, notes=f.cleaned_data.get("notes") or "",
            )
            for f in self.forms
            if f.cleaned_data.get("metric")
        ]


ServiceLevelFormSet = forms.formset_factory(ServiceLevelForm, formset=BaseServiceLevelFormSet, extra=0, max_num=30, absolute_max=30)


def service_level_formset(contract: Contract | None, data=None, *, blank_rows: int = 2) -> BaseServiceLevelFormSet:
    """The contract's service levels plus a few blank rows."""
    initial = []
    if contract:
        initial = [{"kind": s.kind, "metric": s.metric, "target": s.target, "unit": s.unit, "notes": s.notes} for s in contract.service_levels.all()]
    return ServiceLevelFormSet(data, initial=initial + [{}] * blank_rows if data is None else None, prefix="levels")


class TerminateForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label="Why is the contract terminated?")


class RenewalFilterForm(forms.Form):
    band = forms.ChoiceField(choices=[("", "Every band"), *BAND_CHOICES], required=False)
