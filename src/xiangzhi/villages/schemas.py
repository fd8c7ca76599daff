"""API schemas of 民主法治村 creation (every class prefixed Village: names are unique across the API)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema
from pydantic import Field

from xiangzhi.core.schemas import Strict

from .enums import ReviewOutcome, TitleLevel


class VillageTitleOut(Schema):
    id: int
    level: str
    level_label: str
    state: str
    state_label: str
    named_on: dt.date
    document_no: str
    ended_on: dt.date | None
    last_reviewed_on: dt.date | None
    registered: bool = Field(description="平台启用前命名的存量称号")


class VillageDueTitleOut(Schema):
    code: str
    name: str
    title: VillageTitleOut
    due_on: dt.date = Field(description="应复核日期")


class VillageRecordOut(Schema):
    code: str = Field(description="村（社区）区划代码")
    name: str
    town_code: str
    stage: str
    stage_label: str
    highest_level: str = Field(description="现有最高命名等级；无称号时为空")
    updated_at: dt.datetime


class VillageTaskOut(Schema):
    id: int
    title: str
    state: str
    due_on: dt.date | None
    evidence: int = Field(description="佐证材料数")


class VillagePlanOut(Schema):
    id: int
    target_level: str
    year_from: int
    year_to: int
    targets: list[str]
    tasks: list[VillageTaskOut]


class VillageApplicationOut(Schema):
    id: int
    code: str
    level: str
    level_label: str
    state: str
    state_label: str
    standard_id: int
    pass_mark: Decimal
    submitted_at: dt.datetime
    decided_at: dt.datetime | None
    score: Decimal | None = Field(description="各考核人员总分的平均分")
    vetoed: bool = Field(description="有考核人员认定触发一票否决项")
    assessors: int
    sheets: int = Field(description="已评分的考核人员数")


class VillageImprovementOut(Schema):
    id: int
    measures: str
    due_on: dt.date | None
    created_at: dt.datetime


class VillageRecordDetailOut(VillageRecordOut):
    titles: list[VillageTitleOut]
    plans: list[VillagePlanOut]
    applications: list[VillageApplicationOut]
    improvements: list[VillageImprovementOut]


class VillageEventOut(Schema):
    id: int
    kind: str
    kind_label: str
    at: dt.datetime
    actor: str
    payload: dict


class VillageApplyIn(Strict):
    level: TitleLevel
    summary: str = Field("", max_length=2000)


class VillageAssessorsIn(Strict):
    user_ids: list[int] = Field(min_length=1, max_length=20)


class VillageScoreLineIn(Strict):
    indicator_id: int
    score: Decimal = Field(Decimal("0"), ge=0, le=1000)
    veto_hit: bool = False
    note: str = Field("", max_length=300)


class VillageScoreIn(Strict):
    lines: list[VillageScoreLineIn] = Field(min_length=1, max_length=500)
    note: str = Field("", max_length=2000)


class VillageSheetOut(Schema):
    id: int
    total: Decimal
    vetoed: bool
    application: VillageApplicationOut


class VillageNameIn(Strict):
    named_on: dt.date
    document_no: str = Field("", max_length=80)


class VillageReviewIn(Strict):
    outcome: ReviewOutcome
    reviewed_on: dt.date
    note: str = Field("", max_length=2000)


class VillageReviewOut(Schema):
    id: int
    outcome: str
    reviewed_on: dt.date
    title: VillageTitleOut


class VillageTownOut(Schema):
    code: str
    name: str
    villages: int
    titles: dict[str, int] = Field(description="各等级现有称号数（county/city/province/national）")
    coverage: float = Field(description="县级称号覆盖率（%）")


class VillageDashboardOut(Schema):
    by_level: dict[str, int] = Field(description="各等级现有称号数")
    villages: int
    coverage: float = Field(description="县级称号覆盖率（%）")
    towns: list[VillageTownOut]
