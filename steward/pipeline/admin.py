"""Stages and quotas in the admin, audited like every other change. Opportunities are read-only here:
the pages and the API change them through the services, so every rule applies."""

from django.contrib import admin, messages
from django.db import IntegrityError, transaction

from steward.core.admin_audit import AuditedModelAdmin
from steward.core.errors import ValidationFailed
from steward.pipeline.models import Opportunity, OpportunityStage, Quota
from steward.pipeline.services import _check_stage_set


@admin.register(OpportunityStage)
class OpportunityStageAdmin(AuditedModelAdmin):
    list_display = ("name", "position", "probability", "outcome", "is_active")
    list_editable = ("position", "probability", "is_active")
    ordering = ("position", "name")

    def save_model(self, request, obj, form, change):
        # The won/lost rule holds here too: a refused change is rolled back with the message shown.
        try:
            with transaction.atomic():
                super().save_model(request, obj, form, change)
                _check_stage_set()
        except ValidationFailed as exc:
            messages.error(request, f"Not saved: {exc.message}")

    def delete_model(self, request, obj):
        if obj.opportunities.exists():
            messages.error(request, f"“{obj.name}” is in use by opportunities: deactivate it instead.")
            return
        try:
            with transaction.atomic():
                super().delete_model(request, obj)
                _check_stage_set()
        except (ValidationFailed, IntegrityError) as exc:
            messages.error(request, f"Not deleted: {getattr(exc, 'message', exc)}")

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or not obj.opportunities.exists())


@admin.register(Quota)
class QuotaAdmin(AuditedModelAdmin):
    list_display = ("user", "kind", "period_start", "amount", "currency")
    list_filter = ("kind", "period_start")
    search_fields = ("user__username", "user__last_name")
    autocomplete_fields = ("user",)


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ("name", "account", "stage", "amount", "currency", "close_date", "owner")
    list_filter = ("stage", "type")
    search_fields = ("name", "account__name")
    list_select_related = ("account", "stage", "owner")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
