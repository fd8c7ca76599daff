from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from xiangzhi.core.schemas import Bool, Int, IsoDate, OptionalPhone, Strict, TextIn

from .models import HandoffStatus, LawStatus, Question, StepAction


class AskIn(TextIn):
    question: str = Field(..., examples=["邻居家的树根把我家院墙顶裂了怎么办？"])
    visitor_id: str = Field("", description="访客标识（超过64个字符的部分不用）")
    village: str = Field("", max_length=15, pattern=r"^([0-9]{6}([0-9]{3}){0,3})?$", description="村（社区）区划代码")
    top_k: Int = Field(5, description="返回的法条数（按1–20计）")


class CitationOut(Schema):
    law: str
    label: str
    number: int | None = None
    id: str
    url: str


class RankedOut(Schema):
    law: str
    label: str
    number: int | None = None
    id: str
    score: float


class AskOut(Schema):
    answer: str
    kind: Question.Kind
    citations: list[CitationOut]
    ranked: list[RankedOut]
    topic: str
    confidence: float
    handoff: bool
    handed_off: bool = Field(False, description="问题已转给法律工作者（机器人无法解答时自动转人工）")
    clarify_topics: list[str]


# --- answers that guide -------------------------------------------------------------------------------------------
class StepOut(Schema):
    label: str
    detail: str
    action: StepAction = Field(description="一键操作：mediation 申请调解，handoff 转人工，空为无")
    url: str = Field("", description="一键操作的链接（申请调解：桐解码网上申请，已预填纠纷类型和问题）")


class KindOut(Schema):
    kind: str
    summary: str
    office: str


class GuideOut(Schema):
    kinds: list[KindOut] = Field(description="纠纷类型，主要的在前（如工地受伤：劳动争议、损害赔偿）")
    steps: list[StepOut] = Field(description="下一步怎么办，按顺序")
    time_limits: list[str]
    evidence: list[str]
    offices: list[str] = Field(description="办理机构（各类型合并，不重复）")
    low_confidence: bool = Field(description="机器人没有把握：不给指引，建议转人工")


class GuidedAskOut(AskOut):
    conversation: str = Field(description="会话令牌（GET /consult/conversations/{token} 查看会话和人工答复）")
    question_id: int
    topics: list[str] = Field(description="适用的纠纷类型，主要的在前")
    guide: GuideOut


# --- conversations ------------------------------------------------------------------------------------------------
class CitedOut(CitationOut):
    excerpt: str


class HandoffStateOut(Schema):
    status: HandoffStatus
    reply: str
    replied_at: dt.datetime | None = None


class QuestionOut(Schema):
    id: int
    text: str
    kind: Question.Kind
    answer: list[str] = Field(description="机器人的回答（不含引用行和免责声明，分行）")
    topics: list[str]
    confidence: float
    guide: GuideOut
    citations: list[CitedOut]
    rating: str
    handoff: HandoffStateOut | None = None
    created_at: dt.datetime


class ConversationOut(Schema):
    token: str
    created_at: dt.datetime
    region_code: str | None = None
    disclaimer: str
    questions: list[QuestionOut]


class ConversationSummaryOut(Schema):
    token: str
    last_question: str
    asked_at: dt.datetime
    handoff: HandoffStatus | Literal[""] = Field(description="有人工答复时为 answered")


class AnswerRatingIn(Strict):
    useful: Bool


class HandoffRequestIn(Strict):
    phone: OptionalPhone = Field("", description="手机号（选填，答复后短信通知）")


# --- hand-off queue -----------------------------------------------------------------------------------------------
class RankedGuessOut(RankedOut):
    pass


class HandoffOut(Schema):
    id: int
    question: str
    topic: str
    region_code: str
    region_name: str
    status: HandoffStatus
    claimed_by: str | None = None
    claimed_at: dt.datetime | None = None
    reply: str
    replied_at: dt.datetime | None = None
    created_at: dt.datetime


class StaffQuestionOut(Schema):
    id: int
    text: str
    kind: Question.Kind
    answer: list[str]
    topics: list[str] = Field(description="机器人判断的纠纷类型")
    confidence: float
    citations: list[CitedOut]
    ranked: list[RankedOut] = Field(description="机器人检索到的法条（最佳猜测，按相关度）")
    rating: str


