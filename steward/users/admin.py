from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from steward.core.admin_audit import AuditedModelAdmin
from steward.users.models import ApiToken, LoginAttempt, Region, Team, User


@admin.register(User)
class UserAdmin(AuditedModelAdmin, BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "team", "manager", "is_active")
    list_filter = ("role", "team", "region", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Steward", {"fields": ("role", "title", "team", "region", "manager")}),
    )
    autocomplete_fields = ("manager", "team")
    search_fields = ("username", "first_name", "last_name", "email")


@admin.register(Team)
class TeamAdmin(AuditedModelAdmin):
    list_display = ("name", "region", "lead")
    search_fields = ("name",)


@admin.register(Region)
class RegionAdmin(AuditedModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "last_used_at")


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    list_display = ("username", "ip_address", "succeeded", "attempted_at")
    list_filter = ("succeeded",)
