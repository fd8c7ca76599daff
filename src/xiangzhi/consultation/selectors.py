"""Every read of scoped consultation data: hand-offs by jurisdiction, FAQ candidates, the demand dashboard."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from xiangzhi.core.models import Region
from xiangzhi.core.selectors import region_q

from . import rules
from .models import (
    Article,
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
)


def article_by_key(key: str) -> Article:
    """The current version of an article (else its latest version), or 404."""
    art = (Article.objects.filter(key=key).select_related("law").order_by("-is_current", "-version_date").first())
    if art is None:
        raise Http404
    return art



def article_label(key: str) -> str:
    """How people read an article's key (``民法典-1079`` → ``《民法典》第一千零七十九条``): its law's short title and
    its label, from the current version (else the latest); the key itself when the law base lacks it."""
    art = Article.objects.filter(key=key).select_related("law").order_by("-is_current", "-version_date").first()
    return key if art is None else f"《{art.law.short}》{art.label}"


EXCERPT_CHARS = 90


def law_by_name(name: str) -> Law:
    """The current version of a law named by its title or short title (``中华人民共和国`` may be left out), else its
    latest version (a repealed law); NotFound when no law or several laws have that name."""
    from xiangzhi.core.errors import NotFound, ValidationFailed

    name = (name or "").strip()
    names = {name, name.removeprefix("中华人民共和国"), "中华人民共和国" + name.removeprefix("中华人民共和国")}
    laws = list(Law.objects.filter(Q(title__in=names) | Q(short__in=names)).order_by("-is_current", "-version_date"))
    if not laws:
        raise NotFound(f"法规库中没有“{name}”。")
    if len({law.title for law in laws}) > 1:
        raise ValidationFailed("AMBIGUOUS_LAW", f"“{name}”对应多部法规，请写全称："
                               + "、".join(sorted({x.title for x in laws})))
    return laws[0]


def knowledge_base_status() -> dict:
    """What administrators need to know about the robot's law base and index (workbench, ``xiangzhi check``): laws
    in force, repealed and amended, current articles, the published index (generation, when, how many articles,
    trained or not) and whether it covers the current articles."""
    laws = dict(Law.objects.values_list("status").annotate(n=Count("pk")))
    articles = Article.objects.filter(is_current=True).count()
    index = RetrievalIndex.objects.filter(pk=1).first()
    if not articles:
        problem = "法规库为空：机器人无法解答，群众的问题会全部转人工。请运行 xiangzhi load_laws PATH 载入法规库。"
    elif index is None:
        problem = "尚未生成检索索引：请运行 xiangzhi consult_index（或 xiangzhi load_laws PATH）。"
    elif index.articles != articles:
        problem = (f"检索索引含 {index.articles} 条，现行法条为 {articles} 条（法规有变动）："
                   "请运行 xiangzhi consult_index 重新生成。")
    else:
        problem = ""
    return {"in_force": laws.get(LawStatus.IN_FORCE, 0), "repealed": laws.get(LawStatus.REPEALED, 0),
            "amended": laws.get(LawStatus.AMENDED, 0), "articles": articles, "index": index, "problem": problem}


def excerpt(text: str) -> str:
    """The start of an article's text, cut with a Chinese ellipsis (……) past ``EXCERPT_CHARS`` — after its last
    whole sentence when one ends in the second half of the room, so a paragraph's first word is not left dangling."""
    text = " ".join(re.sub(r"\s*\n\s*", "", text).split())  # paragraphs run on, as Chinese text does inline
    if len(text) <= EXCERPT_CHARS:
        return text
    head = text[:EXCERPT_CHARS - 2]
    end = head.rfind("。")
    if end >= EXCERPT_CHARS // 2:
        head = head[:end + 1]
    return head.rstrip("，、；：,;: ") + "……"


def answer_lines(q: Question) -> list[str]:
    """The robot's answer as shown above the list of cited articles: without the line naming them (the list does)
    and without the disclaimer (the page closes the reply with it)."""
    from .services import CITED_PREFIX, DISCLAIMER

    return [line for line in q.answer.splitlines()
            if line != DISCLAIMER and not (q.citations and line.startswith(CITED_PREFIX))]


