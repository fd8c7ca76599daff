"""智能咨询: every write of the consultation robot. Loading laws, the FAQ and rewriting tables, answering questions
(with citations, clarification and hand-off), hand-off claims and replies, and the visit log.

The retrieval engine is loaded once per process from ``<DATA_DIR>/consult-cache`` (built from the database's current
articles when missing). FAQ entries and the rewriting table are re-applied whenever their version in the database
changes, so edits in the workbench take effect without a restart.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import secrets
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone

from xiangzhi.core import services as core_services
from xiangzhi.core.crypto import blind_index
from xiangzhi.core.enums import NotificationStatus, Role
from xiangzhi.core.errors import Conflict, ValidationFailed
from xiangzhi.core.models import Membership, Notification, Region, User
from xiangzhi.core.personal import mask_text

from .models import (
    Article,
    Channel,
    Conversation,
    Event,
    FaqEntry,
    Handoff,
    HandoffStatus,
    Law,
    LawStatus,
    Question,
    Rewrite,
)
from .rules import LEGAL_ROLES

MAX_QUESTION_CHARS = 2000
RATE_LIMIT = (20, 60)  # questions per visitor per minute
CITED_PREFIX = "相关规定："  # the answer's line naming the cited articles (the chat page lists them with excerpts)
DISCLAIMER = "以上为法律信息，供您参考，不是律师对您个案的法律意见；具体问题请咨询律师或当地司法所。"
DISPUTE_TOPICS = {"婚姻家庭", "邻里", "房屋宅基地", "合同", "借贷", "损害赔偿", "山林土地", "劳动争议", "消费",
                  "道路交通事故", "物业", "继承", "生产经营"}
ABUSIVE = ("傻逼", "傻b", "煞笔", "操你", "草你", "妈的", "去死", "滚蛋", "王八蛋", "狗日", "fuck", "shit")
_CJK = re.compile(r"[\u4e00-\u9fff]")
REJECT_REPLIES = {
    "empty": "请输入您想咨询的问题，例如：“邻居家的树根把我家院墙顶裂了怎么办？”",
    "too_long": "问题太长了（不超过 2000 字）。请用几句话说明发生了什么、您想知道什么。",
    "non_chinese": "请用中文描述您的问题，我们会为您查找相关法律规定。",
    "abusive": "理解您可能很着急。请平和地描述遇到的问题，我们会尽力帮您查找相关规定，也可以转人工咨询。",
}


# ----------------------------------------------------------------------------------------------------------------
# Knowledge base: laws and articles
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class LoadStats:
    laws_created: int = 0
    laws_skipped: int = 0
    laws_superseded: int = 0
    articles_created: int = 0


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _read_records(path: str | Path):
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_laws(path: str | Path, *, actor: User | None, batch_size: int = 2000) -> LoadStats:
    """Load ``articles.jsonl(.gz)``. Idempotent: a law version already present is skipped. A newer version of a law
    supersedes the current one (status amended, its articles is_current False; kept as history).

    Side effects: Law and Article rows (bulk, in batches); one audit row; the FAQ/engine version is unchanged
    (rebuild the index with ``xiangzhi consult_index``)."""
    by_law: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for rec in _read_records(path):
        by_law[(rec["law"], rec.get("date") or "")].append(rec)
    existing = {(t, d.isoformat() if d else ""): pk for pk, t, d in Law.objects.values_list("pk", "title", "version_date")}
    stats = LoadStats()
    pending: list[Article] = []
    with transaction.atomic():
        for (title, date), recs in sorted(by_law.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            if (title, date) in existing:
                stats.laws_skipped += 1
                continue
            first = recs[0]
            version = _date(date)
            current = Law.objects.filter(title=title, is_current=True).first()
            is_newest = current is None or (version and (current.version_date is None or version > current.version_date))
            law = Law.objects.create(
                title=title, short=first.get("short") or title, category=first.get("category") or "",
                province=first.get("province") or "", version_date=version, is_current=bool(is_newest),
                status=LawStatus.IN_FORCE if is_newest else LawStatus.AMENDED,
            )
            if current is not None and is_newest:
                Law.objects.filter(pk=current.pk).update(status=LawStatus.AMENDED, superseded_by=law, is_current=False)
                Article.objects.filter(law=current).update(is_current=False)
                stats.laws_superseded += 1
            elif current is not None:
                law.superseded_by = current
                law.save(update_fields=["superseded_by"])
            stats.laws_created += 1
            for rec in recs:
                pending.append(Article(
                    key=rec["id"], law=law, label=rec.get("label") or "", number=rec.get("number") or 0,
                    suffix=rec.get("suffix") or "", part=rec.get("part") or "", chapter=rec.get("chapter") or "",
                    section=rec.get("section") or "", text=rec.get("text") or "", version_date=version,
                    is_current=bool(is_newest),
                ))
                if len(pending) >= batch_size:
                    Article.objects.bulk_create(pending, batch_size=batch_size)
                    stats.articles_created += len(pending)
                    pending = []
        if pending:
            Article.objects.bulk_create(pending, batch_size=batch_size)
            stats.articles_created += len(pending)
        core_services.audit("consultation.load_laws", actor=actor, object_type="consultation.law",
                            after=stats.__dict__, note=str(path)[-300:])
    return stats


def mark_law(law: Law, *, status: str, actor: User | None, superseded_by: Law | None = None) -> Law:
    """Mark a law repealed or amended (an administrator's decision). Its articles stop being served.

    Side effects: Law and Article rows updated; one audit row."""
    if status not in LawStatus.values:
        raise ValidationFailed("INVALID_STATUS", "效力状态不正确。", {"status": status})
    before = law.status
    with transaction.atomic():
        law.status = status
        law.superseded_by = superseded_by or law.superseded_by
        law.is_current = status == LawStatus.IN_FORCE
        law.save(update_fields=["status", "superseded_by", "is_current", "updated_at"])
        Article.objects.filter(law=law).update(is_current=law.is_current)
        core_services.audit("consultation.mark_law", actor=actor, obj=law, before={"status": before},
                            after={"status": status})
    return law


def current_articles() -> list[dict[str, Any]]:
    """The current articles as the engine's slim dicts."""
    rows = Article.objects.filter(is_current=True).select_related("law").order_by("law_id", "pk")
    return [
        {"id": a.key, "law": a.law.title, "short": a.law.short, "category": a.law.category, "part": a.part or None,
         "chapter": a.chapter or None, "section": a.section or None, "label": a.label, "number": a.number,
         "text": a.text}
        for a in rows.iterator(chunk_size=5000)
    ]


# ----------------------------------------------------------------------------------------------------------------
# The engine: one per process, FAQ and rewrites re-applied when their database version changes
# ----------------------------------------------------------------------------------------------------------------
_lock = threading.Lock()
_state: dict[str, Any] = {"engine": None, "kb_version": None}


def cache_dir() -> Path:
    return Path(settings.CONSULT_CACHE_DIR or settings.DATA_DIR / "consult-cache")


def training_questions() -> list[dict] | None:
    """STARD training questions (``XIANGZHI_STARD_TRAIN`` or ``SHARED_DIR/data/stard/train.jsonl``), if present."""
    path = Path(settings.XIANGZHI_STARD_TRAIN or settings.SHARED_DIR / "data/stard/train.jsonl")
    if not path.exists():
        return None
    from .retrieval import load_questions

    return load_questions(path)


def build_index(*, questions: list[dict] | None = None, use_training: bool = True):  # noqa: ANN201
    """(Re)build the engine from the current articles into the cache directory and use it in this process."""
    from .retrieval import Engine

    articles = current_articles()
    if not articles:
        raise ValidationFailed("NO_ARTICLES", "知识库中还没有法条，请先运行 xiangzhi load_laws。")
    if questions is None and use_training:
        questions = training_questions()
    if questions:
        known = {a["id"] for a in articles}
        questions = [q for q in questions if any(r in known for r in q.get("relevant", []))] or None
    engine = Engine.build(articles, cache_dir=cache_dir(), questions=questions)
    set_engine(engine)
    return engine


def set_engine(engine) -> None:  # noqa: ANN001
    with _lock:
        _state["engine"] = engine
        _state["kb_version"] = None


def _kb_version() -> tuple:
    faq = FaqEntry.objects.aggregate(n=Count("pk"), t=Max("updated_at"))
    rw = Rewrite.objects.aggregate(n=Count("pk"), t=Max("updated_at"))
    return (faq["n"], faq["t"], rw["n"], rw["t"], timezone.localdate())


def servable_faqs():  # noqa: ANN201
    today = timezone.localdate()
    from django.db.models import Q

    return FaqEntry.objects.filter(reviewed_at__isnull=False).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))


