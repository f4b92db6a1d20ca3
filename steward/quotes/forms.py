"""Quote forms: the header with payment and nonstandard terms, the lines, the clauses, decisions, rules."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django import forms
from django.utils import timezone

from steward.accounts.models import Contact
from steward.catalogue.models import Product
from steward.core.widgets import FastSelect
from steward.quotes.models import ApprovalRule, Delegation, Quote
from steward.quotes.services import LineInput
from steward.users.models import User

HEADER_FIELDS = [
    "title", "contact", "currency", "valid_until", "payment_terms_days",
    "extra_discount_pct", "sla_credit_pct", "liability_cap", "delivery_terms", "customer_note", "internal_note",
]


class QuoteForm(forms.ModelForm):
    """Header, payment terms and structured nonstandard terms; clauses as paragraphs."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    clauses = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), label="Nonstandard clauses",
        help_text="Free-text clauses, one per paragraph (leave a blank line between two). Each one counts as a nonstandard term.",
    )

    class Meta:
        model = Quote
        fields = HEADER_FIELDS
        widgets = {
            "valid_until": forms.DateInput(attrs={"type": "date"}),
            "delivery_terms": forms.Textarea(attrs={"rows": 2}),
            "customer_note": forms.Textarea(attrs={"rows": 2}),
            "internal_note": forms.Textarea(attrs={"rows": 2}),
            "currency": forms.TextInput(attrs={"maxlength": 3}),
            "contact": FastSelect,
        }

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(account=account).order_by("last_name", "first_name")
        self.fields["contact"].required = False
        self.fields["contact"].empty_label = "— no one in particular —"
        self.fields["valid_until"].required = False
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["clauses"].initial = "\n\n".join(self.instance.clauses.values_list("text", flat=True))
        else:
            self.fields["currency"].initial = account.currency

    def header_data(self) -> dict:
        data = {k: self.cleaned_data[k] for k in HEADER_FIELDS if k in self.cleaned_data}
        if not data.get("valid_until"):
            data.pop("valid_until", None)
        return data

    def clause_texts(self) -> list[str]:
        return [p.strip() for p in re.split(r"\n\s*\n", self.cleaned_data.get("clauses") or "") if p.strip()]


class LineForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, widget=FastSelect, empty_label="— product —")
    quantity = forms.DecimalField(required=False, min_value=Decimal("0.01"), max_digits=12, decimal_places=2)
    unit_price = forms.DecimalField(required=False, min_value=Decimal(0), max_digits=14, decimal_places=2, help_text="Empty: list price")
    discount_pct = forms.DecimalField(required=False, min_value=Decimal(0), max_value=Decimal(100), max_digits=5, decimal_places=2, label="Discount %")
    description = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, products=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products if products is not None else Product.objects.filter(is_active=True)

    def clean(self):
        data = super().clean()
        if data.get("product") and not data.get("quantity"):
            self.add_error("quantity", "Enter a quantity.")
        if not data.get("product") and (data.get("quantity") or data.get("unit_price")):
            self.add_error("product", "Choose a product.")
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, products=None, **kwargs):
        self.products = products
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "products": self.products}

    def line_inputs(self) -> list[LineInput]:
        return [
            LineInput(
                product=f.cleaned_data["product"], quantity=f.cleaned_data["quantity"], unit_price=f.cleaned_data.get("unit_price"),
                discount_pct=f.cleaned_data.get("discount_pct") or Decimal(0), description=f.cleaned_data.get("description") or "",
            )
            for f in self.forms
            if f.cleaned_data.get("product")
        ]


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=0, max_num=200, absolute_max=200)


def line_formset(quote: Quote | None, data=None, *, blank_rows: int = 3) -> BaseLineFormSet:
    """The lines of a quote plus a few blank rows; products offered: active ones and those already on it."""
    from django.db.models import Q

    kept = list(quote.lines.values_list("product_id", flat=True)) if quote else []
    products = Product.objects.filter(Q(is_active=True) | Q(pk__in=kept)).order_by("sku")
    initial = []
    if quote:
        initial = [
            {"product": ln.product_id, "quantity": ln.quantity, "unit_price": ln.unit_price, "discount_pct": ln.discount_pct, "description": ln.description}
            for ln in quote.lines.all()
        ]
    formset = LineFormSet(data, initial=initial + [{}] * blank_rows if data is None else None, prefix="lines", products=products)
    return formset


class DecisionForm(forms.Form):
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, help_text="Required when you reject.")


class DeclineForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label="Why did the customer decline?")


class ConvertForm(forms.Form):
    requested_date = forms.DateField(label="Requested delivery", widget=forms.DateInput(attrs={"type": "date"}), help_text="When the customer wants it.")
    promised_date = forms.DateField(label="Promised delivery", widget=forms.DateInput(attrs={"type": "date"}), help_text="What we commit to; on time means delivered by this date.")
    customer_reference = forms.CharField(label="Customer PO", max_length=80, required=False)


class ApprovalRuleForm(forms.ModelForm):
    class Meta:
        model = ApprovalRule
        fields = ["name", "metric", "operator", "threshold", "approver", "level", "is_active", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class DelegationForm(forms.Form):
    to_user = forms.ModelChoiceField(queryset=User.objects.none(), label="Who decides in your place", widget=FastSelect)
    starts_at = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="From")
    ends_at = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Until (inclusive)")
    reason = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = User.objects.filter(is_active=True).exclude(pk=actor.pk).order_by("last_name", "first_name")
        self.fields["starts_at"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] < data["starts_at"]:
            self.add_error("ends_at", "The end comes before the start.")
        return data

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(self.cleaned_data["starts_at"], dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(self.cleaned_data["ends_at"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return start, end


__all__ = ["ApprovalRuleForm", "DecisionForm", "DeclineForm", "Delegation", "DelegationForm", "LineFormSet", "QuoteForm", "line_formset"]
