"""Order forms: a new order with its lines, header changes with a reason, line actions, shipments, holds."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils import timezone

from steward.accounts.models import Contact
from steward.catalogue.models import Product
from steward.core.widgets import FastSelect
from steward.orders.models import Order, OrderLine

DATE = forms.DateInput(attrs={"type": "date"})


class OrderForm(forms.Form):
    """The header of a new order entered directly (not from a quote)."""

    requested_date = forms.DateField(
        label="Requested delivery", widget=DATE, help_text="When the customer wants it."
    )
    promised_date = forms.DateField(
        label="Promised delivery",
        widget=DATE,
        help_text="What we commit to; on time means delivered by this date.",
    )
    customer_reference = forms.CharField(label="Customer PO", max_length=80, required=False)
    contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        widget=FastSelect,
        empty_label="— no one in particular —",
        help_text="Receives change notifications and the progress report.",
    )
    currency = forms.CharField(
        max_length=3, required=False, widget=forms.TextInput(attrs={"maxlength": 3})
    )
    payment_terms_days = forms.IntegerField(
        label="Payment terms (days)",
        required=False,
        min_value=0,
        max_value=365,
        help_text="Empty: the standard terms.",
    )
    ship_to = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(account=account).order_by(
            "last_name", "first_name"
        )
        self.fields["currency"].initial = account.currency


class OrderHeaderForm(forms.Form):
    """Dates and references of an existing order; a new date needs a reason the customer reads."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    requested_date = forms.DateField(label="Requested delivery", widget=DATE)
    promised_date = forms.DateField(label="Promised delivery", widget=DATE)
    customer_reference = forms.CharField(label="Customer PO", max_length=80, required=False)
    contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        widget=FastSelect,
        empty_label="— no one in particular —",
    )
    reason = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when a date changes: the customer is told.",
    )

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(
            account_id=order.account_id
        ).order_by("last_name", "first_name")
        if not self.is_bound:
            self.initial = {
                "version": order.version,
                "requested_date": order.requested_date,
                "promised_date": order.promised_date,
                "customer_reference": order.customer_reference,
                "contact": order.contact_id,
            }

    def header_data(self) -> dict:
        return {
            k: self.cleaned_data[k]
            for k in ("requested_date", "promised_date", "customer_reference", "contact")
        }


class LineForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(),
        required=False,
        widget=FastSelect,
        empty_label="— product —",
    )
    quantity = forms.DecimalField(
        required=False, min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    unit_price = forms.DecimalField(
        required=False, min_value=Decimal(0), max_digits=14, decimal_places=2
    )
    discount_percent = forms.DecimalField(
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        label="Discount %",
    )
    description = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, products=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = (
            products if products is not None else Product.objects.filter(is_active=True)
        )

    def clean(self):
        data = super().clean()
        if data.get("product") and not data.get("quantity"):
            self.add_error("quantity", "Enter a quantity.")
        if not data.get("product") and (data.get("quantity") or data.get("unit_price")):
            self.add_error("product", "Choose a product.")
        return data

    def line_data(self) -> dict:
        d = self.cleaned_data
        return {
            "product": d["product"],
            "quantity": d["quantity"],
            "unit_price": d.get("unit_price"),
            "discount_percent": d.get("discount_percent") or Decimal(0),
            "description": d.get("description") or "",
        }


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, products=None, **kwargs):
        self.products = products
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "products": self.products}

    def lines(self) -> list[dict]:
        return [f.line_data() for f in self.forms if f.cleaned_data.get("product")]


LineFormSet = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=0, max_num=200, absolute_max=200
)


def line_formset(data=None, *, blank_rows: int = 5) -> BaseLineFormSet:
    """Blank line rows for a new order; active products only."""
    products = Product.objects.filter(is_active=True).order_by("sku")
    return LineFormSet(
        data, initial=[{}] * blank_rows if data is None else None, prefix="lines", products=products
    )


class AddLineForm(LineForm):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(max_length=1000, help_text="The customer is told.")


class ChangeLineForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    quantity = forms.DecimalField(min_value=Decimal("0.01"), max_digits=12, decimal_places=2)
    unit_price = forms.DecimalField(min_value=Decimal(0), max_digits=14, decimal_places=2)
    discount_percent = forms.DecimalField(
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        label="Discount %",
    )
    reason = forms.CharField(max_length=1000, help_text="The customer is told.")

    def __init__(self, *args, line: OrderLine | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if line is not None and not self.is_bound:
            self.initial = {
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount_percent": line.discount_percent,
                "version": line.order.version,
            }


class ReasonForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), help_text="The customer is told."
    )
    expected_on = forms.DateField(required=False, widget=DATE, label="Stock expected on")


class ShipmentForm(forms.Form):
    """A shipment: dates, carrier, and the quantity of each open line it carries (pre-filled with what is open)."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    shipped_on = forms.DateField(label="Shipped on", widget=DATE)
    delivered_on = forms.DateField(
        label="Delivered on", widget=DATE, required=False, help_text="Leave empty until it arrives."
    )
    carrier = forms.CharField(max_length=80, required=False)
    tracking_number = forms.CharField(max_length=80, required=False)

    def __init__(self, *args, order: Order, lines: list[OrderLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.order_lines = [ln for ln in lines if ln.open_quantity > 0]
        if not self.is_bound:
            self.fields["shipped_on"].initial = timezone.localdate()
            self.fields["version"].initial = order.version
        for ln in self.order_lines:
            self.fields[f"qty_{ln.pk}"] = forms.DecimalField(
                required=False,
                min_value=Decimal(0),
                max_digits=12,
                decimal_places=2,
                initial=f"{ln.open_quantity.normalize():f}",
                label=f"{ln.product.sku} (line {ln.position}, {ln.open_quantity.normalize():f} open)",
            )

    def quantities(self) -> dict[OrderLine, Decimal]:
        return {
            ln: self.cleaned_data.get(f"qty_{ln.pk}")
            for ln in self.order_lines
            if self.cleaned_data.get(f"qty_{ln.pk}")
        }

    def line_fields(self):
        return [(ln, self[f"qty_{ln.pk}"]) for ln in self.order_lines]


class DeliveryForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    delivered_on = forms.DateField(label="Delivered on", widget=DATE)


def products_for_lines() -> Q:
    return Q(is_active=True)