def get_engine():  # noqa: ANN201
    """The process's engine, with the database's FAQ entries and rewriting table applied."""
    engine = _state["engine"]
    if engine is None:
        from .retrieval import Engine

        with _lock:
            engine = _state["engine"]
            if engine is None:
                try:
                    engine = Engine.load(cache_dir())
                except (FileNotFoundError, OSError):
                    engine = None
                _state["engine"] = engine
        if engine is None:
            engine = build_index()
    version = _kb_version()
    if _state["kb_version"] != version:
        with _lock:
            engine.set_rewrites(list(Rewrite.objects.filter(is_active=True).values_list("phrase", "terms")))
            engine.set_faqs([
                {"id": str(f.pk), "question": f.question, "variants": f.variants, "answer": f.answer,
                 "citations": f.citations, "topic": f.topic}
                for f in servable_faqs()
            ])
            _state["kb_version"] = version
    return engine


# ----------------------------------------------------------------------------------------------------------------
# Asking
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class Visitor:
    """Who asks: an anonymous visitor id (cookie) and/or a citizen account, where, through which channel."""

    visitor_id: str
    citizen: User | None = None
    region: Region | None = None


@dataclass
class Reply:
    question: Question
    answer: str
    kind: str
    citations: list[dict] = field(default_factory=list)
    ranked: list[dict] = field(default_factory=list)
    topic: str = ""
    confidence: float = 0.0
    handoff: bool = False
    clarify_topics: list[str] = field(default_factory=list)
    dispute_link: str = ""


