"""The product catalogue: what can be quoted and ordered, at which list price."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from steward.accounts.models import CURRENCY_CODE
from steward.core.models import VersionedModel

SKU = RegexValidator(r"^[A-Z0-9][A-Z0-9._-]*$", "Use capital letters, digits, dots, dashes or underscores, e.g. PAL-1200.")


class Product(VersionedModel):
    """A product or service line with its list price; substitutes can replace it when it is short."""

    sku = models.CharField("SKU", max_length=50, unique=True, validators=[SKU])
    name = models.CharField(max_length=200)
    family = models.CharField(max_length=100, blank=True, help_text="Product family, e.g. Pallets.")
    unit = models.CharField(max_length=20, default="each", help_text="Unit of sale, e.g. each, kg, month.")
    list_price = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))])
    unit_cost = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal(0))],
        help_text="What one unit costs us; quotes compute margin from it.",
    )
    currency = models.CharField(max_length=3, default="EUR", validators=[CURRENCY_CODE])
    is_active = models.BooleanField("active", default=True, help_text="Inactive products cannot be added to new quotes.")
    description = models.TextField(blank=True)
    substitutes = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="substitute_for",
        help_text="Products that can replace this one, e.g. when it is backordered.",
    )

    class Meta:
        ordering = ["sku"]
        indexes = [models.Index(fields=["family", "sku"], name="product_family_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(list_price__gte=0), name="product_list_price_not_negative")]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"
