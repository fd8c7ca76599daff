from __future__ import annotations

from ninja import Schema
from pydantic import Field

from xiangzhi.core.schemas import Int, TextIn

from .models import Question


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
