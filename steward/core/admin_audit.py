"""Admin changes are audited like any other write: a mixin for ModelAdmin classes."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from steward.core import audit


class AuditedModelAdmin(admin.ModelAdmin):
    """Writes an audit event for every add, change and delete made through the admin."""

    audit_exclude: tuple[str, ...] = ("password", "last_login")

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = None
            if change and obj.pk:
                previous = type(obj).objects.filter(pk=obj.pk).first()
                before = audit.snapshot(previous, exclude=self.audit_exclude) if previous else None
            super().save_model(request, obj, form, change)
            audit.record(
                actor=request.user, action="update" if change else "create", instance=obj,
                before=before, after=audit.snapshot(obj, exclude=self.audit_exclude),
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit.record(actor=request.user, action="delete", instance=obj, before=audit.snapshot(obj, exclude=self.audit_exclude), after=None)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            audit.record_changes(
                actor=request.user,
                changes=[
                    audit.Change("delete", o._meta.label_lower, str(getattr(o, "public_id", o.pk)), str(o), None, audit.snapshot(o, exclude=self.audit_exclude), None)
                    for o in queryset
                ],
            )
            super().delete_queryset(request, queryset)
