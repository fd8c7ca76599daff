"""智能咨询: every write of the consultation robot. Loading laws, the FAQ and rewriting tables, answering questions
(with citations, clarification and hand-off), hand-off claims and replies, and the visit log.

The retrieval index is built once (``build_index``: ``xiangzhi load_laws``, ``consult_index``, ``mark_law``) into
``<DATA_DIR>/consult-cache`` and published as a generation in the database (RetrievalIndex); every process loads the
published one and notices a newer one within ``XIANGZHI_CONSULT_INDEX_CHECK_SECONDS`` (a machine without the files
builds the same index from the database's current articles). FAQ entries and the rewriting table are re-applied
whenever their version in the database changes, so edits in the workbench take effect without a restart. When the
robot cannot answer at all, the question is kept and handed to a person (``_keep_for_a_person``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.urls import reverse
from django.utils import timezone

from xiangzhi.core import services as core_services
from xiangzhi.core.crypto import blind_index
from xiangzhi.core.enums import NotificationStatus, Role
from xiangzhi.core.errors import Conflict, Forbidden, ValidationFailed
from xiangzhi.core.models import Membership, Notification, Region, User
from xiangzhi.core.personal import mask_text
from xiangzhi.core.text import clean_text

from .guidance import answer_kinds, mediation_url
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
    MatterGuidance,
    Question,
    RetrievalIndex,
    Rewrite,
    StepAction,
)
from .rules import LEGAL_ROLES

log = logging.getLogger(__name__)

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
    "only_number": "我们只收到了号码（已隐去，不会公开）。请用几句话说说遇到了什么问题；如果希望工作人员联系您，"
                   "请点“转人工”并留下手机号。",
    "non_chinese": "请用中文描述您的问题，我们会为您查找相关法律规定。",
    "abusive": "理解您可能很着急。请平和地描述遇到的问题，我们会尽力帮您查找相关规定，也可以转人工咨询。",
}
# A question longer than MAX_QUESTION_CHARS is cut there, and the answer says so.
CUT_NOTE = f"（您的问题较长，我们按前 {MAX_QUESTION_CHARS} 字查找；完整情况可以转人工后告诉工作人员。）"
# When the robot cannot answer at all (no law loaded, no index, any failure of the engine): the question is kept
# and handed to a person. Plain words; what an administrator must do is shown in the workbench, never here.
KEPT_REPLY = ("您的问题已转给法律工作者，他们会尽快在这里答复您。留下手机号的话，答复后会短信通知您；"
              "着急的话也可以直接到所在镇（街道）司法所或公共法律服务站咨询。")


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


def _law_runs(path: str | Path):  # noqa: ANN202
    """The records of ``articles.jsonl(.gz)`` in runs of one law version ``((title, date), [records])``, streamed
    from the file: one law is held at a time, whatever the size of the corpus."""
    from .retrieval.corpus import read_jsonl

    key, run = None, []
    for rec in read_jsonl(path):
        rec_key = (rec["law"], rec.get("date") or "")
        if rec_key != key and run:
            yield key, run
            run = []
        key = rec_key
        run.append(rec)
    if run:
        yield key, run


def load_laws(path: str | Path, *, actor: User | None, batch_size: int = 5000) -> LoadStats:
    """Load ``articles.jsonl(.gz)``, streamed law by law. Idempotent: a law version already present is skipped. A
    newer version of a law supersedes the current one (status amended, its articles is_current False; kept as
    history); an older one is kept as history of the current one.

    Side effects: Law and Article rows (articles in bulk, in batches); one audit row. The index is built and
    published separately (``build_index``; ``xiangzhi load_laws`` does both)."""
    existing = {(t, d.isoformat() if d else "") for t, d in Law.objects.values_list("title", "version_date")}
    current = {law.title: law for law in Law.objects.filter(is_current=True)}
    created: dict[tuple[str, str], Law] = {}  # a law whose records come in several runs of the file
    skipped: set[tuple[str, str]] = set()
    stats = LoadStats()
    pending: list[Article] = []

    def flush() -> None:
        Article.objects.bulk_create(pending, batch_size=batch_size)
        stats.articles_created += len(pending)
        pending.clear()

    with transaction.atomic():
        for key, recs in _law_runs(path):
            law = created.get(key)
            if law is None:
                if key in existing:
                    skipped.add(key)
                    continue
                law = _create_law(key, recs[0], current.get(key[0]), stats)
                created[key] = law
                if law.is_current:
                    current[law.title] = law
            for rec in recs:
                pending.append(Article(
                    key=rec["id"], law=law, label=rec.get("label") or "", number=rec.get("number") or 0,
                    suffix=rec.get("suffix") or "", part=rec.get("part") or "", chapter=rec.get("chapter") or "",
                    section=rec.get("section") or "", text=rec.get("text") or "", version_date=law.version_date,
                    is_current=law.is_current,
                ))
            if len(pending) >= batch_size:
                flush()
        if pending:
            flush()
        stats.laws_skipped = len(skipped)
        core_services.audit("consultation.load_laws", actor=actor, object_type="consultation.law",
                            after=stats.__dict__, note=str(path)[-300:])
    return stats


def _create_law(key: tuple[str, str], first: dict, current: Law | None, stats: LoadStats) -> Law:
    """A new law version; the newest version of its title is the current one (the other becomes its history)."""
    title, date = key
    version = _date(date)
    is_newest = current is None or bool(version and (current.version_date is None or version > current.version_date))
    law = Law.objects.create(
        title=title, short=first.get("short") or title, category=first.get("category") or "",
        province=first.get("province") or "", version_date=version, is_current=is_newest,
        status=LawStatus.IN_FORCE if is_newest else LawStatus.AMENDED,
        superseded_by=None if is_newest else current,
    )
    if current is not None and is_newest:
        Law.objects.filter(pk=current.pk).update(status=LawStatus.AMENDED, superseded_by=law, is_current=False)
        Article.objects.filter(law=current).update(is_current=False)
        stats.laws_superseded += 1
    stats.laws_created += 1
    return law


def mark_law(law: Law, *, status: str, actor: User | None, superseded_by: Law | None = None) -> Law:
    """Mark a law repealed or amended (an administrator's decision), or in force again. Its rows stay as history;
    its articles stop being served at once (answers cite only current articles) and leave the index when it is
    next built (``xiangzhi mark_law`` builds it).

    Side effects: Law and Article rows updated; one audit row."""
    if status not in LawStatus.values:
        raise ValidationFailed("INVALID_STATUS", "效力状态不正确。", {"status": status})
    if superseded_by is not None and superseded_by.pk == law.pk:
        raise ValidationFailed("INVALID_STATUS", "不能由自身取代。", {"superseded_by": superseded_by.pk})
    before = law.status
    with transaction.atomic():
        law.status = status
        law.superseded_by = superseded_by or law.superseded_by
        law.is_current = status == LawStatus.IN_FORCE
        law.save(update_fields=["status", "superseded_by", "is_current", "updated_at"])
        Article.objects.filter(law=law).update(is_current=law.is_current)
        core_services.audit("consultation.mark_law", actor=actor, obj=law, before={"status": before},
                            after={"status": status, "superseded_by": superseded_by.pk if superseded_by else None})
    return law


def bundled_corpus() -> Path:
    """The law corpus shipped with the platform (``consultation/data/laws``, see its README)."""
    return Path(__file__).resolve().parent / "data" / "laws" / "articles.jsonl.gz"


def current_articles() -> list[dict[str, Any]]:
    """The current articles as the engine's slim dicts."""
    rows = (Article.objects.filter(is_current=True).order_by("law_id", "pk")
            .values_list("key", "law__title", "law__short", "law__category", "part", "chapter", "section", "label",
                         "number", "text"))
    return [
        {"id": key, "law": title, "short": short, "category": category, "part": part or None,
         "chapter": chapter or None, "section": section or None, "label": label, "number": number, "text": text}
        for key, title, short, category, part, chapter, section, label, number, text in rows.iterator(chunk_size=5000)
    ]


# ----------------------------------------------------------------------------------------------------------------
# The engine: built once and published (a generation in the database, files in the cache directory); every process
# loads the published one and notices a newer one within XIANGZHI_CONSULT_INDEX_CHECK_SECONDS, without a restart.
# FAQ entries and the rewriting table are re-applied whenever their version in the database changes.
# ----------------------------------------------------------------------------------------------------------------
class EngineUnavailable(Exception):
    """No index can be served (no articles loaded, or the index files cannot be read or built)."""


def cache_dir() -> Path:
    return Path(settings.CONSULT_CACHE_DIR or settings.DATA_DIR / "consult-cache")


def _build_engine(*, questions: list[dict] | None = None, use_training: bool = True):  # noqa: ANN202
    """An engine over the current articles. With ``questions`` (``qid``, ``question``, ``relevant``) it is trained on
    them; otherwise it ranks with the model shipped in the package (``xiangzhi consult_train``), unless
    ``use_training`` is False."""
    from .retrieval import Engine, model

    articles = current_articles()
    if not articles:
        raise ValidationFailed("NO_ARTICLES", "知识库中还没有法条：请运行 xiangzhi load_laws PATH。")
    if questions:
        known = {a["id"] for a in articles}
        questions = [q for q in questions if any(r in known for r in q.get("relevant", []))] or None
    engine = Engine.build(articles, cache_dir=cache_dir(), questions=questions,
                          workers=settings.XIANGZHI_INDEX_WORKERS or None)
    if not questions and use_training:
        model.attach(engine)
    return engine


def build_index(*, questions: list[dict] | None = None, use_training: bool = True):  # noqa: ANN201
    """(Re)build the engine from the current articles into the cache directory, publish it (every serving process
    loads it within ``XIANGZHI_CONSULT_INDEX_CHECK_SECONDS``) and use it in this process.

    Side effects: index and model files in the cache directory; the RetrievalIndex row (generation + 1)."""
    engine = _build_engine(questions=questions, use_training=use_training)
    stamp = _publish(engine)
    _holder.set(engine, stamp)
    return engine


def _publish(engine) -> tuple:  # noqa: ANN001
    fields = {"corpus_key": engine.corpus_key, "model_key": engine.model_key or "", "articles": len(engine.ids),
              "trained": engine.reranker is not None, "built_at": timezone.now()}
    with transaction.atomic():
        if not RetrievalIndex.objects.filter(pk=1).update(generation=F("generation") + 1, **fields):
            RetrievalIndex.objects.create(pk=1, generation=1, **fields)
    return _stamp(RetrievalIndex.objects.filter(pk=1).values("generation", "corpus_key", "model_key").first())


def _stamp(row: dict | None) -> tuple | None:
    return None if row is None else (row["generation"], row["corpus_key"], row["model_key"])


class EngineHolder:
    """One process's engine. Nothing another process needs lives here: the published index is named by the
    RetrievalIndex row and its files; this only remembers which one it loaded and when it last looked."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.engine: Any = None
        self.stamp: tuple | None = None  # (generation, corpus key, model key) served; None: set by hand or legacy
        self.checked = float("-inf")
        self.kb_version: tuple | None = None

    def set(self, engine: Any, stamp: tuple | None = None) -> None:
        with self.lock:
            self.engine, self.stamp, self.kb_version = engine, stamp, None
            self.checked = time.monotonic()

    def get(self):  # noqa: ANN201
        """The engine of the published index (loaded again when another process published a newer one), with the
        database's FAQ entries and rewriting table applied. Raises EngineUnavailable when there is none."""
        now = time.monotonic()
        if self.engine is None or now - self.checked >= settings.XIANGZHI_CONSULT_INDEX_CHECK_SECONDS:
            self.checked = now
            self._refresh()
        engine = self.engine
        if engine is None:
            raise EngineUnavailable("no index")
        version = _kb_version()
        if self.kb_version != version:
            with self.lock:
                engine.set_rewrites(list(Rewrite.objects.filter(is_active=True).values_list("phrase", "terms")))
                engine.set_faqs([
                    {"id": str(f.pk), "question": f.question, "variants": f.variants, "answer": f.answer,
                     "citations": f.citations, "topic": f.topic}
                    for f in servable_faqs()
                ])
                self.kb_version = version
        return engine

    def _refresh(self) -> None:
        row = RetrievalIndex.objects.filter(pk=1).values("generation", "corpus_key", "model_key", "trained").first()
        stamp = _stamp(row)
        if stamp is None and self.engine is not None:
            return  # nothing published (an engine set by hand, or an installation from before publishing)
        if stamp is not None and stamp == self.stamp and self.engine is not None:
            return
        from .retrieval import Engine

        with self.lock:
            if stamp is not None and stamp == self.stamp and self.engine is not None:
                return
            try:
                if stamp is not None:
                    engine = Engine.load(cache_dir(), stamp[1], stamp[2] or None)
                else:
                    engine = Engine.load(cache_dir())
            except (FileNotFoundError, OSError, ValueError, EOFError):
                engine = None
            if engine is not None and engine.reranker is None and row is not None and row["trained"]:
                from .retrieval import model

                model.attach(engine)  # the publisher ranked with the shipped model, which is not in the index files
            if engine is None:
                # The files are not on this machine (or unreadable): build the same index from the database.
                if not Article.objects.filter(is_current=True).exists():
                    self.engine, self.stamp = None, stamp
                    return
                try:
                    engine = _build_engine()
                except Exception as exc:
                    log.exception("consultation index could not be built")
                    raise EngineUnavailable(str(exc)) from exc
                if stamp is None:
                    stamp = _publish(engine)
            self.engine, self.stamp, self.kb_version = engine, stamp, None


_holder = EngineHolder()


def set_engine(engine) -> None:  # noqa: ANN001
    """Serve ``engine`` in this process (tests, benchmarks) until another index is published."""
    _holder.set(engine)


def get_engine():  # noqa: ANN201
    """This process's engine for the published index (see EngineHolder.get)."""
    return _holder.get()


def _kb_version() -> tuple:
    faq = FaqEntry.objects.aggregate(n=Count("pk"), t=Max("updated_at"))
    rw = Rewrite.objects.aggregate(n=Count("pk"), t=Max("updated_at"))
    return (faq["n"], faq["t"], rw["n"], rw["t"], timezone.localdate())


def servable_faqs():  # noqa: ANN201
    today = timezone.localdate()
    return FaqEntry.objects.filter(reviewed_at__isnull=False).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))


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
    handed_off: bool = False  # already in the legal workers' queue (the robot could not answer)
    topics: list[str] = field(default_factory=list)  # every kind of matter that applies, primary first


