"""Forms for the pipeline pages: the opportunity with its product lines, closing, stages and quotas.

They parse input and run the model's field validators; the services hold every rule beyond a field.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms

from steward.accounts.forms import UserChoiceField
from steward.catalogue.models import Product
from steward.core.widgets import FastSelect
from steward.pipeline import services
from steward.pipeline.choices import LossReason, PeriodKind, StageOutcome
from steward.pipeline.models import Opportunity, OpportunityStage, Quota
from steward.users.models import User
from steward.users.selectors import users_assignable


class OpportunityForm(forms.ModelForm):
    """Create or edit an opportunity; on create the account comes from the page or the picker."""

    account = forms.UUIDField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Opportunity
        fields = ["name", "type", "stage", "amount", "currency", "close_date", "owner", "next_step", "description"]
        widgets = {
            "close_date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
            "currency": forms.TextInput(attrs={"maxlength": 3, "placeholder": "EUR"}),
            "stage": FastSelect,
        }
        help_texts = {"amount": "Left as it is when product lines are added: the lines' total becomes the amount."}

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"] = UserChoiceField(queryset=users_assignable(actor), required=True, label="Owner")
        self.fields["owner"].initial = actor.pk
        open_stages = OpportunityStage.objects.filter(is_active=True, outcome=StageOutcome.OPEN)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            if self.instance.stage.outcome != StageOutcome.OPEN:
                # A closed opportunity is reopened from its page; the form keeps its stage.
                del self.fields["stage"]
            else:
                self.fields["stage"].queryset = (open_stages | OpportunityStage.objects.filter(pk=self.instance.stage_id)).order_by("position")
        else:
            self.fields["stage"].queryset = open_stages.order_by("position")
            self.fields["stage"].required = False
            self.fields["stage"].empty_label = "First stage"
        self.fields["amount"].required = False

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("version", "account")}
        if data.get("amount") is None:
            data["amount"] = Decimal(0) if not self.instance.pk else self.instance.amount
        return data


class LineForm(forms.Form):
    """One product line: product, quantity and unit price (the list price when left empty)."""

    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, widget=FastSelect, empty_label="—")
    quantity = forms.DecimalField(required=False, min_value=Decimal("0.01"), max_digits=12, decimal_places=2)
    unit_price = forms.DecimalField(required=False, min_value=Decimal(0), max_digits=14, decimal_places=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(is_active=True).order_by("sku")

    def clean(self):
        data = super().clean()
        if data.get("product") and not data.get("quantity"):
            self.add_error("quantity", "Enter a quantity for this product.")
        if not data.get("product") and (data.get("quantity") or data.get("unit_price")):
            self.add_error("product", "Pick a product for this line, or clear it.")
        return data


LineFormSet = forms.formset_factory(LineForm, extra=2, max_num=50, validate_max=True)


def line_inputs(formset) -> list[services.LineInput]:
    """The filled lines of a valid formset as service inputs."""
    return [
        services.LineInput(f.cleaned_data["product"], f.cleaned_data["quantity"], f.cleaned_data.get("unit_price"))
        for f in formset.forms
        if f.cleaned_data.get("product")
    ]


def line_initial(opportunity: Opportunity) -> list[dict]:
    return [{"product": line.product_id, "quantity": line.quantity, "unit_price": line.unit_price} for line in opportunity.lines.all()]


class CloseLostForm(forms.Form):
    loss_reason = forms.ChoiceField(choices=[("", "Pick a reason…"), *LossReason.choices], label="Loss reason")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Note", max_length=2000)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CloseWonForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Note", max_length=2000)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class StageForm(forms.ModelForm):
    class Meta:
        model = OpportunityStage
        fields = ["name", "probability", "outcome", "is_active"]


class QuotaForm(forms.Form):
    """Set one person's quota for a period."""

    user = UserChoiceField(queryset=User.objects.none(), label="Person")
    kind = forms.ChoiceField(choices=PeriodKind.choices, initial=PeriodKind.QUARTER, label="Period")
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Period starting", help_text="Any day of the period: it is moved to the period's first day.")
    amount = forms.DecimalField(min_value=Decimal(0), max_digits=14, decimal_places=2)
    currency = forms.CharField(max_length=3, initial="EUR", widget=forms.TextInput(attrs={"maxlength": 3}))

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(pk__in=services.quota_people(actor), is_active=True).order_by("first_name", "last_name")


class QuotaEditForm(forms.ModelForm):
    class Meta:
        model = Quota
        fields = ["amount", "currency"]
