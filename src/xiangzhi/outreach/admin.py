"""精准普法 in the admin: read-only (rules are edited by the bureau in the workbench, 求助 change only through the
services, so every change is audited and attested)."""

from __future__ import annotations

from django.contrib import admin

from xiangzhi.core.admin import ReadOnlyAdmin

from .models import Alert, AlertRule, Delivery


@admin.register(AlertRule)
class AlertRuleAdmin(ReadOnlyAdmin):
    list_display = ("name", "topic", "per_town", "window_hours", "threshold", "release_level", "is_active")


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("topic", "scope", "state", "count", "fired_at", "claimed_by", "published_at")
    list_filter = ("state",)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("alert", "recipient_key", "state", "queued_at", "opened_at")
    list_filter = ("state",)
    exclude = ("phone",)