def new_visitor_id() -> str:
    return secrets.token_urlsafe(18)


def check_question(text: str) -> str | None:
    """The reason a question cannot be answered (empty, too_long, non_chinese, abusive) or None."""
    text = (text or "").strip()
    if not text:
        return "empty"
    if len(text) > MAX_QUESTION_CHARS:
        return "too_long"
    if not _CJK.search(text):
        return "non_chinese"
    low = text.lower()
    if any(w in low for w in ABUSIVE):
        return "abusive"
    return None


def _conversation(visitor: Visitor, channel: str) -> Conversation:
    conv = Conversation.objects.filter(visitor_id=visitor.visitor_id).order_by("-pk").first()
    if conv is None:
        conv = Conversation.objects.create(
            token=secrets.token_urlsafe(16), visitor_id=visitor.visitor_id, citizen=visitor.citizen,
            region=visitor.region, channel=channel,
        )
    else:
        changed = []
        if visitor.region is not None and conv.region_id != visitor.region.pk:
            conv.region = visitor.region
            changed.append("region")
        if visitor.citizen is not None and conv.citizen_id is None:
            conv.citizen = visitor.citizen
            changed.append("citizen")
        if changed:
            conv.save(update_fields=changed)
    return conv


def _codes(region: Region | None) -> tuple[str, str]:
    """(town code, village code) of a region."""
    if region is None:
        return "", ""
    code = region.code
    if len(code) >= 12:
        return code[:9], code[:12]
    if len(code) >= 9:
        return code[:9], ""
    return "", ""


def record_event(kind: str, *, conversation: Conversation | None = None, visitor: Visitor | None = None,
                 channel: str = Channel.PHONE, question: Question | None = None, topic: str = "",
                 article_key: str = "", value: str = "") -> Event:
    """Append one visit event (no raw IP, only the visitor id, citizen and region codes)."""
    region = conversation.region if conversation else (visitor.region if visitor else None)
    town, village = _codes(region)
    return Event.objects.create(
        kind=kind, visitor_id=(conversation.visitor_id if conversation else (visitor.visitor_id if visitor else "")),
        citizen=(conversation.citizen if conversation else (visitor.citizen if visitor else None)),
        town_code=town, village_code=village, channel=conversation.channel if conversation else channel,
        topic=topic or (question.topic if question else ""), question=question, article_key=article_key, value=value,
    )


def article_url(key: str) -> str:
    return reverse("consultation:article", args=[key])


def _citations(keys: list[str]) -> list[dict]:
    found = {a.key: a for a in Article.objects.filter(key__in=keys, is_current=True).select_related("law")}
    out = []
    for key in keys:
        art = found.get(key)
        if art is not None:
            out.append({"law": art.law.title, "short": art.law.short, "label": art.label, "number": art.number,
                        "id": art.key, "url": article_url(art.key), "text": art.text})
    return out


def dispute_link(topic: str, question: str) -> str:
    """The 申请调解 link pre-filled with the question, when the topic looks like a dispute and the page exists."""
    if topic not in DISPUTE_TOPICS:
        return ""
    from urllib.parse import urlencode

    from django.urls import NoReverseMatch

    try:
        base = reverse("disputes:apply")
    except NoReverseMatch:
        return ""
    return base + "?" + urlencode({"description": question[:500], "type": topic})


