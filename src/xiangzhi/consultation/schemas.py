from __future__ import annotations

from ninja import Schema

from xiangzhi.core.schemas import TextIn


class AskIn(TextIn):
    question: str
    visitor_id: str = ""
    village: str = ""
    top_k: int = 5


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
    kind: str
    citations: list[CitationOut]
    ranked: list[RankedOut]
    topic: str
    confidence: float
    handoff: bool
    clarify_topics: list[str]
