"""/api/v1/timebank: members (register, list, statement), activities (record, verify, reject), transfers (list,
reverse), donations, the catalogue, redemptions and the leaderboards. Parse → service/selector → schema; no business
rules here."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router

from xiangzhi.core.models import Region, User
from xiangzhi.core.pagination import PageIn, next_url, page_of, paginate
from xiangzhi.core.schemas import ErrorOut
from xiangzhi.core.selectors import access_organisation

from . import selectors
from .enums import ActivityState, CatalogueCategory
from .models import Activity, CatalogueItem, Redemption, Transfer, Volunteer
from .schemas import (
    TbActivityIn,
    TbActivityOut,
    TbDonationIn,
    TbItemIn,
    TbItemOut,
    TbLeaderOut,
    TbMemberIn,
    TbMemberOut,
    TbRedemptionIn,
    TbRedemptionOut,
    TbRejectIn,
    TbReverseIn,
    TbStatementLineOut,
    TbTownOut,
    TbTransferOut,
)
from .services import activities, books, exchange, volunteers

router = Router(tags=["timebank 时间银行"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _reader(request: HttpRequest) -> User:
    if not selectors.read_codes(request.auth):
        raise Http404
    return request.auth


def _member_out(v: Volunteer, user: User) -> TbMemberOut:
    return TbMemberOut(id=v.pk, name=v.person.masked_name, kind=v.kind, kind_label=str(v.get_kind_display()),
                       region_code=v.region.code, region_name=v.region.display_name, organisation=v.organisation.name,
                       balance=v.account.balance, public_consent=v.public_consent,
                       contact=v.person.masked_phone if selectors.may_see_contact(user, v) else None)


def _activity_out(a: Activity) -> TbActivityOut:
    return TbActivityOut(
        id=a.pk, member_id=a.volunteer_id, member_name=a.volunteer.person.masked_name, kind=a.kind,
        kind_label=str(a.get_kind_display()), source=a.source, title=a.title, occurred_on=a.occurred_on,
        minutes=a.minutes, state=a.state, state_label=str(a.get_state_display()), source_key=a.source_key,
        link=a.link, organisation=a.organisation.name,
        recorded_by=(a.recorded_by.display_name or a.recorded_by.username) if a.recorded_by else None,
        verified_by=(a.verified_by.display_name or a.verified_by.username) if a.verified_by else None,
        transfer_id=a.transfer_id, reject_reason=a.reject_reason)


def _transfer_out(t: Transfer) -> TbTransferOut:
    return TbTransferOut(id=t.pk, kind=t.kind, kind_label=str(t.get_kind_display()), from_account=t.from_account_id,
                         to_account=t.to_account_id, amount=t.amount, memo=t.memo, reverses_id=t.reverses_id,
                         created_at=t.created_at)


def _item_out(i: CatalogueItem) -> TbItemOut:
    return TbItemOut(id=i.pk, category=i.category, category_label=str(i.get_category_display()), name=i.name,
                     description=i.description, cost_minutes=i.cost_minutes, region_code=i.region.code,
                     organisation=i.organisation.name, is_active=i.is_active)


def _redemption_out(r: Redemption) -> TbRedemptionOut:
    return TbRedemptionOut(id=r.pk, member_id=r.volunteer_id, item_id=r.item_id, item_name=r.item.name,
                           minutes=r.minutes, transfer_id=r.transfer_id, created_at=r.created_at)


def _acting_member(user: User, member_id: int) -> Volunteer:
    """The member a request acts for: the signed-in volunteer themselves, else one in the staff user's reach."""
    own = selectors.volunteer_of(user)
    if own is not None and own.pk == member_id:
        return own
    return selectors.access_volunteer(user, member_id)


