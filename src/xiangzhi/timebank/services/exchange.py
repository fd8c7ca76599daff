"""Spending minutes: the catalogue organisations maintain, redemptions from it, donations between volunteers."""

from __future__ import annotations

from django.db import transaction

from xiangzhi.core import rules as core_rules
from xiangzhi.core.errors import Conflict, Forbidden, ValidationFailed
from xiangzhi.core.models import Organisation, Region, User
from xiangzhi.core.text import clean_text

from .. import rules, selectors
from ..enums import CatalogueCategory, TransferKind
from ..models import CatalogueItem, Redemption, Volunteer
from .books import check_amount, issuance_account, post_transfer
from .records import record


def save_item(*, organisation: Organisation, region: Region, category: str, name: str, cost_minutes: int,
              description: str = "", is_active: bool = True, item: CatalogueItem | None = None,
              actor: User) -> CatalogueItem:
    """Create or change a catalogue item. Guards: the actor manages the item's region."""
    if category not in CatalogueCategory.values:
        raise ValidationFailed("INVALID_CATEGORY", "类别不正确。")
    name = clean_text(name).strip()
    if not name:
        raise ValidationFailed("NAME_REQUIRED", "请填写名称。")
    check_amount(cost_minutes)
    if not rules.can_manage(core_rules.roles_of(actor)) or not selectors.may_manage_region(actor, region.code) or (
            item is not None and not selectors.may_manage_region(actor, item.region.code)):
        raise Forbidden("NOT_ALLOWED", "无权维护该区划的兑换目录。")
    with transaction.atomic():
        if item is None:
            item = CatalogueItem(organisation=organisation)
        item.organisation, item.region, item.category, item.name = organisation, region, category, name[:100]
        item.description, item.cost_minutes, item.is_active = clean_text(description)[:300], cost_minutes, is_active
        item.save()
        record("timebank.item.saved", item, {"name": item.name, "cost": cost_minutes, "active": is_active},
               actor=actor, region_code=region.code)
    return item


def redeem(volunteer: Volunteer, item: CatalogueItem, *, actor: User) -> Redemption:
    """Spend ``item.cost_minutes`` of the volunteer's minutes on ``item``. Guards: the volunteer themselves (or a
    manager of their region); the item is active and serves the volunteer's region; enough minutes (under the
    account locks, so concurrent redemptions never overdraw). Side effects: the redemption transfer volunteer →
    issuance (its audit row and ledger leaf), the redemption row and its audit row."""
    if not (selectors.is_own(actor, volunteer) or (rules.can_manage(core_rules.roles_of(actor))
                                                   and selectors.may_manage_region(actor, volunteer.region.code))):
        raise Forbidden("NOT_ALLOWED", "只有志愿者本人或其所在辖区的工作人员可以兑换。")
    if not item.is_active or not rules.region_covers(item.region.code, volunteer.region.code):
        raise Conflict("ITEM_UNAVAILABLE", "该项目不可兑换。")
    with transaction.atomic():
        t = post_transfer(TransferKind.REDEMPTION, from_account=volunteer.account, to_account=issuance_account(),
                          amount=item.cost_minutes, actor=actor, memo=item.name)
        r = Redemption.objects.create(volunteer=volunteer, item=item, minutes=item.cost_minutes, transfer=t,
                                      created_by=actor)
        record("timebank.redeemed", r, {"item": item.pk, "minutes": item.cost_minutes, "transfer": t.pk},
               actor=actor, region_code=volunteer.region.code)
    return r


def donate(donor: Volunteer, recipient: Volunteer, *, minutes: int, actor: User, memo: str = ""):  # noqa: ANN201
    """The donor gives minutes to another volunteer. Guards: only the donor themselves; enough minutes."""
    if not selectors.is_own(actor, donor):
        raise Forbidden("NOT_ALLOWED", "只有志愿者本人可以转赠。")
    if donor.pk == recipient.pk:
        raise ValidationFailed("SAME_ACCOUNT", "不能转赠给自己。")
    return post_transfer(TransferKind.DONATION, from_account=donor.account, to_account=recipient.account,
                         amount=check_amount(minutes), actor=actor, memo=memo or "转赠")
