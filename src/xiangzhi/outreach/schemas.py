"""API schemas of 精准普法."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from xiangzhi.core.schemas import TextIn


class AnswerOut(Schema):
    text: str
    citations: list[str]
    media_url: str
    media_kind: str
    content_type: str
    duration: float = Field(description="时长（秒）")
    size: int
    sha256: str


class AlertOut(Schema):
    id: int
    topic: str
    scope: str = Field(description="乡镇代码；空为全市")
    region_name: str
    state: str
    state_label: str
    fired_at: dt.datetime
    released_at: dt.datetime | None
    count: int = Field(description="窗口内咨询数")
    expected: float = Field(description="按该主题基线的期望数")
    series: list[int] = Field(description="逐小时咨询数")
    samples: list[str] = Field(description="问题示例（已脱敏）")
    audience: int = Field(description="受众人数（窗口内咨询过该主题的人）")
    claimed_by: str | None
    claim_deadline: dt.datetime | None
    published_at: dt.datetime | None
    answer: AnswerOut | None
    deliveries: dict[str, int] | None = Field(None, description="推送状态计数（waiting/queued/sent/opened）")


class ReviewIn(TextIn):
    approve: bool
    note: str = Field("", max_length=300)


class LessonOut(Schema):
    position: int
    title: str
    body: str


class ItemOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    summary: str
    body: str
    topics: list[str]
    audiences: list[str]
    state: str
    media_url: str | None = None
    content_type: str = ""
    duration: float = Field(0.0, description="时长（秒）")
    published_at: dt.datetime | None = None
    lessons: list[LessonOut] = []
    pages: list[str] = Field([], description="漫画各格图片的地址，按顺序")


class TopTenOut(Schema):
    rank: int
    nomination_id: int
    item_id: int
    title: str
    votes: int
    jury_score: float | None
    score: float = Field(description="0.5 × 票数/当年最高票数 + 0.5 × 评审分/100")


class VoteOut(Schema):
    nomination_id: int
    votes: int


class OutreachFeedEntryOut(Schema):
    key: str = Field(description="item:<资源编号> 或 answer:<求助编号>")
    kind: str = Field(description="item（普法资源）或 answer（律师解答）")
    id: int
    title: str
    summary: str
    topics: list[str]
    audiences: list[str]
    url: str
    score: float = Field(description="推荐分（见 outreach/feed.py 的说明）")
    read: bool = Field(description="已看过（排在未看过的之后）")
    reasons: list[str] = Field(description="推荐理由")


class OutreachLessonIn(TextIn):
    title: str = Field(max_length=120)
    body: str = Field("", max_length=20000)


class OutreachItemEditIn(TextIn):
    """The whole editable content of an item (fields left out keep their value)."""

    kind: str | None = Field(None, description="article / video / comic / class / case")
    title: str | None = Field(None, max_length=120)
    summary: str | None = Field(None, max_length=300)
    body: str | None = Field(None, max_length=50000)
    topics: list[str] | None = None
    audiences: list[str] | None = None
    lessons: list[OutreachLessonIn] | None = Field(None, description="课程的课时，按顺序（整体替换）")


class OutreachManagedItemOut(ItemOut):
    region_code: str = Field("", description="所属乡镇代码；空为全县（司法局）")
    region_name: str = ""
    created_at: dt.datetime
    updated_at: dt.datetime | None = None
    size: int = 0
    sha256: str = ""


class OutreachNominationIn(TextIn):
    item_id: int
    year: int = Field(ge=2000, le=2100)


class OutreachJuryScoreIn(TextIn):
    score: float = Field(ge=0, le=100)


class OutreachNominationOut(Schema):
    id: int
    item_id: int
    title: str
    year: int
    item_state: str
    votes: int = Field(description="投票记录数")
    jury_score: float | None = Field(description="评审分：各评审打分的平均")
    jurors: int = Field(description="已打分的评审人数")
    my_score: float | None = Field(None, description="当前评审本人的打分")