def _managed_region(user: User, code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None or not selectors.may_manage_region(user, region.code):
        raise Http404
    return region


# Members ---------------------------------------------------------------------------------------------------------
@router.get("/members", response={200: page_of(TbMemberOut), **ERRORS}, summary="志愿者列表（管辖范围内）")
def list_members(request: HttpRequest, page: Query[PageIn], kind: str = ""):
    user = _reader(request)
    qs = selectors.volunteers_visible_to(user).order_by("pk")
    if kind:
        qs = qs.filter(kind=kind)
    return paginate(request, qs, page, lambda v: _member_out(v, user))


@router.post("/members", response={200: TbMemberOut, **ERRORS}, summary="登记法律志愿者（开立时间账户）")
def register_member(request: HttpRequest, payload: TbMemberIn):
    user = _reader(request)
    v = volunteers.register_volunteer(
        name=payload.name, phone=payload.phone, kind=payload.kind, skills=payload.skills,
        organisation=access_organisation(user, payload.organisation_id),
        region=_managed_region(user, payload.region_code), public_consent=payload.public_consent, actor=user)
    return _member_out(v, user)


@router.get("/me", response={200: TbMemberOut, **ERRORS}, summary="我的时间账户（志愿者本人）")
def my_member(request: HttpRequest):
    own = selectors.volunteer_of(request.auth)
    if own is None:
        raise Http404
    return _member_out(own, request.auth)


@router.get("/members/{member_id}", response={200: TbMemberOut, **ERRORS}, summary="一位志愿者")
def get_member(request: HttpRequest, member_id: int):
    return _member_out(_acting_member(request.auth, member_id), request.auth)


@router.get("/members/{member_id}/statement", response={200: page_of(TbStatementLineOut), **ERRORS},
            summary="对账单：每笔收支、余额和因何入账")
def member_statement(request: HttpRequest, member_id: int, page: Query[PageIn]):
    v = _acting_member(request.auth, member_id)
    count = selectors.statement_count(v)
    lines = selectors.statement(v, limit=page.limit, offset=page.offset)
    end = page.offset + page.limit
    return {"items": [TbStatementLineOut(**line.__dict__) for line in lines], "count": count,
            "next": next_url(request, limit=page.limit, offset=end) if end < count else None}


# Activities ------------------------------------------------------------------------------------------------------
@router.get("/activities", response={200: page_of(TbActivityOut), **ERRORS}, summary="服务记录（可按状态筛选）")
def list_activities(request: HttpRequest, page: Query[PageIn], state: ActivityState | Literal[""] = ""):
    user = _reader(request)
    qs = selectors.activities_visible_to(user).order_by("-pk")
    if state:
        qs = qs.filter(state=state)
    return paginate(request, qs, page, _activity_out)


@router.post("/activities", response={200: TbActivityOut, **ERRORS}, summary="录入服务记录（待他人核验）")
def record_activity(request: HttpRequest, payload: TbActivityIn):
    user = _reader(request)
    v = selectors.access_volunteer(user, payload.member_id)
    a = activities.record_activity(v, kind=payload.kind, title=payload.title, occurred_on=payload.occurred_on,
                                   minutes=payload.minutes, organisation=v.organisation, link=payload.link,
                                   actor=user)
    return _activity_out(a)


@router.get("/activities/{activity_id}", response={200: TbActivityOut, **ERRORS}, summary="一条服务记录")
def get_activity(request: HttpRequest, activity_id: int):
    return _activity_out(selectors.access_activity(_reader(request), activity_id))


@router.post("/activities/{activity_id}/verify", response={200: TbActivityOut, **ERRORS},
             summary="核验并入账（录入人和志愿者本人不能核验）")
def verify_activity(request: HttpRequest, activity_id: int):
    user = _reader(request)
    return _activity_out(activities.verify_activity(selectors.access_activity(user, activity_id), actor=user))


@router.post("/activities/{activity_id}/reject", response={200: TbActivityOut, **ERRORS}, summary="核验不通过")
def reject_activity(request: HttpRequest, activity_id: int, payload: TbRejectIn):
    user = _reader(request)
    return _activity_out(activities.reject_activity(selectors.access_activity(user, activity_id), actor=user,
                                                    reason=payload.reason))


# Transfers, donations, catalogue, redemptions ----------------------------------------------------------------------
@router.get("/transfers", response={200: page_of(TbTransferOut), **ERRORS}, summary="转账（管辖范围内志愿者的）")
def list_transfers(request: HttpRequest, page: Query[PageIn]):
    return paginate(request, selectors.transfers_visible_to(_reader(request)), page, _transfer_out)


@router.post("/transfers/{transfer_id}/reverse", response={200: TbTransferOut, **ERRORS},
             summary="冲正：反向转账一次（县级管理员）")
def reverse_transfer(request: HttpRequest, transfer_id: int, payload: TbReverseIn):
    user = _reader(request)
    return _transfer_out(books.reverse_transfer(selectors.access_transfer(user, transfer_id), actor=user,
                                                reason=payload.reason))


@router.post("/donations", response={200: TbTransferOut, **ERRORS}, summary="转赠时间给另一位志愿者（本人）")
def donate(request: HttpRequest, payload: TbDonationIn):
    own = selectors.volunteer_of(request.auth)
    if own is None or own.pk != payload.from_member_id:
        raise Http404
    recipient = selectors.donation_recipient(payload.to_member_id)
    return _transfer_out(exchange.donate(own, recipient, minutes=payload.minutes, actor=request.auth,
                                         memo=payload.memo))


@router.get("/catalogue", response={200: page_of(TbItemOut), **ERRORS}, summary="兑换目录")
def list_catalogue(request: HttpRequest, page: Query[PageIn], category: CatalogueCategory | Literal[""] = ""):
    qs = selectors.catalogue_visible_to(request.auth).order_by("category", "cost_minutes", "pk")
    if category:
        qs = qs.filter(category=category)
    return paginate(request, qs, page, _item_out)


@router.post("/catalogue", response={200: TbItemOut, **ERRORS}, summary="新增兑换项目")
def create_item(request: HttpRequest, payload: TbItemIn):
    user = _reader(request)
    item = exchange.save_item(organisation=access_organisation(user, payload.organisation_id),
                              region=_managed_region(user, payload.region_code), category=payload.category,
                              name=payload.name, description=payload.description,
                              cost_minutes=payload.cost_minutes, is_active=payload.is_active, actor=user)
    return _item_out(item)


@router.post("/catalogue/{item_id}", response={200: TbItemOut, **ERRORS}, summary="修改兑换项目（含下架）")
def update_item(request: HttpRequest, item_id: int, payload: TbItemIn):
    user = _reader(request)
    item = selectors.managed_item(user, item_id)
    item = exchange.save_item(organisation=access_organisation(user, payload.organisation_id),
                              region=_managed_region(user, payload.region_code), category=payload.category,
                              name=payload.name, description=payload.description, item=item,
                              cost_minutes=payload.cost_minutes, is_active=payload.is_active, actor=user)
    return _item_out(item)


@router.get("/redemptions", response={200: page_of(TbRedemptionOut), **ERRORS}, summary="兑换记录")
def list_redemptions(request: HttpRequest, page: Query[PageIn]):
    own = selectors.volunteer_of(request.auth)
    if selectors.read_codes(request.auth):
        qs = selectors.redemptions_visible_to(request.auth)
    elif own is not None:
        qs = own.redemptions.select_related("item")
    else:
        raise Http404
    return paginate(request, qs.order_by("-pk"), page, _redemption_out)


@router.post("/redemptions", response={200: TbRedemptionOut, **ERRORS}, summary="兑换（余额不足返回 409）")
def redeem(request: HttpRequest, payload: TbRedemptionIn):
    v = _acting_member(request.auth, payload.member_id)
    item = selectors.access_item(request.auth, payload.item_id)
    return _redemption_out(exchange.redeem(v, item, actor=request.auth))


# Leaderboards ----------------------------------------------------------------------------------------------------
def _since(year: int | None) -> dt.date:
    return dt.date(year or timezone.localdate().year, 1, 1)


@router.get("/leaderboard", response={200: page_of(TbLeaderOut), **ERRORS},
            summary="乡镇排行榜（仅同意公开的志愿者，姓名脱敏）")
def town_leaderboard(request: HttpRequest, page: Query[PageIn], town: str, year: int | None = None):
    region = selectors.access_leaderboard_town(_reader(request), town)
    rows = selectors.leaderboard(region, since=_since(year), limit=200)
    return paginate(request, rows, page, lambda r: TbLeaderOut(rank=r.rank, member_id=r.volunteer_id, name=r.name,
                                                               region=r.region, minutes=r.minutes))


@router.get("/leaderboard/towns", response={200: page_of(TbTownOut), **ERRORS}, summary="各镇（街道）服务分钟数（管辖范围内）")
def county_leaderboard(request: HttpRequest, page: Query[PageIn], year: int | None = None):
    rows = selectors.towns_for(_reader(request), since=_since(year))
    return paginate(request, rows, page, lambda r: TbTownOut(**r.__dict__))