def ask(question: str, *, visitor: Visitor, channel: str = Channel.PHONE, region: Region | None = None,
        top_k: int = 5) -> Reply:
    """Answer one question: FAQ or retrieved articles, always with ≥ 1 citation and the legal-information notice;
    a clarifying question (2–3 topics) when unsure, then the offer of a human.

    Side effects: rate counters (RateLimited after RATE_LIMIT per visitor, and after
    ``XIANGZHI_RATE_LIMIT_CONSULT_PER_ADDRESS_PER_MINUTE`` per client address, which a new visitor id does not
    escape); a Conversation (first time); a Question row with the masked text; events ``question`` and ``answer``
    (or ``rejected``)."""
    core_services.check_rate(f"consult:{visitor.visitor_id}", limit=RATE_LIMIT[0], window_seconds=RATE_LIMIT[1])
    address = core_services.current_ip.get()
    if address:  # a request (page or API); the address kept only as a keyed hash, like the visitor ids
        core_services.check_rate(f"consult-ip:{blind_index(address, purpose='consult-rate')[:32]}",
                                 limit=settings.XIANGZHI_RATE_LIMIT_CONSULT_PER_ADDRESS_PER_MINUTE, window_seconds=60)
    if region is not None:
        visitor.region = region
    text = mask_text((question or "").strip())
    conv = _conversation(visitor, channel)
    reason = check_question(text)
    if reason:
        q = Question.objects.create(conversation=conv, text=text[:MAX_QUESTION_CHARS], kind=Question.Kind.REJECTED,
                                    reason=reason, answer=REJECT_REPLIES[reason])
        record_event(Event.Kind.REJECTED, conversation=conv, question=q, value=reason)
        return Reply(question=q, answer=q.answer, kind=q.kind, handoff=False)

    ans = get_engine().answer(text, top_k=top_k)
    ranked_ids = [aid for aid, _s in ans.ranked]
    faq = ans.faq
    cite_keys = list(faq.entry.citations) if faq is not None else []
    cite_keys += [k for k in ranked_ids[:3] if k not in cite_keys]
    citations = _citations(cite_keys)
    if not citations:
        citations = _citations(ranked_ids)
    previous = conv.questions.exclude(kind=Question.Kind.REJECTED).order_by("-pk").first()
    already_clarified = previous is not None and previous.kind == Question.Kind.CLARIFY
    topic = ans.topic
    handoff = bool(ans.handoff) or not citations
    if faq is not None:
        kind = Question.Kind.ANSWER
        body = faq.entry.answer
        handoff = False
    elif (ans.ambiguous or ans.handoff) and not already_clarified:
        kind = Question.Kind.CLARIFY
        body = ("我还不能确定您问的是哪方面的问题。您问的是不是："
                + "、".join(ans.clarify_topics)
                + "？请补充说一说发生了什么（时间、对方是谁、您想达到什么目的）。也可以直接转人工咨询。")
    elif handoff:
        kind = Question.Kind.HANDOFF
        body = "这个问题比较复杂，机器人可能答不准。下面的法律规定供您参考，建议点击“转人工”，由律师或司法所工作人员为您解答。"
    else:
        kind = Question.Kind.ANSWER
        body = f"您的问题可能属于“{topic}”方面。以下法律规定与您的问题最相关，请对照您的情况阅读。"
    if citations:
        body += "\n" + CITED_PREFIX + "；".join(f"《{c['law']}》{c['label']}" for c in citations)
    body += "\n" + DISCLAIMER
    ranked = []
    meta = {a.key: a for a in Article.objects.filter(key__in=ranked_ids, is_current=True).select_related("law")}
    for aid, score in ans.ranked:
        art = meta.get(aid)
        ranked.append({"law": art.law.title if art else "", "label": art.label if art else "",
                       "number": art.number if art else None, "id": aid, "score": round(float(score), 6)})
    stored_cites = [{k: c[k] for k in ("law", "label", "number", "id")} for c in citations]
    q = Question.objects.create(
        conversation=conv, text=text, kind=kind, answer=body, citations=stored_cites, ranked=ranked, topic=topic,
        clarify_topics=list(ans.clarify_topics), confidence=float(ans.confidence),
        faq_id=int(faq.entry.id) if faq is not None and str(faq.entry.id).isdigit() else None,
    )
    record_event(Event.Kind.QUESTION, conversation=conv, question=q)
    record_event(Event.Kind.ANSWER, conversation=conv, question=q, value=kind)
    return Reply(
        question=q, answer=body, kind=kind, citations=citations, ranked=ranked, topic=topic,
        confidence=float(ans.confidence), handoff=kind == Question.Kind.HANDOFF,
        clarify_topics=list(ans.clarify_topics), dispute_link=dispute_link(topic, text),
    )


