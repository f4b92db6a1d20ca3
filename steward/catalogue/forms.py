"""The product form: fields of the model plus its substitutes."""

from __future__ import annotations

from django import forms

from steward.catalogue.models import Product
from steward.core.widgets import FastSelectMultiple


class ProductForm(forms.ModelForm):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    substitutes = forms.ModelMultipleChoiceField(
        queryset=Product.objects.none(), required=False, widget=FastSelectMultiple(attrs={"size": 6}),
        help_text="Products that can replace this one when it is short.",
    )

    class Meta:
        model = Product
        fields = ["sku", "name", "family", "unit", "list_price", "unit_cost", "currency", "is_active", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "currency": forms.TextInput(attrs={"maxlength": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        others = Product.objects.filter(is_active=True)
        if self.instance.pk:
            others = Product.objects.exclude(pk=self.instance.pk)
            self.fields["version"].initial = self.instance.version
            self.fields["substitutes"].initial = list(self.instance.substitutes.values_list("pk", flat=True))
        self.fields["substitutes"].queryset = others.order_by("sku")

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("version", "substitutes")}