def cited_articles(questions: list[Question]) -> dict[int, list[dict]]:
    """The articles each answer cites, as shown under it: law, 第X条, link to the article page and the start of the
    current text; one query for all the questions."""
    keys = {c["id"] for q in questions for c in q.citations}
    texts = dict(Article.objects.filter(key__in=keys, is_current=True).values_list("key", "text")) if keys else {}
    return {q.pk: [{**c, "url": reverse("consultation:article", args=[c["id"]]),
                    "excerpt": excerpt(texts.get(c["id"], ""))} for c in q.citations] for q in questions}


def consultations_of_citizen(user, *, limit: int | None = 20) -> list[dict]:  # noqa: ANN001
    """A signed-in villager's own conversations with the robot, newest first: the last question, when, and whether a
    legal worker has replied (a hand-off answered) or is still to."""
    convs = list(Conversation.objects.filter(citizen=user).order_by("-pk")[:limit]) if user.is_authenticated else []
    last: dict[int, Question] = {}
    for q in Question.objects.filter(conversation__in=convs).order_by("conversation_id", "pk"):
        last[q.conversation_id] = q
    # "answered" once any hand-off of the conversation is, else the latest one's state
    status: dict[int, str] = {}
    handoffs = Handoff.objects.filter(conversation__in=convs).order_by("pk")
    for conv_id, st in handoffs.values_list("conversation_id", "status"):
        if status.get(conv_id) != HandoffStatus.ANSWERED:
            status[conv_id] = st
    return [{"conversation": c, "question": last[c.pk], "handoff": status.get(c.pk, "")} for c in convs
            if c.pk in last]


def article_history(art: Article) -> QuerySet[Article]:
    return Article.objects.filter(key=art.key).exclude(pk=art.pk).select_related("law").order_by("-version_date")


def handoffs_visible_to(user) -> QuerySet[Handoff]:  # noqa: ANN001
    if not rules.is_legal_worker(user):
        return Handoff.objects.none()
    return Handoff.objects.filter(region_q(user, "region__code")).select_related("question", "region", "claimed_by")


def access_handoff(user, pk: int) -> Handoff:  # noqa: ANN001
    return get_object_or_404(handoffs_visible_to(user), pk=pk)


def faqs_for(user) -> QuerySet[FaqEntry]:  # noqa: ANN001
    if not rules.is_legal_worker(user):
        return FaqEntry.objects.none()
    return FaqEntry.objects.select_related("author", "reviewer").order_by("-updated_at")


def access_faq(user, pk: int) -> FaqEntry:  # noqa: ANN001
    return get_object_or_404(faqs_for(user), pk=pk)


def rewrites_for(user, q: str = "") -> QuerySet[Rewrite]:  # noqa: ANN001
    """The rewriting table as legal workers see and edit it (phrase contains ``q``)."""
    if not rules.is_legal_worker(user):
        return Rewrite.objects.none()
    rows = Rewrite.objects.order_by("phrase")
    return rows.filter(phrase__contains=q) if q else rows


def access_rewrite(user, pk: int) -> Rewrite:  # noqa: ANN001
    return get_object_or_404(rewrites_for(user), pk=pk)


def guidance_by_kind() -> dict[str, MatterGuidance]:
    """Every kind's guidance (public: it is what every villager is told)."""
    return {g.kind: g for g in MatterGuidance.objects.select_related("updated_by")}


def laws_matching(q: str = "") -> QuerySet[Law]:
    """Current laws whose title or short title contains ``q`` (public)."""
    rows = Law.objects.filter(is_current=True).order_by("short", "pk")
    return rows.filter(Q(title__contains=q) | Q(short__contains=q)) if q else rows


def articles_of_law(law: str, q: str = "") -> QuerySet[Article]:
    """The current articles of the law named ``law`` (short or full title) in order, those containing ``q``."""
    rows = (Article.objects.filter(is_current=True).filter(Q(law__short=law) | Q(law__title=law))
            .select_related("law").order_by("number", "suffix", "pk"))
    return rows.filter(text__contains=q) if q else rows


def conversation_by_token(token: str) -> Conversation:
    """A conversation by its unguessable token (the page's and the reply SMS's link), or 404."""
    return get_object_or_404(Conversation.objects.select_related("region"), token=token)


_TOKEN = re.compile(r"[\u4e00-\u9fff]")


def _bigrams(text: str) -> set[str]:
    chars = "".join(_TOKEN.findall(text))
    return {chars[i:i + 2] for i in range(len(chars) - 1)}