def rate_answer(question: Question, *, useful: bool) -> Question:
    """Record 有用/没用 for an answer (the last rating counts). Side effects: Question.rating; a ``rating`` event."""
    question.rating = "useful" if useful else "useless"
    question.save(update_fields=["rating"])
    record_event(Event.Kind.RATING, conversation=question.conversation, question=question, value=question.rating)
    return question


def record_article_view(key: str, *, visitor: Visitor) -> None:
    record_event(Event.Kind.ARTICLE, visitor=visitor, article_key=key)


# ----------------------------------------------------------------------------------------------------------------
# Hand-off to legal workers
# ----------------------------------------------------------------------------------------------------------------
def _county() -> Region:
    region = Region.objects.filter(parent__isnull=True).order_by("code").first()
    if region is None:
        raise ValidationFailed("NO_REGION", "尚未导入行政区划。")
    return region


def request_handoff(question: Question, *, phone: str = "") -> Handoff:
    """Hand a question to the legal workers of the visitor's region (the county when unknown). Idempotent.

    Side effects: a Handoff row; a ``handoff`` event; an in-app notice is not sent (workers watch the queue)."""
    existing = Handoff.objects.filter(question=question).first()
    if existing is not None:
        return existing
    if phone:
        from xiangzhi.core.personal import validate_phone

        phone = validate_phone(phone)
    conv = question.conversation
    if not phone and conv.citizen is not None:
        phone = conv.citizen.phone or ""
    with transaction.atomic():
        handoff = Handoff.objects.create(question=question, conversation=conv, region=conv.region or _county(),
                                         topic=question.topic, phone=phone)
        record_event(Event.Kind.HANDOFF, conversation=conv, question=question)
    return handoff


def claim_handoff(handoff: Handoff, *, actor: User) -> Handoff:
    """Claim a hand-off with a guarded UPDATE; a second claim is refused (ALREADY_CLAIMED).

    Side effects: Handoff claimed_by/claimed_at/status; one audit row."""
    now = timezone.now()
    updated = Handoff.objects.filter(pk=handoff.pk, claimed_by__isnull=True).update(
        claimed_by=actor, claimed_at=now, status=HandoffStatus.CLAIMED
    )
    if not updated:
        raise Conflict("ALREADY_CLAIMED", "该咨询已被其他工作人员认领。")
    handoff.refresh_from_db()
    core_services.audit("consultation.claim", actor=actor, obj=handoff, region_code=handoff.region.code)
    return handoff


