"""民主法治村 creation in the admin: read-only (every change goes through the services, so it is audited and
attested)."""

from __future__ import annotations

from django.contrib import admin

from xiangzhi.core.admin import ReadOnlyAdmin

from .models import Application, CreationRecord, Standard, Title


@admin.register(CreationRecord)
class CreationRecordAdmin(ReadOnlyAdmin):
    list_display = ("region", "stage", "highest_level", "updated_at")
    list_filter = ("stage", "highest_level")


@admin.register(Standard)
class StandardAdmin(ReadOnlyAdmin):
    list_display = ("name", "level", "pass_mark", "is_active")


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("record", "level", "state", "score", "vetoed", "submitted_at")
    list_filter = ("state", "level")


@admin.register(Title)
class TitleAdmin(ReadOnlyAdmin):
    list_display = ("record", "level", "state", "named_on", "document_no")
    list_filter = ("state", "level")
