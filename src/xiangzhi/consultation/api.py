"""/api/v1/consult: the same services and selectors as the chat page and the consultation workbench — asking, a
villager's conversations, the hand-off queue, FAQ and the rewriting table, the guidance per kind of matter, the demand
dashboard and its export, and the law articles. No business rules here."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Query, Router, Status

from xiangzhi.core import rules as core_rules
from xiangzhi.core.api_auth import PUBLIC
from xiangzhi.core.crypto import blind_index
from xiangzhi.core.middleware import client_ip
from xiangzhi.core.models import Region
from xiangzhi.core.pagination import PageIn, page_of, paginate
from xiangzhi.core.schemas import ErrorOut

from . import guidance, rules, selectors, services
from .models import Article, Channel, FaqEntry, Handoff, HandoffStatus, MatterGuidance, Question, Rewrite
from .schemas import (
    AnswerRatingIn,
    ArticleBriefOut,
    ArticleOut,
    AskIn,
    CitedOut,
    ConversationOut,
    ConversationSummaryOut,
    DemandDashboardOut,
    FaqCandidateOut,
    FaqIn,
    FaqOut,
    GuidanceIn,
    GuidanceOut,
    GuidedAskOut,
    HandoffDetailOut,
    HandoffOut,
    HandoffReplyIn,
    HandoffRequestIn,
    HandoffStateOut,
    LawOut,
    QuestionOut,
    RewriteEditIn,
    RewriteIn,
    RewriteOut,
    StaffQuestionOut,
)

router = Router(tags=["consultation 智能咨询"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _legal_worker(request: HttpRequest):  # noqa: ANN202
    if not rules.is_legal_worker(request.auth):
        raise Http404
    return request.auth


def _guide_out(g: guidance.Guide) -> dict:
    return {"kinds": g.kinds, "steps": [guidance.step_out(s) for s in g.steps], "time_limits": g.time_limits,
            "evidence": g.evidence, "offices": g.offices, "low_confidence": g.low_confidence}


# --- asking and a villager's conversations ------------------------------------------------------------------------
@router.post("/ask", response={200: GuidedAskOut, 422: ErrorOut, 429: ErrorOut}, auth=None, openapi_extra=PUBLIC,
             summary="提问（与咨询页相同：纠纷类型、下一步怎么办、时限和证据、法条）")
def ask(request: HttpRequest, payload: AskIn) -> dict:
    """Ask the robot. Rate-limited per visitor id (or per client address when none is given)."""
    # A keyed hash, not a plain one: 2^32 IPv4 addresses are quickly tried against sha256(ip), which would make the
    # stored id a raw IP; only security logs keep raw addresses.
    visitor_id = payload.visitor_id[:64] or "ip-" + blind_index(client_ip(request) or "", purpose="consult-visitor")[:24]
    region = Region.objects.filter(code=payload.village).first() if payload.village else None
    reply = services.ask(payload.question, visitor=services.Visitor(visitor_id=visitor_id, region=region),
                         channel=Channel.API, top_k=max(1, min(payload.top_k, 20)))
    q = reply.question
    return {
        "answer": reply.answer, "kind": reply.kind,
        "citations": [{k: c[k] for k in ("law", "label", "number", "id", "url")} for c in reply.citations],
        "ranked": reply.ranked, "topic": reply.topic, "confidence": reply.confidence, "handoff": reply.handoff,
        "handed_off": reply.handed_off, "clarify_topics": reply.clarify_topics, "conversation": q.conversation.token,
        "question_id": q.pk, "topics": q.topics, "guide": _guide_out(guidance.guide_for(q)),
    }


def _questions_out(questions: list[Question]) -> list[QuestionOut]:
    cited = selectors.cited_articles(questions)
    guides = guidance.guides_for(questions)
    out = []
    for q in questions:
        h = getattr(q, "handoff", None) if hasattr(q, "handoff") else None
        out.append(QuestionOut(
            id=q.pk, text=q.text, kind=q.kind, answer=selectors.answer_lines(q), topics=guidance.kinds_of(q),
            confidence=q.confidence, guide=_guide_out(guides[q.pk]), citations=[CitedOut(**c) for c in cited[q.pk]],
            rating=q.rating, created_at=q.created_at,
            handoff=HandoffStateOut(status=h.status, reply=h.reply, replied_at=h.replied_at) if h else None))
    return out


@router.get("/conversations/{token}", auth=None, openapi_extra=PUBLIC, response={200: ConversationOut, **ERRORS},
            summary="公开：凭会话令牌查看会话（各问题的解答、指引、法条和人工答复）")
def get_conversation(request: HttpRequest, token: str):  # noqa: ARG001
    conv = selectors.conversation_by_token(token)
    questions = list(conv.questions.select_related("handoff", "conversation__region").order_by("pk"))
    return ConversationOut(token=conv.token, created_at=conv.created_at,
                           region_code=conv.region.code if conv.region_id else None,
                           disclaimer=services.DISCLAIMER, questions=_questions_out(questions))


def _question_of(token: str, question_id: int) -> Question:
    conv = selectors.conversation_by_token(token)
    return get_object_or_404(Question.objects.select_related("conversation"), pk=question_id, conversation=conv)


@router.post("/conversations/{token}/questions/{question_id}/rating", auth=None, openapi_extra=PUBLIC,
             response={200: QuestionOut, **ERRORS}, summary="公开：评价一条解答（有用/没用）")
def rate(request: HttpRequest, token: str, question_id: int, payload: AnswerRatingIn):  # noqa: ARG001
    q = services.rate_answer(_question_of(token, question_id), useful=payload.useful)
    return _questions_out([q])[0]


@router.post("/conversations/{token}/questions/{question_id}/handoff", auth=None, openapi_extra=PUBLIC,
             response={201: HandoffStateOut, **ERRORS}, summary="公开：转人工（律师或司法所工作人员答复，留手机号则短信通知）")
def request_handoff(request: HttpRequest, token: str, question_id: int, payload: HandoffRequestIn):  # noqa: ARG001
    h = services.request_handoff(_question_of(token, question_id), phone=payload.phone)
    return Status(201, HandoffStateOut(status=h.status, reply=h.reply, replied_at=h.replied_at))


@router.get("/conversations", response={200: page_of(ConversationSummaryOut), **ERRORS},
            summary="群众（手机验证登录）：我的法律咨询（最新在前）")
def my_conversations(request: HttpRequest, page: Query[PageIn]):
    if not core_rules.is_citizen(request.auth):
        raise Http404
    return paginate(request, selectors.consultations_of_citizen(request.auth, limit=None), page,
                    lambda c: ConversationSummaryOut(token=c["conversation"].token, last_question=c["question"].text,
                                                     asked_at=c["question"].created_at, handoff=c["handoff"]))


# --- the hand-off queue -----------------------------------------------------------------------------------------
def _handoff_out(h: Handoff) -> dict:
    return {"id": h.pk, "question": h.question.text, "topic": h.topic, "region_code": h.region.code,
            "region_name": h.region.name, "status": h.status,
            "claimed_by": (h.claimed_by.display_name or h.claimed_by.username) if h.claimed_by_id else None,
            "claimed_at": h.claimed_at, "reply": h.reply, "replied_at": h.replied_at, "created_at": h.created_at}


def _handoff_detail(user, pk: int) -> HandoffDetailOut:  # noqa: ANN001
    h = selectors.access_handoff(user, pk)
    questions = list(h.conversation.questions.order_by("pk"))
    cited = selectors.cited_articles(questions)
    thread = [StaffQuestionOut(id=q.pk, text=q.text, kind=q.kind, answer=selectors.answer_lines(q),
                               topics=guidance.kinds_of(q), confidence=q.confidence, ranked=q.ranked, rating=q.rating,
                               citations=[CitedOut(**c) for c in cited[q.pk]]) for q in questions]
    return HandoffDetailOut(**_handoff_out(h), thread=thread)


@router.get("/handoffs", response={200: page_of(HandoffOut), **ERRORS},
            summary="转人工队列（管辖范围内；按状态筛选，最早的在前）")
def list_handoffs(request: HttpRequest, page: Query[PageIn], status: HandoffStatus | None = None,
                  mine: bool = False):
    user = _legal_worker(request)
    rows = selectors.handoffs_visible_to(user)
    if status:
        rows = rows.filter(status=status)
    if mine:
        rows = rows.filter(claimed_by=user)
    return paginate(request, rows.order_by("created_at", "pk"), page, _handoff_out)


@router.get("/handoffs/{handoff_id}", response={200: HandoffDetailOut, **ERRORS},
            summary="一条转人工咨询：会话和机器人的最佳猜测（纠纷类型、检索到的法条）")
def get_handoff(request: HttpRequest, handoff_id: int):
    return _handoff_detail(_legal_worker(request), handoff_id)


@router.post("/handoffs/{handoff_id}/claim", response={200: HandoffDetailOut, **ERRORS},
             summary="认领（先到先得，只有一人认领成功，其余 409 ALREADY_CLAIMED）")
def claim(request: HttpRequest, handoff_id: int):
    user = _legal_worker(request)
    services.claim_handoff(selectors.access_handoff(user, handoff_id), actor=user)
    return _handoff_detail(user, handoff_id)


@router.post("/handoffs/{handoff_id}/reply", response={200: HandoffDetailOut, **ERRORS},
             summary="答复（认领人；群众收到短信或站内通知）")
def reply(request: HttpRequest, handoff_id: int, payload: HandoffReplyIn):
    user = _legal_worker(request)
    services.reply_handoff(selectors.access_handoff(user, handoff_id), text=payload.text, actor=user)
    return _handoff_detail(user, handoff_id)


def _faq_out(f: FaqEntry) -> dict:
    return {"id": f.pk, "question": f.question, "variants": f.variants, "answer": f.answer, "citations": f.citations,
            "topic": f.topic, "audience": f.audience, "version": f.version,
            "author": (f.author.display_name or f.author.username) if f.author_id else None,
            "reviewer": (f.reviewer.display_name or f.reviewer.username) if f.reviewer_id else None,
            "reviewed_at": f.reviewed_at, "valid_until": f.valid_until, "servable": f.is_servable}


@router.post("/handoffs/{handoff_id}/faq", response={201: FaqOut, **ERRORS},
             summary="把答复转为常见问答（待其他法律工作者审核）")
def faq_from_reply(request: HttpRequest, handoff_id: int):
    user = _legal_worker(request)
    return Status(201, _faq_out(services.faq_from_reply(selectors.access_handoff(user, handoff_id), actor=user)))


# --- FAQ and the rewriting table ----------------------------------------------------------------------------------
@router.get("/faqs", response={200: page_of(FaqOut), **ERRORS}, summary="常见问答（最近修改的在前）")
def list_faqs(request: HttpRequest, page: Query[PageIn]):
    return paginate(request, selectors.faqs_for(_legal_worker(request)), page, _faq_out)


@router.post("/faqs", response={201: FaqOut, **ERRORS}, summary="新增常见问答（须由另一位法律工作者审核后生效）")
def create_faq(request: HttpRequest, payload: FaqIn):
    user = _legal_worker(request)
    faq = services.save_faq(None, question=payload.question, answer=payload.answer, citations=payload.citations,
                            variants=payload.variants, topic=payload.topic, audience=payload.audience,
                            valid_until=payload.valid_until, actor=user)
    return Status(201, _faq_out(faq))


@router.get("/faqs/{faq_id}", response={200: FaqOut, **ERRORS}, summary="一条常见问答")
def get_faq(request: HttpRequest, faq_id: int):
    return _faq_out(selectors.access_faq(_legal_worker(request), faq_id))


@router.put("/faqs/{faq_id}", response={200: FaqOut, **ERRORS}, summary="修改常见问答（版本加一，须重新审核）")
def edit_faq(request: HttpRequest, faq_id: int, payload: FaqIn):
    user = _legal_worker(request)
    faq = services.save_faq(selectors.access_faq(user, faq_id), question=payload.question, answer=payload.answer,
                            citations=payload.citations, variants=payload.variants, topic=payload.topic,
                            audience=payload.audience, valid_until=payload.valid_until, actor=user)
    return _faq_out(faq)


@router.post("/faqs/{faq_id}/review", response={200: FaqOut, **ERRORS}, summary="审核通过（不能审核自己编写的）")
def review_faq(request: HttpRequest, faq_id: int):
    user = _legal_worker(request)
    return _faq_out(services.review_faq(selectors.access_faq(user, faq_id), actor=user))


@router.get("/faq-candidates", response={200: page_of(FaqCandidateOut), **ERRORS},
            summary="建议新增的常见问答（重复出现、未能解答的问题）")
def faq_candidates(request: HttpRequest, page: Query[PageIn]):
    _legal_worker(request)
    return paginate(request, selectors.faq_candidates(), page)


def _rewrite_out(r: Rewrite) -> dict:
    return {"id": r.pk, "phrase": r.phrase, "terms": r.terms, "is_active": r.is_active, "updated_at": r.updated_at}


@router.get("/rewrites", response={200: page_of(RewriteOut), **ERRORS}, summary="口语改写表（按口语说法查找）")
def list_rewrites(request: HttpRequest, page: Query[PageIn], q: str = Query("", max_length=60)):
    return paginate(request, selectors.rewrites_for(_legal_worker(request), q.strip()), page, _rewrite_out)


@router.post("/rewrites", response={200: RewriteOut, **ERRORS}, summary="新增或修改一行口语改写（按口语说法；下一个问题即生效）")
def save_rewrite(request: HttpRequest, payload: RewriteIn):
    user = _legal_worker(request)
    return _rewrite_out(services.save_rewrite(phrase=payload.phrase, terms=payload.terms,
                                              is_active=payload.is_active, actor=user))


@router.put("/rewrites/{rewrite_id}", response={200: RewriteOut, **ERRORS}, summary="修改一行口语改写（法律用语、启用）")
def edit_rewrite(request: HttpRequest, rewrite_id: int, payload: RewriteEditIn):
    user = _legal_worker(request)
    row = selectors.access_rewrite(user, rewrite_id)
    return _rewrite_out(services.save_rewrite(phrase=row.phrase, terms=payload.terms, is_active=payload.is_active,
                                              actor=user))


# --- guidance per kind of matter ----------------------------------------------------------------------------------
def _guidance_out(g: MatterGuidance) -> dict:
    return {"kind": g.kind, "summary": g.summary, "steps": g.steps, "time_limits": g.time_limits,
            "evidence": g.evidence, "office": g.office, "version": g.version, "updated_at": g.updated_at,
            "updated_by": (g.updated_by.display_name or g.updated_by.username) if g.updated_by_id else None}


@router.get("/guidance", auth=None, openapi_extra=PUBLIC, response={200: page_of(GuidanceOut), **ERRORS},
            summary="公开：各类纠纷的办事指引（下一步怎么办、时限、证据、办理机构）")
def list_guidance(request: HttpRequest, page: Query[PageIn]):
    return paginate(request, list(selectors.guidance_by_kind().values()), page, _guidance_out)


@router.get("/guidance/{kind}", auth=None, openapi_extra=PUBLIC, response={200: GuidanceOut, **ERRORS},
            summary="公开：一类纠纷的办事指引")
def get_guidance(request: HttpRequest, kind: str):  # noqa: ARG001
    g = selectors.guidance_by_kind().get(kind)
    if g is None:
        raise Http404
    return _guidance_out(g)


@router.put("/guidance/{kind}", response={200: GuidanceOut, **ERRORS},
            summary="修改一类纠纷的办事指引（县司法局、矛调中心、司法所工作人员；即刻生效）")
def edit_guidance(request: HttpRequest, kind: str, payload: GuidanceIn):
    if not rules.can_edit_guidance(request.auth):
        raise Http404
    steps = [services.GuidanceStep(label=s.label, detail=s.detail, action=s.action) for s in payload.steps]
    g = services.save_guidance(kind, summary=payload.summary, steps=steps, time_limits=payload.time_limits,
                               evidence=payload.evidence, office=payload.office, actor=request.auth)
    return _guidance_out(g)


# --- demand dashboard ---------------------------------------------------------------------------------------------
def _dashboard_user(request: HttpRequest):  # noqa: ANN202
    if not rules.can_see_dashboard(request.auth):
        raise Http404
    return request.auth


@router.get("/dashboard", response={200: DemandDashboardOut, **ERRORS},
            summary="咨询需求分析（近8周；管辖范围内：各镇×主题、按周、上升主题、热门问题）")
def dashboard(request: HttpRequest):
    d = selectors.demand_dashboard(_dashboard_user(request))
    m = d["matrix"]
    return {**{k: d[k] for k in ("total", "handoffs", "handoff_rate", "unanswered", "unanswered_rate", "useful",
                                 "useless", "open_handoffs", "rising")},
            "topics": m["topics"], "town_totals": m["totals"],
            "towns": [{"town": r["town"], "total": r["total"], "cells": [n for n, _heat in r["cells"]]} for r in m["rows"]],
            "weeks": d["weekly"]["rows"], "top_questions": [{"text": t, "count": n} for t, n in d["top_questions"]]}


@router.get("/dashboard/export.xlsx", response={200: None, **ERRORS},
            openapi_extra={"responses": {200: {"description": "咨询需求分析 Excel", "content": {
                XLSX: {"schema": {"type": "string", "format": "binary"}}}}}},
            summary="导出咨询需求分析（.xlsx；群众的问题原样作为文本写入，不会成为公式）")
def dashboard_export(request: HttpRequest):
    return HttpResponse(services.export_demand(_dashboard_user(request)), content_type=XLSX)


# --- laws -----------------------------------------------------------------------------------------------------------
def _law_out(law) -> dict:  # noqa: ANN001
    return {"id": law.pk, "title": law.title, "short": law.short, "category": law.category,
            "version_date": law.version_date, "status": law.status}


def _article_brief(a: Article) -> dict:
    return {"id": a.key, "law": a.law.title, "label": a.label, "number": a.number,
            "excerpt": selectors.excerpt(a.text), "url": reverse("consultation:article", args=[a.key])}


@router.get("/laws", auth=None, openapi_extra=PUBLIC, response={200: page_of(LawOut), **ERRORS},
            summary="公开：现行法律法规（按名称查找）")
def list_laws(request: HttpRequest, page: Query[PageIn], q: str = Query("", max_length=100)):
    return paginate(request, selectors.laws_matching(q.strip()), page, _law_out)


@router.get("/articles", auth=None, openapi_extra=PUBLIC, response={200: page_of(ArticleBriefOut), **ERRORS},
            summary="公开：一部法律的现行条文（按条号；可按条文内容查找）")
def list_articles(request: HttpRequest, page: Query[PageIn], law: str = Query(..., min_length=1, max_length=200),
                  q: str = Query("", max_length=100)):
    return paginate(request, selectors.articles_of_law(law.strip(), q.strip()), page, _article_brief)


@router.get("/articles/{key}", auth=None, openapi_extra=PUBLIC, response={200: ArticleOut, **ERRORS},
            summary="公开：按条文编号（语料库 id，如 民法典-1079）查看条文（现行版本，否则最新版本）")
def get_article(request: HttpRequest, key: str):  # noqa: ARG001
    a = selectors.article_by_key(key)
    return {"id": a.key, "law": a.law.title, "short": a.law.short, "label": a.label, "number": a.number,
            "part": a.part, "chapter": a.chapter, "section": a.section, "text": a.text, "version_date": a.version_date,
            "is_current": a.is_current, "url": reverse("consultation:article", args=[a.key])}
