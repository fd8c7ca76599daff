"""为你推荐 (千人千面): one visitor's feed of published library items and 求助 answers, ranked by ``outreach.feed``
from their own events only — the questions they asked (consultation's visit log), the items they read, the answers
pushed to them and opened, their town and their declared audience — and the one write it needs: a read of an item
(an access-log row, like consultation's visit events, written when the item's page is shown)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from xiangzhi.consultation import selectors as consultation
from xiangzhi.core.models import User

from .. import feed, selectors
from ..enums import AlertState, Audience, ItemState
from ..models import Alert, ItemRead, LibraryItem

ANSWER_DAYS = 365  # published answers older than this leave the feed
CANDIDATES = 500  # the newest published items considered
READ_DEDUPE = dt.timedelta(minutes=30)  # a reload within this time is not another read


@dataclass(frozen=True)
class Viewer:
    """Who asks for a feed: the visitor id of their phone (consultation's cookie) and/or their citizen account, the
    town they scanned in from ("" unknown) and the audience they declared ("" none)."""

    visitor_id: str = ""
    citizen: User | None = None
    town_code: str = ""
    audience: str = ""

    @property
    def citizen_id(self) -> int | None:
        return self.citizen.pk if self.citizen is not None and getattr(self.citizen, "is_authenticated", False) \
            else None

    @property
    def known(self) -> bool:
        return bool(self.visitor_id or self.citizen_id)


@dataclass(frozen=True)
class Entry:
    """One line of the feed: the ranked candidate, the object (LibraryItem or Alert) and what the page shows."""

    ranked: feed.Ranked
    kind: str  # "item" | "answer"
    obj: LibraryItem | Alert
    title: str
    summary: str
    topics: list[str]
    audiences: list[str]
    url: str
    reasons: list[str]

    @property
    def read(self) -> bool:
        return self.ranked.read


def record_read(item: LibraryItem, viewer: Viewer, *, now: dt.datetime | None = None) -> ItemRead | None:
    """Log that ``viewer`` opened the published ``item`` (nothing for an anonymous viewer without a visitor id, an
    unpublished item, or a reload within READ_DEDUPE). Side effects: one ItemRead row."""
    now = now or timezone.now()
    if not viewer.known or not LibraryItem.objects.filter(pk=item.pk, state=ItemState.PUBLISHED).exists():
        return None
    if selectors.reads_of(visitor_id=viewer.visitor_id, citizen=viewer.citizen, since=now - READ_DEDUPE) \
            .filter(item=item).exists():
        return None
    return ItemRead.objects.create(item=item, visitor_id=viewer.visitor_id[:64], citizen_id=viewer.citizen_id,
                                   town_code=viewer.town_code[:15], at=now)


def profile_of(viewer: Viewer, *, now: dt.datetime) -> feed.Profile:
    """The viewer's own events as the ranking reads them (nothing of anyone else)."""
    profile = feed.Profile(town=viewer.town_code, declared_audience=viewer.audience)
    if not viewer.known:
        return profile
    since = now - dt.timedelta(days=feed.EVENT_DAYS)
    towns: list[tuple[dt.datetime, str]] = []
    for q in consultation.questions_asked_by(visitor_id=viewer.visitor_id, citizen_id=viewer.citizen_id, since=since):
        if q["topic"]:
            profile.signals.append(feed.Signal(q["topic"], q["at"], feed.ASKED))
        profile.signals += [feed.Signal(t, q["at"], feed.ASKED_SECONDARY) for t in q["topics"] if t != q["topic"]]
        if q["town_code"]:
            towns.append((q["at"], q["town_code"][:9]))
    reads = selectors.reads_of(visitor_id=viewer.visitor_id, citizen=viewer.citizen, since=since)
    for item_id, topics, town, at in reads.values_list("item_id", "item__topics", "town_code", "at")[:500]:
        key = f"item:{item_id}"
        profile.read[key] = max(at, profile.read.get(key, at))
        profile.signals += [feed.Signal(t, at, feed.READ) for t in topics or []]
        if town:
            towns.append((at, town[:9]))
    for alert_id, topic, opened_at in (selectors.inbox(visitor_id=viewer.visitor_id, citizen=viewer.citizen)
                                       .filter(opened_at__isnull=False)
                                       .values_list("alert_id", "alert__topic", "opened_at")[:200]):
        profile.read[f"answer:{alert_id}"] = opened_at
        profile.signals.append(feed.Signal(topic, opened_at, feed.READ))
    if not profile.town and towns:
        profile.town = max(towns)[1]
    return profile


def candidates(*, now: dt.datetime) -> dict[str, tuple[feed.Candidate, LibraryItem | Alert]]:
    """Everything the public may see that a feed can show: published items and published answers."""
    out: dict[str, tuple[feed.Candidate, LibraryItem | Alert]] = {}
    for item in LibraryItem.objects.filter(state=ItemState.PUBLISHED).order_by("-published_at", "-pk")[:CANDIDATES]:
        out[f"item:{item.pk}"] = (feed.Candidate(f"item:{item.pk}", tuple(item.topics), tuple(item.audiences),
                                                 item.published_at), item)
    for alert in (Alert.objects.filter(state=AlertState.PUBLISHED, published_at__gte=now - dt.timedelta(days=ANSWER_DAYS))
                  .select_related("answer").order_by("-published_at", "-pk")[:200]):
        out[f"answer:{alert.pk}"] = (feed.Candidate(f"answer:{alert.pk}", (alert.topic,), (), alert.published_at,
                                                    alert.scope), alert)
    return out


def popularity(pool: list[feed.Candidate], town: str, *, now: dt.datetime) -> tuple[dict[str, float], dict[str, float]]:
    """(in ``town``, in the county): each candidate's reads plus the questions on its topics in the last
    feed.POPULAR_DAYS (feed.popularity)."""
    since = now - dt.timedelta(days=feed.POPULAR_DAYS)
    asks = consultation.question_counts(since, now)
    reads = selectors.read_counts(since, now)
    town_asks, county_asks = Counter(), Counter()
    for (topic, code), n in asks.items():
        county_asks[topic] += n
        if town and code[:9] == town:
            town_asks[topic] += n
    town_reads, county_reads = Counter(), Counter()
    for (item_id, code), n in reads.items():
        county_reads[f"item:{item_id}"] += n
        if town and code[:9] == town:
            town_reads[f"item:{item_id}"] += n
    return (feed.popularity(pool, town_reads, town_asks) if town else {},
            feed.popularity(pool, county_reads, county_asks))


def _reasons(ranked: feed.Ranked) -> list[str]:
    labels = []
    for r in ranked.reasons:
        kind, _, value = r.partition(":")
        if kind == "topic":
            labels.append(f"您关心“{value}”")
        elif kind == "town":
            labels.append("本镇热门")
        elif kind == "county":
            labels.append("全县热门")
        elif kind == "audience" and value in Audience.values:
            labels.append(f"适合{Audience(value).label}")
    return labels or ["最新发布"]


def feed_for(viewer: Viewer, *, now: dt.datetime | None = None) -> list[Entry]:
    """The viewer's feed, best first (read ones last)."""
    now = now or timezone.now()
    found = candidates(now=now)
    profile = profile_of(viewer, now=now)
    pool = [c for c, _ in found.values()]
    town_pop, county_pop = popularity(pool, profile.town, now=now)
    out = []
    for ranked in feed.rank(pool, profile, town_popularity=town_pop, county_popularity=county_pop, now=now):
        obj = found[ranked.candidate.key][1]
        if isinstance(obj, LibraryItem):
            out.append(Entry(ranked, "item", obj, obj.title, obj.summary, list(obj.topics), list(obj.audiences),
                             reverse("outreach:item", args=[obj.pk]), _reasons(ranked)))
        else:
            answer = getattr(obj, "answer", None)
            out.append(Entry(ranked, "answer", obj, f"律师解答：{obj.topic}问题", (answer.text[:120] if answer else ""),
                             [obj.topic], [], reverse("outreach:answer", args=[obj.pk]), _reasons(ranked)))
    return out
