"""Billing forms: a manual invoice with its lines, a payment, a void or reversal reason, the CSV import."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from steward.accounts.models import Contact
from steward.billing.choices import PaymentMethod
from steward.billing.services import LineInput, standard_terms


class InvoiceForm(forms.Form):
    issued_on = forms.DateField(label="Invoice date", widget=forms.DateInput(attrs={"type": "date"}))
    payment_terms_days = forms.IntegerField(label="Payment terms (Net days)", min_value=0, max_value=365)
    currency = forms.CharField(max_length=3, widget=forms.TextInput(attrs={"maxlength": 3}))
    tax_rate = forms.DecimalField(label="Tax rate (%)", min_value=Decimal(0), max_value=Decimal(100), max_digits=5, decimal_places=2, initial=Decimal(0))
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False, empty_label="— primary contact —")
    customer_reference = forms.CharField(label="Customer PO", max_length=80, required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Printed on the invoice.")

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(account=account).order_by("last_name", "first_name")
        self.fields["issued_on"].initial = timezone.localdate()
        self.fields["payment_terms_days"].initial = standard_terms()
        self.fields["currency"].initial = account.currency

    def header_data(self) -> dict:
        data = dict(self.cleaned_data)
        if data.get("contact") is None:
            data.pop("contact", None)
        return data


class LineForm(forms.Form):
    description = forms.CharField(required=False, max_length=300)
    quantity = forms.DecimalField(required=False, min_value=Decimal("0.01"), max_digits=12, decimal_places=2)
    unit_price = forms.DecimalField(required=False, min_value=Decimal(0), max_digits=14, decimal_places=2)

    def clean(self):
        data = super().clean()
        if data.get("description") and (data.get("quantity") is None or data.get("unit_price") is None):
            self.add_error("quantity" if data.get("quantity") is None else "unit_price", "Enter a quantity and a unit price.")
        if not data.get("description") and (data.get("quantity") or data.get("unit_price")):
            self.add_error("description", "Describe what is invoiced.")
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def line_inputs(self) -> list[LineInput]:
        return [
            LineInput(description=f.cleaned_data["description"], quantity=f.cleaned_data["quantity"], unit_price=f.cleaned_data["unit_price"])
            for f in self.forms
            if f.cleaned_data.get("description")
        ]


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=4, max_num=200, absolute_max=200)


class PaymentForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    amount = forms.DecimalField(min_value=Decimal("0.01"), max_digits=16, decimal_places=2)
    received_on = forms.DateField(label="Received on", widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER)
    reference = forms.CharField(max_length=120, required=False)

    def __init__(self, *args, invoice=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()
        if invoice is not None:
            self.fields["amount"].initial = invoice.balance
            self.fields["version"].initial = invoice.version

    def payment_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("amount", "received_on", "method", "reference")}


class ReasonForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, comma-separated, with a header row.")
