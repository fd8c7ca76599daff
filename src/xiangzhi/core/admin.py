"""Django admin for system administrators. Personal data is shown masked; audit rows are read-only."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import (
    ApiToken,
    AuditLog,
    CalendarDay,
    Membership,
    Organisation,
    PersonalDataAccess,
    Region,
    User,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # noqa: ANN001, ARG002
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001, ARG002
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001, ARG002
        return False


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "short_name", "level", "kind", "is_active", "population")
    list_filter = ("level", "kind", "is_active")
    search_fields = ("code", "name", "short_name")
    readonly_fields = ("code", "level", "parent", "merged_into", "created_at")

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001, ARG002
        return False  # regions are merged or deactivated through the services, never deleted


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "specialty", "region", "is_active")
    list_filter = ("kind", "specialty", "is_active")
    search_fields = ("name", "region__name", "region__code")
    autocomplete_fields = ("region",)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("organisation", "region")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "kind", "masked_phone", "totp_enabled", "is_active", "locked_until")
    list_filter = ("kind", "is_active", "totp_enabled")
    search_fields = ("username", "display_name")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("资料", {"fields": ("display_name", "kind", "masked_phone")}),
        ("安全", {"fields": ("is_active", "is_staff", "is_superuser", "totp_enabled", "failed_logins", "locked_until",
                           "password_changed_at", "last_login")}),
    )
    readonly_fields = ("masked_phone", "failed_logins", "locked_until", "password_changed_at", "last_login")
    inlines = [MembershipInline]

    @admin.display(description="手机号")
    def masked_phone(self, obj: User) -> str:
        return obj.masked_phone


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_id", "region_code", "ip")
    list_filter = ("action",)
    search_fields = ("action", "actor_label", "object_id")
    date_hierarchy = "at"


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    list_display = ("at", "viewer", "person", "fields", "reason", "ip")
    date_hierarchy = "at"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at")
    fields = ("name", "user", "prefix", "secret_hash", "scopes", "created_by", "created_at", "expires_at",
              "last_used_at", "revoked_at")
    readonly_fields = fields  # issuing and revoking are audited services (workbench → 接口令牌, issue_token)

    def has_add_permission(self, request, obj=None):  # noqa: ANN001, ARG002
        return False  # issued (secret shown once) and revoked, audited, in the workbench or with `xiangzhi issue_token`


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "note")
    list_filter = ("is_workday",)
