"""Read-only admin views of the network (writes go through the services: the workbench and the commands)."""

from django.contrib import admin

from .models import Adviser, Assignment, Site, Team, Terminal


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):  # noqa: ANN001, ANN201, ARG002
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001, ANN201, ARG002
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001, ANN201, ARG002
        return False


@admin.register(Site)
class SiteAdmin(ReadOnly):
    list_display = ("name", "region", "hours")
    search_fields = ("name",)


@admin.register(Adviser)
class AdviserAdmin(ReadOnly):
    list_display = ("name", "firm", "work_phone", "is_active")
    exclude = ("mobile",)


@admin.register(Assignment)
class AssignmentAdmin(ReadOnly):
    list_display = ("village", "adviser", "since")


@admin.register(Team)
class TeamAdmin(ReadOnly):
    list_display = ("name", "region")


@admin.register(Terminal)
class TerminalAdmin(ReadOnly):
    list_display = ("code", "name", "kind", "region", "is_active", "last_seen_at")
    exclude = ("token_hash",)
