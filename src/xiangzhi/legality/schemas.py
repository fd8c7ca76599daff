"""API schemas of 合法性审查 (names prefixed ``Legality`` so they are unique across the API)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from xiangzhi.core.schemas import Strict

from .enums import Conclusion, DocKind


class LegalityCitationOut(Schema):
    key: str = Field(description="法条键，如 民法典-1079")
    label: str = Field(description="如《民法典》第一千零七十九条")
    url: str = Field(description="法规库中该条的地址")


class LegalityOpinionOut(Schema):
    id: int
    version: int
    digest: str
    conclusion: str
    conclusion_label: str
    reasons: str
    citations: list[LegalityCitationOut]
    reviewer: str
    given_at: dt.datetime
    due_date: dt.date | None
    in_time: bool


class LegalityVersionOut(Schema):
    number: int
    digest: str = Field(description="正文的 SHA-256；出具意见和印发时须提交当前版本的摘要")
    note: str
    created_at: dt.datetime
    text: str | None = Field(None, description="正文（仅详情中的当前版本）")


class LegalitySubmissionOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    town_code: str
    town_name: str
    region_code: str
    region_name: str
    state: str
    state_label: str
    version: int
    submitted_at: dt.datetime
    submitted_by: str
    reviewers: list[str]
    assigned_at: dt.datetime | None
    deadline_workdays: int | None
    due_date: dt.date | None
    overdue: bool = Field(description="审查中且已超过审查期限")
    issued_at: dt.datetime | None


class LegalitySubmissionDetailOut(LegalitySubmissionOut):
    versions: list[LegalityVersionOut]
    opinions: list[LegalityOpinionOut]


class LegalitySubmitIn(Strict):
    region_code: str = Field(..., pattern=r"^\d{9}(\d{3})?$", description="乡镇（街道）代码，村级事项为村（社区）代码")
    kind: DocKind
    title: str = Field(..., min_length=1, max_length=200)
    text: str = Field(..., min_length=1, max_length=200_000)


class LegalityAssignIn(Strict):
    reviewer_ids: list[int] = Field(default_factory=list, max_length=9,
                                    description="一名律师，或多名法律顾问组成审查组；不填：村级事项由本村法律顾问审查")
    deadline_workdays: int | None = Field(None, ge=1, le=60, description="审查时限（工作日）；缺省按系统设置")


class LegalityOpinionIn(Strict):
    digest: str = Field(..., pattern=r"^[0-9a-f]{64}$", description="所审查版本的摘要（须为当前版本）")
    conclusion: Conclusion
    reasons: str = Field(..., min_length=1, max_length=20_000)
    citations: list[str] = Field(..., min_length=1, max_length=50, description="引用法条键，如 民法典-1079")


class LegalityReviseIn(Strict):
    text: str = Field(..., min_length=1, max_length=200_000)
    note: str = Field("", max_length=300)


class LegalityIssueIn(Strict):
    digest: str = Field(..., pattern=r"^[0-9a-f]{64}$", description="印发的正文版本的摘要（须为当前版本且审查合法）")


class LegalityTownOut(Schema):
    code: str
    name: str
    submitted: int
    reviewed: int = Field(description="已出具至少一份审查意见的事项")
    opinions: int
    in_time: int = Field(description="按期出具的审查意见")
    late: int = Field(description="超期出具的审查意见")
    overdue: int = Field(description="当前审查中且已超期的事项")
    issued: int
    issued_without_review: int = Field(description="未经审查通过即印发的事项（系统不允许，应为 0）")
    refused: int = Field(description="曾被审查为不合法的事项")
    coverage: float | None = Field(description="审查覆盖率：已审查 / 报送")
    timeliness: float | None = Field(description="按期率：按期意见 / 全部意见")


class LegalityDashboardOut(Schema):
    year: int | None
    towns: list[LegalityTownOut]
    total: LegalityTownOut
