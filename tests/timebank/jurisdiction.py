"""Objects of 崇福镇 for the 时间银行 URLs (see tests/jurisdiction.py): a volunteer of a 崇福镇 village registered by
its 司法所, a proposed activity of theirs, a credit to them, a catalogue item of 崇福镇."""

from __future__ import annotations

import datetime as dt

from tests.conftest import CHONGFU, first_village
from tests.jurisdiction import register


def chongfu_volunteer():
    from xiangzhi.core.models import Organisation
    from xiangzhi.timebank.models import Volunteer
    from xiangzhi.timebank.services.volunteers import register_volunteer

    org = Organisation.objects.filter(region__code=CHONGFU, kind="justice_office").first()
    return register_volunteer(name=f"崇福志愿者{Volunteer.objects.count()}", kind="resident", organisation=org,
                              region=first_village(CHONGFU), actor=None)


def chongfu_activity():
    from xiangzhi.timebank.enums import ActivityKind, ActivitySource
    from xiangzhi.timebank.models import Activity

    v = chongfu_volunteer()
    return Activity.objects.create(volunteer=v, organisation=v.organisation, region=v.region,
                                   kind=ActivityKind.TALK, source=ActivitySource.MANUAL, title="普法宣讲",
                                   occurred_on=dt.date(2026, 11, 1), minutes=60)


def chongfu_item():
    from xiangzhi.core.models import Region
    from xiangzhi.timebank.models import CatalogueItem

    v = chongfu_volunteer()
    return CatalogueItem.objects.create(organisation=v.organisation, region=Region.objects.get(code=CHONGFU),
                                        category="community", name="家电维修一次", cost_minutes=60)


@register("timebank:member", "timebank:member_xlsx")
def chongfu_member_pk():
    return {"pk": chongfu_volunteer().pk}


@register("GET /api/v1/timebank/members/{member_id}", "GET /api/v1/timebank/members/{member_id}/statement")
def chongfu_member_id():
    return {"member_id": chongfu_volunteer().pk}


@register("timebank:verify")
def chongfu_activity_pk():
    return {"pk": chongfu_activity().pk}


@register("GET /api/v1/timebank/activities/{activity_id}", "POST /api/v1/timebank/activities/{activity_id}/verify")
def chongfu_activity_id():
    return {"activity_id": chongfu_activity().pk}


@register("POST /api/v1/timebank/activities/{activity_id}/reject")
def chongfu_activity_reject():
    return {"activity_id": chongfu_activity().pk, "_body": {"reason": "不符"}}


@register("POST /api/v1/timebank/transfers/{transfer_id}/reverse")
def chongfu_transfer():
    from xiangzhi.timebank.enums import TransferKind
    from xiangzhi.timebank.services.books import issuance_account, post_transfer

    v = chongfu_volunteer()
    t = post_transfer(TransferKind.CREDIT, from_account=issuance_account(), to_account=v.account, amount=30,
                      actor=None)
    return {"transfer_id": t.pk, "_body": {"reason": "重复录入"}}


@register("timebank:redeem", "timebank:item_save")
def chongfu_item_pk():
    return {"pk": chongfu_item().pk}


@register("POST /api/v1/timebank/catalogue/{item_id}")
def chongfu_item_id():
    item = chongfu_item()
    return {"item_id": item.pk, "_body": {"category": "community", "name": "家电维修", "cost_minutes": 30,
                                          "region_code": CHONGFU, "organisation_id": item.organisation_id}}
