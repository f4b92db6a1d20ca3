"""The catalogue in the admin, audited like every other change."""

from django.contrib import admin

from steward.catalogue.models import Product
from steward.core.admin_audit import AuditedModelAdmin


@admin.register(Product)
class ProductAdmin(AuditedModelAdmin):
    list_display = ("sku", "name", "family", "unit", "list_price", "currency", "is_active")
    list_filter = ("is_active", "family", "currency")
    search_fields = ("sku", "name")
    filter_horizontal = ("substitutes",)
