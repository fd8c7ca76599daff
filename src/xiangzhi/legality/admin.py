"""合法性审查 in the admin: read-only (submissions change only through the services, so every change is audited and
attested)."""

from __future__ import annotations

from django.contrib import admin

from xiangzhi.core.admin import ReadOnlyAdmin

from .models import Opinion, Submission


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "town", "state", "version", "submitted_at", "due_date", "issued_at")
    list_filter = ("state", "kind")


@admin.register(Opinion)
class OpinionAdmin(ReadOnlyAdmin):
    list_display = ("submission", "version", "conclusion", "reviewer", "given_at", "in_time")
    list_filter = ("conclusion", "in_time")
