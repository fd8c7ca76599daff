"""Read-only admin views of the time bank: the books are written only by the services (and the database refuses
changes to posted transfers)."""

from django.contrib import admin

from .models import Account, Activity, CatalogueItem, Redemption, Transfer, Volunteer


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:  # noqa: ANN001, ARG002
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001, ARG002
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001, ARG002
        return False


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = ("pk", "kind", "label", "balance", "min_balance")


@admin.register(Transfer)
class TransferAdmin(ReadOnly):
    list_display = ("pk", "kind", "from_account", "to_account", "amount", "reverses", "created_at")


@admin.register(Volunteer)
class VolunteerAdmin(ReadOnly):
    list_display = ("pk", "kind", "region", "organisation", "public_consent")


@admin.register(Activity)
class ActivityAdmin(ReadOnly):
    list_display = ("pk", "kind", "title", "minutes", "state", "occurred_on")


@admin.register(CatalogueItem)
class CatalogueItemAdmin(ReadOnly):
    list_display = ("pk", "category", "name", "cost_minutes", "region", "is_active")


@admin.register(Redemption)
class RedemptionAdmin(ReadOnly):
    list_display = ("pk", "volunteer", "item", "minutes", "created_at")
