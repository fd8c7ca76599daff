"""合法性审查 in the admin: read-only (submissions change only through the services, so every change is audited and
attested)."""

from __future__ import annotations

from django.contrib import admin

from .models import Opinion, Submission


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:  # noqa: ANN001, ARG002
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001, ARG002
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001, ARG002
        return False


@admin.register(Submission)
class SubmissionAdmin(ReadOnly):
    list_display = ("title", "kind", "town", "state", "version", "submitted_at", "due_date", "issued_at")
    list_filter = ("state", "kind")


@admin.register(Opinion)
class OpinionAdmin(ReadOnly):
    list_display = ("submission", "version", "conclusion", "reviewer", "given_at", "in_time")
    list_filter = ("conclusion", "in_time")
