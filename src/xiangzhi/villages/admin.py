"""民主法治村 creation in the admin: read-only (every change goes through the services, so it is audited and
attested)."""

from __future__ import annotations

from django.contrib import admin

from .models import Application, CreationRecord, Standard, Title


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:  # noqa: ANN001, ARG002
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001, ARG002
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001, ARG002
        return False


@admin.register(CreationRecord)
class CreationRecordAdmin(ReadOnly):
    list_display = ("region", "stage", "highest_level", "updated_at")
    list_filter = ("stage", "highest_level")


@admin.register(Standard)
class StandardAdmin(ReadOnly):
    list_display = ("name", "level", "pass_mark", "is_active")


@admin.register(Application)
class ApplicationAdmin(ReadOnly):
    list_display = ("record", "level", "state", "score", "vetoed", "submitted_at")
    list_filter = ("state", "level")


@admin.register(Title)
class TitleAdmin(ReadOnly):
    list_display = ("record", "level", "state", "named_on", "document_no")
    list_filter = ("state", "level")
