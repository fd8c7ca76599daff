"""为你推荐 (千人千面): how one visitor's feed is ranked from their own events. Pure: no database (services.feed
gathers the events, bench/outreach_feed.py replays an event log through the same functions).

A candidate (a published library item, or a published 求助 answer) gets

    score = (personal + PRIOR_STRENGTH × popular) / (mass + PRIOR_STRENGTH) + W_AUDIENCE × audience + W_FRESH × fresh

* ``personal``: the visitor's own events on the candidate's best topic (+ ``SECOND_TOPIC`` × on the next best). Each
  event gives its topic a weight — a question's primary topic ``ASKED``, its other topics ``ASKED_SECONDARY``, an
  item read or an answer opened ``READ`` for each of its topics — decayed by its age with a half-life of
  ``half_life_days``; ``mass`` is the sum over all their topics.
* ``popular`` ∈ [0, 1]: the candidate's popularity (:func:`popularity`: its reads plus the questions asked on its
  topics in the last POPULAR_DAYS), relative to the most popular; the town's shrunk towards the county's by the
  town's own volume (weight town_peak / (town_peak + ``TOWN_SHRINK``)); the county's alone when the town is unknown
  or has no events.
* So the first part is the visitor's topic share smoothed by the local popularity as a prior worth
  ``PRIOR_STRENGTH`` events: one question moves the feed, a long history dominates it, none leaves the popular.
* ``audience``: 1 when one of the candidate's audiences is the visitor's (declared, else derived from their topics by
  ``TOPIC_AUDIENCE``), else 0. ``fresh`` ∈ [0, 1]: ½ ^ (days since publication / ``FRESH_HALF_LIFE_DAYS``).

Already-read candidates are not repeated at the top: every unread candidate comes before every read one (each tier
in score order). Cold start: a visitor without events scores ``popular`` (plus audience and fresh) — the most
popular in their town, then in the county, then the newest. Ties: newer first, then key. The parameters are the ones
bench/outreach_feed.py picks on the history part of its event log (precision@10 against most-popular-in-town).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

EVENT_DAYS = 180  # a visitor's events older than this are not read
POPULAR_DAYS = 90  # the window of a town's popularity

ASKED = 1.0
ASKED_SECONDARY = 0.5
READ = 0.6
SECOND_TOPIC = 0.25

PRIOR_STRENGTH = 1.0
TOWN_SHRINK = 10.0
W_AUDIENCE = 0.15
W_FRESH = 0.02
FRESH_HALF_LIFE_DAYS = 60.0

# The audience a topic's asker most likely belongs to (a derived audience when none is declared).
TOPIC_AUDIENCE: dict[str, str] = {
    "劳动争议": "migrants", "生产经营": "enterprises", "知识产权": "enterprises", "合同": "enterprises",
    "山林土地": "farmers", "房屋宅基地": "farmers", "征地拆迁": "farmers", "村务": "farmers", "环境污染": "farmers",
    "继承": "elderly", "医疗": "elderly", "婚姻家庭": "women_children", "消费": "elderly",
}


@dataclass(frozen=True)
class Candidate:
    """Something the feed may show: ``key`` ``item:<pk>`` or ``answer:<alert pk>``; ``town`` "" for the county."""

    key: str
    topics: tuple[str, ...]
    audiences: tuple[str, ...] = ()
    published_at: dt.datetime | None = None
    town: str = ""


@dataclass(frozen=True)
class Signal:
    """One event of the visitor on ``topic``, of weight ``weight`` (ASKED, ASKED_SECONDARY, READ) at ``at``."""

    topic: str
    at: dt.datetime
    weight: float


@dataclass
class Profile:
    """What the feed knows of one visitor: their events, the candidates they already read (key → when), their town
    (code, or "") and their declared audience ("" when none)."""

    signals: list[Signal] = field(default_factory=list)
    read: dict[str, dt.datetime] = field(default_factory=dict)
    town: str = ""
    declared_audience: str = ""

    @property
    def is_cold(self) -> bool:
        return not self.signals and not self.declared_audience


@dataclass(frozen=True)
class Params:
    half_life_days: float = 45.0
    prior_strength: float = PRIOR_STRENGTH
    town_shrink: float = TOWN_SHRINK
    w_audience: float = W_AUDIENCE
    w_fresh: float = W_FRESH


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float
    read: bool
    reasons: tuple[str, ...]  # ("topic:<topic>", "town", "county", "audience:<audience>", "new")


def decay(age: dt.timedelta, half_life_days: float) -> float:
    days = max(0.0, age.total_seconds() / 86400)
    return 0.5 ** (days / half_life_days) if half_life_days > 0 else 1.0


def topic_weights(signals: Iterable[Signal], now: dt.datetime, half_life_days: float) -> dict[str, float]:
    """{topic: the visitor's decayed event weight on it} (events after ``now`` ignored)."""
    raw: Counter = Counter()
    for s in signals:
        if s.topic and s.at <= now:
            raw[s.topic] += s.weight * decay(now - s.at, half_life_days)
    return {t: v for t, v in raw.items() if v > 0}


def derived_audiences(affinity: Mapping[str, float], declared: str = "") -> frozenset[str]:
    """The declared audience, else those of the visitor's strongest topics (affinity ≥ 0.5)."""
    if declared:
        return frozenset({declared})
    return frozenset(TOPIC_AUDIENCE[t] for t, a in affinity.items() if a >= 0.5 and t in TOPIC_AUDIENCE)


def popularity(candidates: Iterable[Candidate], reads: Mapping[str, float], asks: Mapping[str, float]) -> dict[str, float]:
    """{candidate key: reads of it + questions on its topics} in one place (``reads``: key → count; ``asks``: topic →
    count). A candidate with several topics takes its best topic's questions."""
    return {c.key: reads.get(c.key, 0.0) + max((asks.get(t, 0.0) for t in c.topics), default=0.0) for c in candidates}


def _personal(c: Candidate, weights: Mapping[str, float]) -> tuple[float, str]:
    """The visitor's decayed event weight on the candidate's best topic (+ SECOND_TOPIC × the next best)."""
    scored = sorted(((weights.get(t, 0.0), t) for t in c.topics), reverse=True)
    if not scored or scored[0][0] <= 0:
        return 0.0, ""
    best, topic = scored[0]
    return best + (SECOND_TOPIC * scored[1][0] if len(scored) > 1 else 0.0), topic


def _relative(pop: Mapping[str, float], pool: list[Candidate]) -> tuple[dict[str, float], float]:
    peak = max((pop.get(c.key, 0.0) for c in pool), default=0.0)
    return ({c.key: pop.get(c.key, 0.0) / peak for c in pool} if peak > 0 else {}), peak


def rank(candidates: Iterable[Candidate], profile: Profile, *, town_popularity: Mapping[str, float],
         county_popularity: Mapping[str, float], now: dt.datetime, params: Params = Params()) -> list[Ranked]:
    """The visitor's feed, best first (module docstring). Candidates scoped to another town are left out."""
    pool = [c for c in candidates if not c.town or c.town == profile.town]
    town_rel, town_peak = _relative(town_popularity, pool) if profile.town else ({}, 0.0)
    county_rel, _ = _relative(county_popularity, pool)
    local = town_peak > 0
    trust = town_peak / (town_peak + params.town_shrink) if local else 0.0
    weights = topic_weights(profile.signals, now, params.half_life_days)
    mass = sum(weights.values())
    top = max(weights.values(), default=0.0)
    audiences = derived_audiences({t: w / top for t, w in weights.items()} if top else {}, profile.declared_audience)
    out = []
    for c in pool:
        reasons: list[str] = []
        personal, topic = _personal(c, weights)
        if personal > 0:
            reasons.append(f"topic:{topic}")
        popular = trust * town_rel.get(c.key, 0.0) + (1 - trust) * county_rel.get(c.key, 0.0)
        if popular >= 0.5:
            reasons.append("town" if local else "county")
        audience = next((a for a in c.audiences if a in audiences), "")
        if audience:
            reasons.append(f"audience:{audience}")
        fresh = decay(now - c.published_at, FRESH_HALF_LIFE_DAYS) if c.published_at else 0.0
        score = ((personal + params.prior_strength * popular) / (mass + params.prior_strength)
                 + params.w_audience * (1.0 if audience else 0.0) + params.w_fresh * fresh)
        out.append(Ranked(c, round(score, 6), c.key in profile.read, tuple(reasons)))
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    out.sort(key=lambda r: (r.read, -r.score, -(r.candidate.published_at or oldest).timestamp(), r.candidate.key))
    return out


def precision_recall_at(ranked_keys: list[str], relevant: set[str], k: int = 10) -> tuple[float, float]:
    """precision@k and recall@k of one ranking (the offline evaluation's measure)."""
    if not relevant:
        return 0.0, 0.0
    hits = sum(1 for key in ranked_keys[:k] if key in relevant)
    return hits / k, hits / len(relevant)
