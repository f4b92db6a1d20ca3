"""Configuration in the admin: tiers and their cadence, exchange rates. Accounts are read-only here: the pages
and the API edit them through the services, so every rule and audit event applies."""

from django.contrib import admin

from steward.accounts.models import Account, Contact, ExchangeRate, Tier
from steward.core.admin_audit import AuditedModelAdmin


@admin.register(Tier)
class TierAdmin(AuditedModelAdmin):
    list_display = ("name", "rank", "touchpoint_cadence_days", "qbr_every_months", "color")
    list_editable = ("rank", "touchpoint_cadence_days", "qbr_every_months")
    ordering = ("rank",)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(AuditedModelAdmin):
    list_display = ("currency", "rate", "as_of", "__str__")
    list_editable = ("rate", "as_of")
    search_fields = ("currency",)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("name", "tier", "lifecycle_stage", "owner", "region", "annual_contract_value", "currency")
    list_filter = ("tier", "lifecycle_stage", "region")
    search_fields = ("name", "domain")
    list_select_related = ("tier", "owner", "region")
    show_full_result_count = False


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "account", "title", "buying_role", "status")
    list_filter = ("buying_role", "status")
    search_fields = ("last_name", "email")
    list_select_related = ("account",)
    show_full_result_count = False
