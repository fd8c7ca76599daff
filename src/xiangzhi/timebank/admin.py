"""Read-only admin views of the time bank: the books are written only by the services (and the database refuses
changes to posted transfers)."""

from django.contrib import admin

from xiangzhi.core.admin import ReadOnlyAdmin

from .models import Account, Activity, CatalogueItem, Redemption, Transfer, Volunteer


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "label", "balance", "min_balance")


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "from_account", "to_account", "amount", "reverses", "created_at")


@admin.register(Volunteer)
class VolunteerAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "region", "organisation", "public_consent")


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "title", "minutes", "state", "occurred_on")


@admin.register(CatalogueItem)
class CatalogueItemAdmin(ReadOnlyAdmin):
    list_display = ("pk", "category", "name", "cost_minutes", "region", "is_active")


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ("pk", "volunteer", "item", "minutes", "created_at")
