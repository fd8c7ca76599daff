"""API schemas of the public legal service network (names prefixed ``Network`` to stay unique in the API)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from xiangzhi.core.schemas import Int, IsoDateTime, RegionCode, Strict

from .enums import ServiceKind


class NetworkAdviserRef(Schema):
    id: int
    name: str
    firm: str | None
    work_phone: str = Field(description="工作电话（公开）")
    mobile: str = Field(description="手机号（脱敏）")


class NetworkCommitteeOut(Schema):
    id: int
    name: str
    phone: str


class NetworkVillageOut(Schema):
    code: str
    name: str
    town: str
    covered: bool = Field(description="是否已配备法律顾问；false 即未覆盖")
    adviser: NetworkAdviserRef | None
    mediation_committees: list[NetworkCommitteeOut]
    titles: list[str] = Field(description="民主法治村等称号（由村务应用提供；暂为空）")


class NetworkTotalsOut(Schema):
    villages: int
    covered: int
    uncovered: int
    coverage_rate: float = Field(description="已覆盖村数 / 村数")
    advisers: int = Field(description="服务这些村的不同顾问人数")
    sites_county: int
    sites_town: int
    sites_village: int
    teams: int
    terminals: int


class NetworkCoverageOut(Schema):
    villages: list[NetworkVillageOut] = Field(description="管辖范围内的全部村（社区），一次返回，不分页")
    totals: NetworkTotalsOut


class NetworkSiteOut(Schema):
    id: int
    name: str
    region_code: str
    level: str
    address: str
    hours: str
    services: list[str]
    phone: str


class NetworkAdviserOut(Schema):
    id: int
    name: str
    firm: str | None
    work_phone: str
    mobile: str = Field(description="手机号（脱敏）")
    villages: list[str] = Field(description="服务的村（社区）代码")


class NetworkMemberOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    unit: str


class NetworkShiftOut(Schema):
    day: dt.date
    member_id: int
    member: str
    kind_label: str


class NetworkTeamOut(Schema):
    id: int
    name: str
    region_code: str
    level: str
    members: list[NetworkMemberOut]
    roster: list[NetworkShiftOut] = Field(description="今天起14天的值班安排")


class NetworkTerminalOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    region_code: str
    site_id: int | None
    is_active: bool
    last_seen_at: dt.datetime | None
    visits: int = Field(description="累计访问次数")
    visits_last_30_days: int = Field(description="近30天访问次数")


class NetworkAssignIn(Strict):
    adviser_id: Int = Field(description="法律顾问 id")


class NetworkAssignmentOut(Schema):
    village: str
    adviser: NetworkAdviserRef | None


class NetworkServiceLogIn(Strict):
    village: RegionCode
    kind: ServiceKind
    minutes: Int = Field(ge=1, le=480, description="时长（分钟）")
    summary: str = Field(min_length=1, max_length=500)
    occurred_at: IsoDateTime
    grid: RegionCode | None = None
    adviser_id: Int | None = Field(None, description="代记时填写顾问 id（司法所）；顾问本人不填")


class NetworkServiceLogOut(Schema):
    id: int
    adviser_id: int
    adviser: str
    village: str
    grid: str | None
    kind: str
    kind_label: str
    minutes: int
    summary: str
    occurred_at: dt.datetime
