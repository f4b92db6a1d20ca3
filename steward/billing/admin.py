from django.contrib import admin

from steward.billing.models import Invoice, InvoiceLine, Payment


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    readonly_fields = ["order_line", "description", "quantity", "unit_price", "amount"]
    can_delete = False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Read-mostly: invoices change through the billing pages and API, which keep totals and the audit trail."""

    list_display = ["number", "account", "status", "issued_on", "due_on", "total", "balance", "currency"]
    list_filter = ["status", "currency"]
    search_fields = ["number", "account__name"]
    raw_id_fields = ["account", "order", "contact", "created_by"]
    inlines = [InvoiceLineInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["invoice", "received_on", "amount", "method", "reference", "reversed_at"]
    raw_id_fields = ["invoice", "recorded_by", "reversed_by"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