class HandoffDetailOut(HandoffOut):
    thread: list[StaffQuestionOut]


class HandoffReplyIn(Strict):
    text: str = Field(..., min_length=1, max_length=5000)


# --- FAQ, rewrites --------------------------------------------------------------------------------------------------
class FaqIn(Strict):
    question: str = Field(..., min_length=1, max_length=300)
    answer: str = Field(..., min_length=1, max_length=5000)
    citations: list[str] = Field(..., description="引用法条：民法典-1079、民法典第1079条、《中华人民共和国民法典》第一千零七十九条")
    variants: list[str] = Field(default_factory=list)
    topic: str = Field("", max_length=20)
    audience: str = Field("村民", max_length=60)
    valid_until: IsoDate | None = None


class FaqOut(Schema):
    id: int
    question: str
    variants: list[str]
    answer: str
    citations: list[str]
    topic: str
    audience: str
    version: int
    author: str | None = None
    reviewer: str | None = None
    reviewed_at: dt.datetime | None = None
    valid_until: dt.date | None = None
    servable: bool


class FaqCandidateOut(Schema):
    topic: str
    article: str
    count: int
    examples: list[str]


class RewriteIn(Strict):
    phrase: str = Field(..., min_length=1, max_length=60)
    terms: str = Field(..., min_length=1, max_length=200)
    is_active: Bool = True


class RewriteEditIn(Strict):
    terms: str = Field(..., min_length=1, max_length=200)
    is_active: Bool = True


class RewriteOut(Schema):
    id: int
    phrase: str
    terms: str
    is_active: bool
    updated_at: dt.datetime


# --- guidance -------------------------------------------------------------------------------------------------------
class GuidanceStepIn(Strict):
    label: str = Field(..., max_length=30)
    detail: str = Field("", max_length=300)
    action: StepAction = StepAction.NONE


class GuidanceIn(Strict):
    summary: str = Field("", max_length=500)
    steps: list[GuidanceStepIn] = Field(..., min_length=1, max_length=12)
    time_limits: list[str] = Field(default_factory=list, max_length=12)
    evidence: list[str] = Field(default_factory=list, max_length=15)
    office: str = Field("", max_length=300)


class GuidanceStepOut(Schema):
    label: str
    detail: str
    action: StepAction


class GuidanceOut(Schema):
    kind: str
    summary: str
    steps: list[GuidanceStepOut]
    time_limits: list[str]
    evidence: list[str]
    office: str
    version: int
    updated_by: str | None = None
    updated_at: dt.datetime


# --- demand dashboard -----------------------------------------------------------------------------------------------
class TownRowOut(Schema):
    town: str
    total: int
    cells: list[int] = Field(description="各主题列的问题数（与 topics 对应）")


class WeekRowOut(Schema):
    week: dt.date
    values: list[int]
    total: int


class RisingOut(Schema):
    topic: str
    this_week: int
    prev_avg: float
    change: float
    ratio: float | None = None
    new: bool


class TopQuestionOut(Schema):
    text: str
    count: int


class DemandDashboardOut(Schema):
    total: int
    handoffs: int
    handoff_rate: float
    unanswered: int
    unanswered_rate: float
    useful: int
    useless: int
    open_handoffs: int
    topics: list[str] = Field(description="主题列（最常问的在前，其余合为“其他”）")
    towns: list[TownRowOut]
    town_totals: list[int]
    weeks: list[WeekRowOut]
    rising: list[RisingOut]
    top_questions: list[TopQuestionOut]


# --- laws -----------------------------------------------------------------------------------------------------------
class LawOut(Schema):
    id: int
    title: str
    short: str
    category: str
    version_date: dt.date | None = None
    status: LawStatus


class ArticleBriefOut(Schema):
    id: str = Field(description="条文编号（语料库 id），如 民法典-1079")
    law: str
    label: str
    number: int
    excerpt: str
    url: str


class ArticleOut(Schema):
    id: str
    law: str
    short: str
    label: str
    number: int
    part: str
    chapter: str
    section: str
    text: str
    version_date: dt.date | None = None
    is_current: bool
    url: str
