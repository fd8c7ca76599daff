"""API schemas of 时间银行 (class names prefixed ``Tb``: unique across the whole API)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from xiangzhi.core.schemas import TextIn


class TbMemberOut(Schema):
    id: int
    name: str = Field(description="姓名（脱敏）")
    kind: str
    kind_label: str
    region_code: str
    region_name: str
    organisation: str
    balance: int = Field(description="余额（分钟）")
    public_consent: bool
    contact: str | None = Field(description="手机号（脱敏），仅登记组织的工作人员可见")


class TbMemberIn(TextIn):
    name: str = Field(min_length=1, max_length=60)
    phone: str = Field("", max_length=20)
    kind: str
    organisation_id: int
    region_code: str = Field(max_length=15)
    skills: str = Field("", max_length=200)
    public_consent: bool = False


class TbActivityOut(Schema):
    id: int
    member_id: int
    member_name: str
    kind: str
    kind_label: str
    source: str
    title: str
    occurred_on: dt.date
    minutes: int
    state: str
    state_label: str
    source_key: str | None
    link: str
    organisation: str
    recorded_by: str | None
    verified_by: str | None
    transfer_id: int | None
    reject_reason: str


class TbActivityIn(TextIn):
    member_id: int
    kind: str
    title: str = Field(min_length=1, max_length=200)
    occurred_on: dt.date
    minutes: int = Field(gt=0, le=24 * 60)
    link: str = Field("", max_length=300)


class TbRejectIn(TextIn):
    reason: str = Field(min_length=1, max_length=200)


class TbTransferOut(Schema):
    id: int
    kind: str
    kind_label: str
    from_account: int
    to_account: int
    amount: int
    memo: str
    reverses_id: int | None
    created_at: dt.datetime


class TbDonationIn(TextIn):
    from_member_id: int
    to_member_id: int
    minutes: int = Field(gt=0)
    memo: str = Field("", max_length=200)


class TbReverseIn(TextIn):
    reason: str = Field(min_length=1, max_length=200)


class TbItemOut(Schema):
    id: int
    category: str
    category_label: str
    name: str
    description: str
    cost_minutes: int
    region_code: str
    organisation: str
    is_active: bool


class TbItemIn(TextIn):
    category: str
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=300)
    cost_minutes: int = Field(gt=0)
    region_code: str = Field(max_length=15)
    organisation_id: int
    is_active: bool = True


class TbRedemptionOut(Schema):
    id: int
    member_id: int
    item_id: int
    item_name: str
    minutes: int
    transfer_id: int
    created_at: dt.datetime


class TbRedemptionIn(TextIn):
    member_id: int
    item_id: int


class TbStatementLineOut(Schema):
    movement_id: int
    transfer_id: int
    at: dt.datetime
    amount: int = Field(description="正数为收入，负数为支出（分钟）")
    balance: int = Field(description="该笔之后的余额")
    kind: str
    kind_label: str
    what: str = Field(description="因何入账或支出")
    category: str
    link: str


class TbLeaderOut(Schema):
    rank: int
    member_id: int
    name: str
    region: str
    minutes: int


class TbTownOut(Schema):
    code: str
    name: str
    volunteers: int
    minutes: int