def new_visitor_id() -> str:
    return secrets.token_urlsafe(18)


def check_question(text: str, *, numbers: int = 0) -> str | None:
    """The reason a question cannot be answered (empty, only_number, non_chinese, abusive) or None. ``text`` is the
    masked question; ``numbers``: how many personal numbers were taken out of it."""
    text = (text or "").strip()
    if not text:
        return "empty"
    if not _CJK.search(text):
        return "only_number" if numbers and not re.search(r"[A-Za-z]{2}", text) else "non_chinese"
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
    return mediation_url(topic, question) if topic in DISPUTE_TOPICS else ""


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
    text = clean_text(question or "").strip()
    cut = len(text) > MAX_QUESTION_CHARS
    text = text[:MAX_QUESTION_CHARS].strip() if cut else text
    text, numbers = core_services.protect_text(text)
    conv = _conversation(visitor, channel)
    reason = check_question(text, numbers=len(numbers.get("text", [])))
    if reason:
        q = Question.objects.create(conversation=conv, text=text, kind=Question.Kind.REJECTED,
                                    reason=reason, answer=REJECT_REPLIES[reason])
        _keep_numbers(q, numbers)
        record_event(Event.Kind.REJECTED, conversation=conv, question=q, value=reason)
        return Reply(question=q, answer=q.answer, kind=q.kind, handoff=False)

    try:
        with transaction.atomic():  # a failure inside leaves the connection usable for keeping the question
            ans = get_engine().answer(text, top_k=top_k)
    except Exception:  # noqa: BLE001 - whatever fails, the villager's question is kept and goes to a person
        log.exception("consultation engine failed; the question is handed to a person")
        ans = None
    if ans is None:
        return _keep_for_a_person(text, conv, numbers, cut=cut)
    ranked = _current_ranked(ans.ranked)
    ranked_ids = [r["id"] for r in ranked]
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
    if cut:
        body = CUT_NOTE + "\n" + body
    stored_cites = [{k: c[k] for k in ("law", "label", "number", "id")} for c in citations]
    q = Question.objects.create(
        conversation=conv, text=text, kind=kind, answer=body, citations=stored_cites, ranked=ranked, topic=topic,
        topics=answer_kinds(ans), clarify_topics=list(ans.clarify_topics), confidence=float(ans.confidence),
        faq_id=int(faq.entry.id) if faq is not None and str(faq.entry.id).isdigit() else None,
    )
    _keep_numbers(q, numbers)
    record_event(Event.Kind.QUESTION, conversation=conv, question=q)
    record_event(Event.Kind.ANSWER, conversation=conv, question=q, value=kind)
    return Reply(
        question=q, answer=body, kind=kind, citations=citations, ranked=ranked, topic=topic,
        confidence=float(ans.confidence), handoff=kind == Question.Kind.HANDOFF,
        clarify_topics=list(ans.clarify_topics), dispute_link=dispute_link(topic, text), topics=q.topics,
    )