def faq_candidates(*, min_count: int = 5, days: int = 90, overlap: float = 0.2) -> list[dict]:
    """Repeated unanswered questions (hand-off, clarification or rated 没用, no FAQ): grouped by topic and top
    article, then by character-bigram overlap; groups of ≥ ``min_count`` are suggested as new FAQ entries."""
    since = timezone.now() - dt.timedelta(days=days)
    rows = (Question.objects.filter(created_at__gte=since, faq__isnull=True)
            .filter(Q(kind__in=[Question.Kind.HANDOFF, Question.Kind.CLARIFY]) | Q(rating="useless"))
            .exclude(kind=Question.Kind.REJECTED).only("text", "topic", "ranked").order_by("pk"))
    groups: dict[tuple, list[list]] = defaultdict(list)
    for q in rows.iterator():
        top = q.ranked[0]["id"] if q.ranked else ""
        grams = _bigrams(q.text)
        clusters = groups[(q.topic, top)]
        for cluster in clusters:
            seed = cluster[0][1]
            if seed and len(grams & seed) / max(1, len(grams | seed)) >= overlap:
                cluster.append((q.text, grams))
                break
        else:
            clusters.append([(q.text, grams)])
    out = []
    for (topic, top), clusters in groups.items():
        for cluster in clusters:
            if len(cluster) >= min_count:
                out.append({"topic": topic, "article": top, "count": len(cluster),
                            "examples": [t for t, _g in cluster[:5]]})
    return sorted(out, key=lambda c: -c["count"])


# Rising topics: the last 7 days against the weekly average of the 4 weeks before them.
RISING_BASE_WEEKS = 4
RISING_MIN_COUNT = 3  # this week's questions a topic needs before it can be called rising
RISING_RATIO = (3, 2)  # ≥ 1.5 × the previous weekly average, kept as a fraction so the test is exact
RISING_LIMIT = 10


def _rising_topics(questions: QuerySet[Event], now: dt.datetime) -> list[dict]:
    """Topics whose question count in the last 7 days rose against the weekly average of the 4 weeks before.

    One GROUP BY query: conditional counts on ``at`` per topic, the thresholds as HAVING, ordered by the absolute
    increase (this week − previous weekly average). A topic with no questions in the 4 base weeks and at least
    ``RISING_MIN_COUNT`` this week is new (新出现). Questions without a topic are left out.
    """
    week_start = now - dt.timedelta(days=7)
    base_start = week_start - dt.timedelta(weeks=RISING_BASE_WEEKS)
    num, den = RISING_RATIO
    rows = (questions.filter(at__gte=base_start).exclude(topic="")
            .values("topic")
            .annotate(cur=Count("pk", filter=Q(at__gte=week_start)), prev=Count("pk", filter=Q(at__lt=week_start)))
            # cur ≥ num/den × prev/weeks, in integers: cur·den·weeks ≥ prev·num
            .annotate(cur_scaled=F("cur") * (den * RISING_BASE_WEEKS), prev_scaled=F("prev") * num,
                      rise=F("cur") * RISING_BASE_WEEKS - F("prev"))
            .filter(cur__gte=RISING_MIN_COUNT, cur_scaled__gte=F("prev_scaled"))
            .order_by("-rise", "-cur", "topic")
            .values_list("topic", "cur", "prev")[:RISING_LIMIT])
    out = []
    for topic, cur, prev in rows:
        avg = prev / RISING_BASE_WEEKS
        out.append({"topic": topic, "this_week": cur, "prev_avg": round(avg, 1), "change": round(cur - avg, 1),
                    "ratio": round(cur / avg, 1) if prev else None, "new": prev == 0})
    return out


TOPIC_COLUMNS = 8  # topics shown by name in the town × topic table and the weekly chart; the rest add up as 其他
OTHER_TOPICS = "其他"
NO_TOPIC = "未分类"


def _topic_columns(totals: Counter) -> list[str]:
    """The most asked topics (by count, then name), and 其他 for the rest when there is a rest (the classifier's own
    topic 其他 joins that column)."""
    ranked = sorted(totals, key=lambda t: (-totals[t], t))
    if len(ranked) <= TOPIC_COLUMNS:
        return ranked
    return [t for t in ranked if t != OTHER_TOPICS][:TOPIC_COLUMNS - 1] + [OTHER_TOPICS]


def _fold(topic: str, columns: list[str]) -> str:
    return topic if topic in columns else OTHER_TOPICS


