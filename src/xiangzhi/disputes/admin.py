"""Administrators edit the dispute types and the routing table here; cases are changed only through the services."""

from __future__ import annotations

from django.contrib import admin

from .models import DisputeType, RoutingRule


@admin.register(DisputeType)
class DisputeTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "order", "is_active")
    list_editable = ("order", "is_active")
    search_fields = ("name", "code")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "target_level", "org_kind", "specialty", "is_active", "note")
    list_filter = ("target_level", "org_kind", "risk_level", "is_active")
    list_editable = ("is_active",)