def _current_ranked(scored: list[tuple[str, float]]) -> list[dict]:
    """The engine's ranked articles that are current: one repealed or amended since the index was built is dropped
    (never cited again, even before the index is rebuilt)."""
    keys = [aid for aid, _s in scored]
    meta = {a.key: a for a in Article.objects.filter(key__in=keys, is_current=True).select_related("law")}
    return [{"law": meta[aid].law.title, "label": meta[aid].label, "number": meta[aid].number, "id": aid,
             "score": round(float(score), 6)} for aid, score in scored if aid in meta]


def _keep_numbers(question: Question, numbers: core_services.NumbersByField) -> None:
    """The personal numbers typed into a question, kept encrypted beside its masked text (as a case's are)."""
    if numbers:
        region = question.conversation.region
        core_services.keep_text_numbers(question, numbers, region_code=region.code if region else "")


def _keep_for_a_person(text: str, conv: Conversation, numbers: core_services.NumbersByField, *, cut: bool) -> Reply:
    """The robot cannot answer (no law loaded, no index, the engine failed): the question is kept and handed to the
    legal workers' queue with a plain message. Side effects: Question (kind handoff), its numbers, a Handoff, events."""
    body = (CUT_NOTE + "\n" if cut else "") + KEPT_REPLY
    q = Question.objects.create(conversation=conv, text=text, kind=Question.Kind.HANDOFF, answer=body,
                                reason="no_engine")
    _keep_numbers(q, numbers)
    record_event(Event.Kind.QUESTION, conversation=conv, question=q)
    record_event(Event.Kind.ANSWER, conversation=conv, question=q, value=q.kind)
    try:
        request_handoff(q)
    except ValidationFailed:  # no region at all yet (a bare installation): the question stays in the log
        log.exception("consultation question %s kept but not handed off", q.pk)
    return Reply(question=q, answer=body, kind=q.kind, handoff=True, handed_off=True)


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
    """Hand a question to the legal workers of the visitor's region (the county when unknown). Idempotent: asked
    again for a question already handed over, it only adds the call-back phone when none was given yet.

    Side effects: a Handoff row (the phone encrypted); a ``handoff`` event; an in-app notice is not sent (workers
    watch the queue)."""
    if phone:
        from django.core.exceptions import ValidationError

        from xiangzhi.core.personal import validate_phone

        try:
            phone = validate_phone(phone)
        except ValidationError as exc:
            raise ValidationFailed("INVALID_PHONE", "手机号码应为11位，以1开头。", {"phone": exc.messages}) from exc
    existing = Handoff.objects.filter(question=question).first()
    if existing is not None:
        if phone and not existing.phone:
            existing.phone = phone
            existing.save(update_fields=["phone"])
        return existing
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
# Guidance per kind of matter (edited in the workbench by the justice administration)
# ----------------------------------------------------------------------------------------------------------------
GUIDANCE_LIMITS = {"steps": 12, "time_limits": 12, "evidence": 15, "label": 30, "detail": 300, "line": 300,
                   "summary": 500, "office": 300}


