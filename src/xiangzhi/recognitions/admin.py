from django.contrib import admin

from xiangzhi.core.admin import ReadOnlyAdmin

from .models import Quota, Recognition


@admin.register(Recognition)
class RecognitionAdmin(ReadOnlyAdmin):
    """Read-only: every change goes through the services (the workbench)."""

    list_display = ("year", "title", "region", "state", "serial", "valid_until")
    list_filter = ("year", "title", "state")
    search_fields = ("serial",)


@admin.register(Quota)
class QuotaAdmin(ReadOnlyAdmin):
    list_display = ("region", "year", "title", "limit")
    list_filter = ("year", "title")
