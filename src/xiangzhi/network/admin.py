"""Read-only admin views of the network (writes go through the services: the workbench and the commands)."""

from django.contrib import admin

from xiangzhi.core.admin import ReadOnlyAdmin

from .models import Adviser, Assignment, Site, Team, Terminal


@admin.register(Site)
class SiteAdmin(ReadOnlyAdmin):
    list_display = ("name", "region", "hours")
    search_fields = ("name",)


@admin.register(Adviser)
class AdviserAdmin(ReadOnlyAdmin):
    list_display = ("name", "firm", "work_phone", "is_active")
    exclude = ("mobile",)


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ("village", "adviser", "since")


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    list_display = ("name", "region")


@admin.register(Terminal)
class TerminalAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "region", "is_active", "last_seen_at")
    exclude = ("token_hash",)
