from django.contrib import admin

from .models import Quota, Recognition


@admin.register(Recognition)
class RecognitionAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the services (the workbench)."""

    list_display = ("year", "title", "region", "state", "serial", "valid_until")
    list_filter = ("year", "title", "state")
    search_fields = ("serial",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001, ARG002
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001, ARG002
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001, ARG002
        return False


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ("region", "year", "title", "limit")
    list_filter = ("year", "title")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001, ARG002
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001, ARG002
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001, ARG002
        return False