def _town_matrix(cells: Counter, columns: list[str]) -> dict:
    """Towns (most questions first) × topic columns, each cell with a heat level 0–4 against the largest cell."""
    rows: dict[str, Counter] = defaultdict(Counter)
    for (town, topic), n in cells.items():
        rows[town][_fold(topic, columns)] += n
    peak = max((n for counts in rows.values() for n in counts.values()), default=0)
    out = []
    for town, counts in sorted(rows.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])):
        out.append({"town": town, "total": sum(counts.values()),
                    "cells": [(counts[c], -(-4 * counts[c] // peak) if peak else 0) for c in columns]})
    return {"topics": columns, "rows": out,
            "totals": [sum(r["cells"][i][0] for r in out) for i in range(len(columns))]}


def _weekly(cells: Counter, columns: list[str], since: dt.datetime, now: dt.datetime) -> dict:
    """Questions a week (weeks from Monday, every week of the period, empty ones included) by topic column."""
    first = timezone.localtime(since).date()
    first -= dt.timedelta(days=first.weekday())
    last = timezone.localtime(now).date()
    weeks = []
    while first <= last:
        weeks.append(first)
        first += dt.timedelta(weeks=1)
    counts: Counter = Counter()
    for (week, topic), n in cells.items():
        counts[(week, _fold(topic, columns))] += n
    return {"weeks": weeks, "series": [{"topic": c, "values": [counts[(w, c)] for w in weeks]} for c in columns],
            "rows": [{"week": w, "values": [counts[(w, c)] for c in columns],
                      "total": sum(counts[(w, c)] for c in columns)} for w in weeks]}


def demand_chart_data(d: dict) -> dict:
    """What the weekly chart draws (json_script): week labels and one series per topic column."""
    return {"weeks": [f"{w:%m-%d}" for w in d["weekly"]["weeks"]], "series": d["weekly"]["series"]}


def demand_dashboard(user, *, weeks: int = 8) -> dict:  # noqa: ANN001
    """Topics by town and week, unanswered and hand-off rates, ratings, top questions, rising topics — for the
    user's regions (a county user also sees events of unknown town)."""
    now = timezone.now()
    since = now - dt.timedelta(weeks=weeks)
    scoped = Event.objects.filter(region_q(user, "town_code") | Q(town_code="")
                                  if rules.has_county(user) else region_q(user, "town_code"))
    events = scoped.filter(at__gte=since)
    questions = events.filter(kind=Event.Kind.QUESTION)
    total = questions.count()
    towns = dict(Region.objects.filter(level="town").values_list("code", "name"))
    by_town: Counter = Counter()
    for row in questions.values("town_code", "topic").annotate(n=Count("pk")):
        by_town[(towns.get(row["town_code"], "未知"), row["topic"] or NO_TOPIC)] += row["n"]
    by_week: Counter = Counter()
    for row in questions.annotate(week=TruncWeek("at")).values("week", "topic").annotate(n=Count("pk")):
        by_week[(timezone.localtime(row["week"]).date(), row["topic"] or NO_TOPIC)] += row["n"]
    topic_totals: Counter = Counter()
    for (_town, topic), n in by_town.items():
        topic_totals[topic] += n
    columns = _topic_columns(topic_totals)
    handoffs = events.filter(kind=Event.Kind.HANDOFF).count()
    answers = events.filter(kind=Event.Kind.ANSWER)
    unanswered = answers.exclude(value=Question.Kind.ANSWER).count()
    ratings = dict(events.filter(kind=Event.Kind.RATING).values_list("value").annotate(n=Count("pk")))
    top_q = list(Question.objects.filter(events__in=questions).values_list("text")
                 .annotate(n=Count("pk")).order_by("-n", "text")[:10])
    return {
        "total": total, "handoffs": handoffs, "handoff_rate": handoffs / total if total else 0.0,
        "unanswered": unanswered, "unanswered_rate": unanswered / total if total else 0.0,
        "useful": ratings.get("useful", 0), "useless": ratings.get("useless", 0),
        "matrix": _town_matrix(by_town, columns), "weekly": _weekly(by_week, columns, since, now),
        "top_questions": top_q,
        "rising": _rising_topics(scoped.filter(kind=Event.Kind.QUESTION), now),
        "open_handoffs": Handoff.objects.filter(region_q(user, "region__code"), status=HandoffStatus.OPEN).count(),
    }


# ----------------------------------------------------------------------------------------------------------------
# Questions by topic, for the hot-topic alerts of 精准普法 (the outreach app reads the visit log only through these)
# ----------------------------------------------------------------------------------------------------------------
def question_counts(since: dt.datetime, until: dt.datetime, *, topic: str = "") -> Counter:
    """{(topic, town code): questions asked in [since, until)} (one GROUP BY; questions without a topic left out;
    town code "" when the visitor's place is unknown)."""
    rows = (Event.objects.filter(kind=Event.Kind.QUESTION, at__gte=since, at__lt=until).exclude(topic="")
            .filter(**({"topic": topic} if topic else {}))
            .values_list("topic", "town_code").annotate(n=Count("pk")).order_by())
    return Counter({(t, town): n for t, town, n in rows})


def _topic_questions(topic: str, since: dt.datetime, until: dt.datetime, town_code: str = "") -> QuerySet[Event]:
    qs = Event.objects.filter(kind=Event.Kind.QUESTION, topic=topic, at__gte=since, at__lt=until)
    return qs.filter(town_code=town_code) if town_code else qs


def hourly_question_counts(topic: str, since: dt.datetime, until: dt.datetime, *, town_code: str = "") -> list[int]:
    """Questions on ``topic`` per hour from ``since`` to ``until`` (the alert's chart)."""
    hours = max(1, int((until - since).total_seconds() // 3600))
    out = [0] * hours
    for at in _topic_questions(topic, since, until, town_code).values_list("at", flat=True):
        i = int((at - since).total_seconds() // 3600)
        if 0 <= i < hours:
            out[i] += 1
    return out


def sample_questions(topic: str, since: dt.datetime, until: dt.datetime, *, town_code: str = "",
                     limit: int = 5) -> list[str]:
    """The latest distinct question texts on ``topic`` (stored masked by ``services.ask``)."""
    texts = (_topic_questions(topic, since, until, town_code).filter(question__isnull=False)
             .order_by("-at").values_list("question__text", flat=True)[: limit * 4])
    return list(dict.fromkeys(t[:200] for t in texts))[:limit]


def topic_askers(topic: str, since: dt.datetime, until: dt.datetime, *, town_code: str = "") -> list[dict]:
    """Everyone who asked about ``topic`` in [since, until): one dict per person — ``key`` (``c:<citizen id>`` for
    an account, else ``v:<visitor id>``), ``citizen_id``, ``visitor_id``, the conversation token, the phone they
    left (a hand-off's, or the account's) and when they first asked."""
    out: dict[str, dict] = {}
    rows = (_topic_questions(topic, since, until, town_code).filter(question__isnull=False)
            .order_by("at").values_list("visitor_id", "citizen_id", "question__conversation_id",
                                        "question__conversation__token", "at"))
    conversations: set[int] = set()
    for visitor_id, citizen_id, conv_id, token, at in rows:
        key = f"c:{citizen_id}" if citizen_id else f"v:{visitor_id}"
        if key not in out and (citizen_id or visitor_id):
            out[key] = {"key": key, "citizen_id": citizen_id, "visitor_id": visitor_id, "conversation_id": conv_id,
                        "conversation_token": token, "phone": "", "asked_at": at}
            conversations.add(conv_id)
    phones = {conv: phone for conv, phone in Handoff.objects.filter(conversation_id__in=conversations)
              .order_by("pk").values_list("conversation_id", "phone") if phone}
    from xiangzhi.core.models import User

    accounts = {u.pk: u.phone or "" for u in User.objects.filter(pk__in=[a["citizen_id"] for a in out.values()
                                                                         if a["citizen_id"]])}
    for a in out.values():
        a["phone"] = phones.get(a["conversation_id"]) or accounts.get(a["citizen_id"], "")
    return list(out.values())


def questions_asked_by(*, visitor_id: str = "", citizen_id: int | None = None, since: dt.datetime,
                       limit: int = 300) -> list[dict]:
    """One person's own questions since ``since``, newest first (the 为你推荐 feed of 精准普法 reads them): ``topic``
    (the primary one), ``topics`` (every kind of matter found), ``town_code`` and ``at``. Matched by their account
    and/or the visitor id of their phone; nothing when neither is given."""
    who = Q(pk__in=[])
    if citizen_id:
        who |= Q(citizen_id=citizen_id)
    if visitor_id:
        who |= Q(visitor_id=visitor_id)
    rows = (Event.objects.filter(who, kind=Event.Kind.QUESTION, at__gte=since).order_by("-at", "-pk")
            .values_list("topic", "question__topics", "town_code", "at")[:limit])
    return [{"topic": topic, "topics": [t for t in (topics or []) if t], "town_code": town, "at": at}
            for topic, topics, town, at in rows]