def reply_handoff(handoff: Handoff, *, text: str, actor: User) -> Handoff:
    """The claiming worker answers in the same conversation; the citizen is notified (SMS with a link if a phone is
    known, in-app for a citizen account, and on the page).

    Side effects: Handoff reply/status; a ``reply`` event; a Notification; one audit row."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("EMPTY_REPLY", "请填写答复内容。", {"text": "必填"})
    if handoff.claimed_by_id != actor.pk:
        raise Conflict("NOT_CLAIMED_BY_YOU", "请先认领该咨询再答复。")
    with transaction.atomic():
        handoff.reply = mask_text(text)
        handoff.replied_at = timezone.now()
        handoff.status = HandoffStatus.ANSWERED
        handoff.save(update_fields=["reply", "replied_at", "status"])
        conv = handoff.conversation
        link = reverse("consultation:conversation", args=[conv.token])
        body = "您在乡治法律咨询提出的问题已有工作人员答复，请点击查看。"
        if conv.citizen is not None:
            core_services.notify_user(conv.citizen, subject="法律咨询答复", body=body, link=link,
                                      dedupe_key=f"consult-reply:{handoff.pk}")
        elif handoff.phone:
            core_services.enqueue_sms(handoff.phone, body, link=link, dedupe_key=f"consult-reply:{handoff.pk}")
        record_event(Event.Kind.REPLY, conversation=conv, question=handoff.question)
        core_services.audit("consultation.reply", actor=actor, obj=handoff, region_code=handoff.region.code)
    return handoff


def _nearest_legal_workers(codes: set[str], *, county_only: bool = False) -> dict[str, list[User]]:
    """For each region code, the active legal workers nearest to it: those of the smallest region around it that has
    any (village, then town, then county), so a waiting question goes to its own 司法所 before every lawyer of the
    county; ``county_only``: the county centre and bureau. One query."""
    prefixes = {code[:n] for code in codes for n in (6, 9, 12, 15) if len(code) >= n}
    roles = (Role.CENTRE_STAFF, Role.COUNTY_ADMIN) if county_only else LEGAL_ROLES
    at: dict[str, list[User]] = defaultdict(list)
    for m in (Membership.objects.filter(is_active=True, role__in=roles, region__code__in=prefixes, user__is_active=True)
              .select_related("user", "region").order_by("user_id")):
        if m.user not in at[m.region.code]:
            at[m.region.code].append(m.user)
    out: dict[str, list[User]] = {}
    for code in codes:
        levels = [code[:n] for n in (15, 12, 9, 6) if len(code) >= n]
        out[code] = at.get(levels[-1], []) if county_only else next((at[p] for p in levels if at.get(p)), [])
    return out


def remind_waiting_handoffs(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Nobody's question waits unseen: a hand-off still unclaimed after ``XIANGZHI_HANDOFF_REMIND_HOURS`` is
    brought to the nearest legal workers of its place, after ``XIANGZHI_HANDOFF_ESCALATE_HOURS`` to the county
    centre and bureau as well; one claimed and still unanswered after the latter reminds the worker who claimed it.
    Each reminder once (dedupe key), queued in bulk. Run by ``runperiodic``."""
    now = now or timezone.now()
    remind = now - dt.timedelta(hours=settings.XIANGZHI_HANDOFF_REMIND_HOURS)
    escalate = now - dt.timedelta(hours=settings.XIANGZHI_HANDOFF_ESCALATE_HOURS)
    waiting = list(Handoff.objects.filter(status=HandoffStatus.OPEN, created_at__lte=remind)
                  .select_related("region", "question").order_by("created_at")[:500])
    stale = list(Handoff.objects.filter(status=HandoffStatus.CLAIMED, claimed_at__lte=escalate)
                 .select_related("region", "question", "claimed_by").order_by("claimed_at")[:500])
    codes = {h.region.code for h in waiting}
    local = _nearest_legal_workers(codes)
    county = _nearest_legal_workers({h.region.code for h in waiting if h.created_at <= escalate}, county_only=True)
    messages: list[core_services.Message] = []
    counter: dict[str, str] = {}

    def add(user: User, key: str, subject: str, body: str, link: str, kind: str) -> None:
        messages.append(core_services.Message(user, subject, body, link, key))
        counter[key] = kind

    for h in waiting:
        link = reverse("consultation:handoff", args=[h.pk])
        hours = int((now - h.created_at).total_seconds() // 3600)
        subject = f"转人工咨询已等待 {hours} 小时（{h.region.name}）"
        body = f"“{h.question.text[:40]}”尚无人认领，请到咨询工作台认领答复。"
        for user in local.get(h.region.code, []):
            add(user, f"consult-handoff:{h.pk}:waiting:{user.pk}", subject, body, link, "waiting")
        for user in county.get(h.region.code, []):
            add(user, f"consult-handoff:{h.pk}:overdue:{user.pk}", subject, body, link, "overdue")
    for h in stale:
        add(h.claimed_by, f"consult-handoff:{h.pk}:unanswered:{h.claimed_by_id}", "您认领的咨询尚未答复",
            f"“{h.question.text[:40]}”认领已超过 {settings.XIANGZHI_HANDOFF_ESCALATE_HOURS} 小时，请尽快答复。",
            reverse("consultation:handoff", args=[h.pk]), "unanswered")
    stats = {"waiting": 0, "overdue": 0, "unanswered": 0}
    for key in core_services.notify_users_once(messages):
        stats[counter[key]] += 1
    return stats


def export_demand(user: User) -> bytes:
    """The demand dashboard the user may see, as an Excel workbook. Side effect: one audit row."""
    from .selectors import demand_dashboard
    from .xlsx import demand_workbook

    data = demand_workbook(demand_dashboard(user), generated_at=timezone.localtime())
    core_services.audit("consultation.demand_exported", actor=user, object_type="consult_demand")
    return data


# ----------------------------------------------------------------------------------------------------------------
# FAQ and rewriting table (edited in the workbench)
# ----------------------------------------------------------------------------------------------------------------
_CITATION_RE = re.compile(r"^(?P<law>.+?)[-—－]?第?(?P<num>[0-9零〇一二三四五六七八九十百千两]+)条?"
                          r"(?P<suffix>之[一二三四五六七八九十]+)?$")
_PRC = "中华人民共和国"


def resolve_citations(texts: list[str]) -> list[str]:
    """Article keys from what a legal worker types or copies from a law: ``民法典-1079``, ``民法典第1079条``,
    ``《中华人民共和国民法典》第一千零七十九条``, ``刑法第十七条之一``; several may be separated by commas, 、 or ；.
    A text that names no known law is kept as typed, for the caller to report."""
    import cn2an

    items = [t.strip() for text in texts for t in re.split(r"[,，、;；\n]+", text or "") if t.strip()]
    keys = []
    for item in items:
        compact = re.sub(r"[\s《》〈〉]", "", item)
        match = _CITATION_RE.match(compact)
        if match is None:
            keys.append(item)
            continue
        law = match["law"].rstrip("-—－")
        short = (Law.objects.filter(is_current=True)
                 .filter(Q(short=law) | Q(title=law) | Q(title=_PRC + law) | Q(short=law.removeprefix(_PRC)))
                 .order_by("-version_date").values_list("short", flat=True).first())
        try:
            number = int(match["num"]) if match["num"].isdigit() else int(cn2an.cn2an(match["num"], "smart"))
        except ValueError:
            short = None
        keys.append(f"{short}-{number}{match['suffix'] or ''}" if short else item)
    return keys


def check_citations(keys: list[str]) -> list[str]:
    """The article keys (``民法典-1079``, or a citation written out) resolved and checked: every one exists and is
    current, at least one; else ValidationFailed (UNKNOWN_ARTICLE, NO_CITATION)."""
    keys = list(dict.fromkeys(resolve_citations(keys)))
    known = set(Article.objects.filter(key__in=keys, is_current=True).values_list("key", flat=True))
    missing = [k for k in keys if k not in known]
    if missing:
        raise ValidationFailed("UNKNOWN_ARTICLE", "引用的法条不存在：" + "、".join(missing), {"citations": missing})
    if not keys:
        raise ValidationFailed("NO_CITATION", "请至少引用一条法条。", {"citations": "必填"})
    return keys


def save_faq(faq: FaqEntry | None, *, question: str, answer: str, citations: list[str], actor: User,
             variants: list[str] | None = None, topic: str = "", audience: str = "村民",
             valid_until: dt.date | None = None, source_handoff: Handoff | None = None) -> FaqEntry:
    """Create or edit an FAQ entry. An edit bumps the version and clears the review (it must be reviewed again).

    Side effects: FaqEntry row; one audit row."""
    question, answer = (question or "").strip(), (answer or "").strip()
    if not question or not answer:
        raise ValidationFailed("INVALID_FAQ", "问题和解答都必须填写。")
    citations = check_citations(citations)
    with transaction.atomic():
        if faq is None:
            faq = FaqEntry(author=actor, source_handoff=source_handoff)
        else:
            faq.version += 1
        faq.question, faq.answer, faq.citations = question, answer, citations
        faq.variants = [v.strip() for v in (variants or []) if v.strip()]
        faq.topic, faq.audience, faq.valid_until = topic, audience, valid_until
        faq.reviewer, faq.reviewed_at = None, None
        faq.save()
        core_services.audit("consultation.save_faq", actor=actor, obj=faq, after={"version": faq.version})
    return faq


def review_faq(faq: FaqEntry, *, actor: User) -> FaqEntry:
    """Approve an FAQ entry (someone other than its author); from now on it is served.

    Side effects: reviewer/reviewed_at; one audit row."""
    if faq.author_id == actor.pk:
        raise Conflict("OWN_FAQ", "不能审核自己编写的问答，请由其他法律工作者审核。")
    faq.reviewer, faq.reviewed_at = actor, timezone.now()
    faq.save(update_fields=["reviewer", "reviewed_at", "updated_at"])
    core_services.audit("consultation.review_faq", actor=actor, obj=faq)
    return faq


def faq_from_reply(handoff: Handoff, *, actor: User) -> FaqEntry:
    """Turn a worker's reply into a new, unreviewed FAQ entry."""
    if not handoff.reply:
        raise Conflict("NO_REPLY", "该咨询尚未答复。")
    cites = [c["id"] for c in handoff.question.citations] or [r["id"] for r in handoff.question.ranked[:1]]
    return save_faq(None, question=handoff.question.text[:300], answer=handoff.reply, citations=cites,
                    actor=actor, topic=handoff.topic, source_handoff=handoff)


def save_rewrite(*, phrase: str, terms: str, actor: User, is_active: bool = True) -> Rewrite:
    """Add or change one row of the rewriting table (takes effect on the next question).

    Side effects: Rewrite row; one audit row."""
    phrase, terms = (phrase or "").strip(), " ".join((terms or "").split())
    if not phrase or not terms:
        raise ValidationFailed("INVALID_REWRITE", "口语说法和法律用语都必须填写。")
    row, _created = Rewrite.objects.update_or_create(phrase=phrase, defaults={"terms": terms, "is_active": is_active})
    core_services.audit("consultation.save_rewrite", actor=actor, obj=row, after={"phrase": phrase, "terms": terms})
    return row


def seed_rewrites(path: Path | None = None) -> int:
    """Load ``data/rewrites.tsv`` into the rewriting table (existing phrases kept)."""
    path = path or Path(__file__).parent / "data" / "rewrites.tsv"
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or "\t" not in line:
            continue
        phrase, terms = line.split("\t", 1)
        rows.append(Rewrite(phrase=phrase.strip(), terms=" ".join(terms.split())))
    existing = set(Rewrite.objects.values_list("phrase", flat=True))
    fresh = {r.phrase: r for r in rows if r.phrase not in existing}
    Rewrite.objects.bulk_create(list(fresh.values()))
    return len(fresh)


# ----------------------------------------------------------------------------------------------------------------
# Retention of visit records (XIANGZHI_CONSULT_RETENTION_DAYS)
# ----------------------------------------------------------------------------------------------------------------
PURGE_BATCH = 5000


def _expired_conversations(cutoff: dt.datetime):  # noqa: ANN202
    """Conversations with no activity since ``cutoff`` (no question, visit event or hand-off step after it), no
    hand-off still waiting for a worker, and still tied to a visitor or a citizen."""
    return (Conversation.objects.filter(created_at__lt=cutoff)
            .filter(Q(citizen__isnull=False) | ~Q(visitor_id=""))
            .exclude(questions__created_at__gte=cutoff)
            .exclude(questions__events__at__gte=cutoff)
            .exclude(handoffs__status__in=[HandoffStatus.OPEN, HandoffStatus.CLAIMED])
            .exclude(handoffs__created_at__gte=cutoff)
            .exclude(handoffs__claimed_at__gte=cutoff)
            .exclude(handoffs__replied_at__gte=cutoff))


def purge_expired(*, now: dt.datetime | None = None, batch_size: int = PURGE_BATCH) -> dict[str, Any]:
    """Apply the retention period ``XIANGZHI_CONSULT_RETENTION_DAYS`` (0: keep everything). Idempotent; run daily
    by ``runperiodic``.

    Side effects, each batch of ``batch_size`` rows in its own short transaction so a big table is never locked
    for long: visit events older than the cut-off are deleted; conversations whose last activity is older lose
    their visitor id and citizen link, their finished hand-offs the call-back phone and the sent reply notices
    (SMS or in-app), so a question can no longer be tied to a person (the masked question text, the answers and
    workers' replies stay for FAQ editors); a conversation with a hand-off still open or claimed is left alone.
    One audit row when anything changed."""
    days = settings.XIANGZHI_CONSULT_RETENTION_DAYS
    counts: dict[str, Any] = {"retention_days": days, "events_deleted": 0, "conversations_anonymised": 0,
                              "handoffs_anonymised": 0, "notifications_deleted": 0}
    if not days:
        return counts
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days)
    while True:
        ids = list(Event.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        with transaction.atomic():
            counts["events_deleted"] += Event.objects.filter(pk__in=ids).delete()[0]
    after = 0
    while True:
        expired = _expired_conversations(cutoff)
        ids = list(expired.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        after = ids[-1]
        with transaction.atomic():  # the conditions are checked again in the UPDATEs: a visitor may just be back
            handoffs = Handoff.objects.filter(conversation__in=expired.filter(pk__in=ids))
            # The reply notices (SMS to the call-back phone, in-app to the citizen) tie the person to the
            # conversation too; one still waiting to be sent is left to the outbox.
            keys = [f"consult-reply:{pk}" for pk in handoffs.values_list("pk", flat=True)]
            counts["notifications_deleted"] += Notification.objects.filter(
                dedupe_key__in=keys).exclude(status=NotificationStatus.QUEUED).delete()[0]
            counts["handoffs_anonymised"] += handoffs.update(phone="")
            counts["conversations_anonymised"] += expired.filter(pk__in=ids).update(visitor_id="", citizen=None)
    if counts["events_deleted"] or counts["conversations_anonymised"]:
        core_services.audit("consultation.purge_expired", actor=None, object_type="consultation.retention",
                            after={**counts, "cutoff": cutoff.isoformat()})
    return counts