@dataclass
class GuidanceStep:
    label: str
    detail: str = ""
    action: str = ""


def guidance_kinds() -> list[str]:
    """The kinds of matter guidance may be kept for: the robot's topics (retrieval.topics.TOPICS) and any kind already
    kept (a seeded one the classifier does not name yet)."""
    from .retrieval.topics import TOPICS

    kept = MatterGuidance.objects.order_by("kind").values_list("kind", flat=True)
    return list(dict.fromkeys([t for t in TOPICS if t != "其他"] + list(kept)))


def _lines(values: list[str], *, name: str, most: int) -> list[str]:
    out = [" ".join((v or "").split()) for v in values]
    out = list(dict.fromkeys(v for v in out if v))
    if len(out) > most:
        raise ValidationFailed("TOO_MANY", f"最多填写 {most} 条。", {name: most})
    long = [v for v in out if len(v) > GUIDANCE_LIMITS["line"]]
    if long:
        raise ValidationFailed("TOO_LONG", f"每条不超过 {GUIDANCE_LIMITS['line']} 字。", {name: long[0][:40]})
    return out


def save_guidance(kind: str, *, summary: str, steps: list[GuidanceStep], time_limits: list[str], evidence: list[str],
                  office: str, actor: User) -> MatterGuidance:
    """Create or replace the guidance of one kind of matter (takes effect on the next answer shown). Only the justice
    administration (rules.can_edit_guidance); every step needs a label; an action is one of StepAction.

    Side effects: MatterGuidance row (version bumped, updated_by/at); one audit row with the before and after."""
    from .rules import can_edit_guidance

    if not can_edit_guidance(actor):
        raise Forbidden("NOT_ALLOWED", "只有司法行政工作人员可以修改办事指引。")
    if kind not in guidance_kinds():
        raise ValidationFailed("UNKNOWN_KIND", "没有这种纠纷类型。", {"kind": kind})
    summary, office = (summary or "").strip(), " ".join((office or "").split())
    clean_steps = []
    for s in steps:
        label, detail = " ".join((s.label or "").split()), (s.detail or "").strip()
        if not label and not detail:
            continue
        if not label:
            raise ValidationFailed("STEP_WITHOUT_LABEL", "每一步都要有名称。", {"steps": detail[:40]})
        if s.action not in StepAction.values:
            raise ValidationFailed("INVALID_ACTION", "步骤的操作不正确。", {"action": s.action})
        if len(label) > GUIDANCE_LIMITS["label"] or len(detail) > GUIDANCE_LIMITS["detail"]:
            raise ValidationFailed("TOO_LONG", f"步骤名称不超过 {GUIDANCE_LIMITS['label']} 字，说明不超过 "
                                   f"{GUIDANCE_LIMITS['detail']} 字。", {"steps": label})
        clean_steps.append({"label": label, "detail": detail, "action": s.action})
    if not clean_steps:
        raise ValidationFailed("NO_STEPS", "请至少填写一个下一步怎么办。", {"steps": "必填"})
    if len(clean_steps) > GUIDANCE_LIMITS["steps"]:
        raise ValidationFailed("TOO_MANY", f"最多 {GUIDANCE_LIMITS['steps']} 个步骤。", {"steps": len(clean_steps)})
    if len(summary) > GUIDANCE_LIMITS["summary"] or len(office) > GUIDANCE_LIMITS["office"]:
        raise ValidationFailed("TOO_LONG", "说明不超过 500 字，办理机构不超过 300 字。")
    limits = _lines(time_limits, name="time_limits", most=GUIDANCE_LIMITS["time_limits"])
    kept = _lines(evidence, name="evidence", most=GUIDANCE_LIMITS["evidence"])
    with transaction.atomic():
        row = MatterGuidance.objects.select_for_update().filter(kind=kind).first()
        before = None
        if row is None:
            row = MatterGuidance(kind=kind, version=0)
        else:
            before = {"summary": row.summary, "steps": row.steps, "time_limits": row.time_limits,
                      "evidence": row.evidence, "office": row.office, "version": row.version}
        row.summary, row.steps, row.time_limits, row.evidence, row.office = summary, clean_steps, limits, kept, office
        row.version += 1
        row.updated_by, row.updated_at = actor, timezone.now()
        row.save()
        core_services.audit("consultation.save_guidance", actor=actor, obj=row, before=before,
                            after={"summary": summary, "steps": clean_steps, "time_limits": limits, "evidence": kept,
                                   "office": office, "version": row.version})
    return row


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
