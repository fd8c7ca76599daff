"""Benchmark: offline evaluation of the 为你推荐 feed (``xiangzhi.outreach.feed``) against a most-popular-in-town
baseline, on a time split of an event log built from real questions (pure: no database).

Run with ``XIANGZHI_SHARED_DIR=../shared python bench/outreach_feed.py``. Prints precision@10 and recall@10 of the feed and of the baseline, and
their ratios, for the visitors with history (warm) and for every visitor of the test period.

THE EVENT-LOG RULE (fixed before the feed was tuned; the feed may change, this rule may not)
-------------------------------------------------------------------------------------------
``h(s)`` = the first 13 hex digits of SHA-256(s, UTF-8) as a number, divided by 16**13 (uniform in [0, 1)).

1. Questions: every line of ``$XIANGZHI_SHARED_DIR/data/stard/train.jsonl`` (STARD's training split, 1,235),
   ``data/consultations/train.jsonl`` (299) and ``data/consultations/topics.jsonl`` (486); ``qid`` is the source name
   and the line's qid (``stard:17``). Nothing else: the held-back parts named in the READMEs are not in these files
   and are not looked up.
2. Topics (consultation's taxonomy, ``TOPICS``): a question with ``relevant`` articles takes the topic of each found
   in ``data/laws/articles.jsonl.gz`` by ``consultation.retrieval.topics.article_topic``; its primary topic is the most
   frequent one (ties: the first in ``relevant``), its topics are all of them. A question none of whose articles is
   in the corpus is left out. A ``topics.jsonl`` question takes LABEL_TOPIC[its label] (the table below) as its only
   topic.
3. Visitors: people come back about their own matter. With Q questions, N = ceil(Q / 5) visitors. For a question
   of primary topic t (n_t questions of that topic): if h("stay:" + qid) < STAY = 0.6 it is asked by one of the
   ceil(0.6 × n_t / 5) people who have a matter on t: b = floor(h("who:" + qid) × that number), visitor =
   floor(h("matter:" + t + ":" + b) × N); otherwise by anyone: visitor = floor(h("who:" + qid) × N).
4. Town: each visitor lives in one of the 11 towns of ``data/divisions/tongxiang.json`` (in file order):
   TOWNS[floor(h("town:" + visitor) × 11)].
5. Time: a question is asked at 2026-01-01 00:00 UTC + h("time:" + qid) × 180 days.
6. Split: t* = the event time below which 80 % of the events lie; events before t* are the history, the rest the
   test period.
7. Library: for every topic of TOPICS, 3 items ``item:<topic>:<i>`` tagged with that topic, for the audience
   TOPIC_AUDIENCE.get(topic, "farmers"), published at 2026-01-01 − h("pub:" + key) × 60 days. No reads are in the
   log (no real reading data exists): the evaluation measures the questions, the town and the recency.
8. Ground truth: a visitor's relevant items are the items of every topic (primary or not) of their test-period
   questions. Evaluated: every visitor with a test-period question; "warm" = those who also have a history.
9. Baseline: every visitor of a town gets the same list: the items by their popularity in the town (questions
   asked there on the item's topic in [t* − POPULAR_DAYS, t*), ``feed.popularity``), ties broken as the feed breaks
   them. Feed: ``feed.rank`` at t* with the visitor's history (primary topic ASKED, others ASKED_SECONDARY), the
   town's and the county's popularity of the same window, no declared audience.
10. Measures: precision@10 and recall@10 per visitor, averaged; ratio = feed / baseline.

Control (printed, not the rule): the same log with STAY = 0 — questions handed to visitors at random, so nobody has
a matter of their own; it shows how much of the feed's gain comes from the persistence that rule 3 assumes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import math
import os
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from xiangzhi.consultation.retrieval.topics import TOPICS, article_topic  # noqa: E402
from xiangzhi.outreach import feed  # noqa: E402

STAY = 0.6
PER_VISITOR = 5
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SPREAD_DAYS = 180
TRAIN_SHARE = 0.8
ITEMS_PER_TOPIC = 3
K = 10

# The 20 labels of consultations/topics.jsonl → consultation's taxonomy.
LABEL_TOPIC = {
    "婚姻家庭": "婚姻家庭", "劳动纠纷": "劳动争议", "交通事故": "道路交通事故", "债权债务": "借贷", "刑事辩护": "刑事",
    "合同纠纷": "合同", "房产纠纷": "房屋宅基地", "侵权": "损害赔偿", "公司法": "生产经营", "医疗纠纷": "医疗",
    "拆迁安置": "征地拆迁", "行政诉讼": "行政", "建设工程": "合同", "知识产权": "知识产权", "综合咨询": "其他",
    "人身损害": "损害赔偿", "涉外法律": "其他", "海事海商": "其他", "消费权益": "消费", "抵押担保": "借贷",
}


def h(s: str) -> float:
    return int(hashlib.sha256(s.encode()).hexdigest()[:13], 16) / 16**13


@dataclass(frozen=True)
class Asked:
    qid: str
    topic: str
    topics: tuple[str, ...]
    visitor: str = ""
    town: str = ""
    at: dt.datetime = T0


def data_dir() -> Path:
    shared = os.environ.get("XIANGZHI_SHARED_DIR") or str(Path(__file__).resolve().parents[2] / "shared")
    return Path(shared) / "data"


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_questions(root: Path) -> tuple[list[Asked], int]:
    """Rules 1–2: the questions and their topics; also how many were left out (no article in the corpus)."""
    wanted: set[str] = set()
    cited = [("stard", read_jsonl(root / "stard" / "train.jsonl")),
             ("consult", read_jsonl(root / "consultations" / "train.jsonl"))]
    for _, rows in cited:
        for row in rows:
            wanted.update(row["relevant"])
    topic_of: dict[str, str] = {}
    with gzip.open(root / "laws" / "articles.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if rec["id"] in wanted:
                topic_of[rec["id"]] = article_topic(rec)
    out, dropped = [], 0
    for source, rows in cited:
        for row in rows:
            found = [topic_of[a] for a in row["relevant"] if a in topic_of]
            if not found:
                dropped += 1
                continue
            counts = Counter(found)
            primary = max(found, key=lambda t: (counts[t], -found.index(t)))
            out.append(Asked(f"{source}:{row['qid']}", primary, tuple(dict.fromkeys(found))))
    for row in read_jsonl(root / "consultations" / "topics.jsonl"):
        topic = LABEL_TOPIC[row["topic"]]
        out.append(Asked(f"topics:{row['qid']}", topic, (topic,)))
    return out, dropped


def towns_of(root: Path) -> list[str]:
    tree = json.loads((root / "divisions" / "tongxiang.json").read_text(encoding="utf-8"))
    return [t["code"] for t in tree["children"] if t.get("level") == "town"]


def build_log(questions: list[Asked], towns: list[str], *, stay: float) -> list[Asked]:
    """Rules 3–5: who asked each question, in which town, when."""
    n = math.ceil(len(questions) / PER_VISITOR)
    per_topic = Counter(q.topic for q in questions)
    out = []
    for q in questions:
        if h("stay:" + q.qid) < stay:
            people = math.ceil(stay * per_topic[q.topic] / PER_VISITOR)
            b = int(h("who:" + q.qid) * people)
            visitor = str(int(h(f"matter:{q.topic}:{b}") * n))
        else:
            visitor = str(int(h("who:" + q.qid) * n))
        town = towns[int(h("town:" + visitor) * len(towns))]
        at = T0 + dt.timedelta(days=h("time:" + q.qid) * SPREAD_DAYS)
        out.append(Asked(q.qid, q.topic, q.topics, visitor, town, at))
    return sorted(out, key=lambda e: (e.at, e.qid))


def library() -> list[feed.Candidate]:
    """Rule 7."""
    out = []
    for topic in TOPICS:
        for i in range(ITEMS_PER_TOPIC):
            key = f"item:{topic}:{i}"
            out.append(feed.Candidate(key, (topic,), (feed.TOPIC_AUDIENCE.get(topic, "farmers"),),
                                      T0 - dt.timedelta(days=h("pub:" + key) * 60)))
    return out


@dataclass
class Scores:
    feed_p: list[float]
    feed_r: list[float]
    base_p: list[float]
    base_r: list[float]

    def line(self, label: str) -> str:
        fp, fr = statistics.fmean(self.feed_p), statistics.fmean(self.feed_r)
        bp, br = statistics.fmean(self.base_p), statistics.fmean(self.base_r)
        return (f"{label:<26} n={len(self.feed_p):>4}  feed P@{K} {fp:.4f} R@{K} {fr:.4f}   "
                f"baseline P@{K} {bp:.4f} R@{K} {br:.4f}   ratio P {fp / bp:.2f}× R {fr / br:.2f}×")


def evaluate(log: list[Asked], items: list[feed.Candidate], params: feed.Params) -> tuple[Scores, Scores, dt.datetime]:
    """Rules 6, 8–10: (warm visitors, all visitors, t*)."""
    split = log[int(TRAIN_SHARE * len(log))].at
    history = [e for e in log if e.at < split]
    test = [e for e in log if e.at >= split]
    since = split - dt.timedelta(days=feed.POPULAR_DAYS)
    town_asks: dict[str, Counter] = defaultdict(Counter)
    county_asks: Counter = Counter()
    for e in history:
        if e.at >= since:
            town_asks[e.town][e.topic] += 1
            county_asks[e.topic] += 1
    county_pop = feed.popularity(items, {}, county_asks)
    town_pop = {town: feed.popularity(items, {}, asks) for town, asks in town_asks.items()}
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    baseline_of: dict[str, list[str]] = {}
    signals: dict[str, list[feed.Signal]] = defaultdict(list)
    for e in history:
        signals[e.visitor].append(feed.Signal(e.topic, e.at, feed.ASKED))
        signals[e.visitor] += [feed.Signal(t, e.at, feed.ASKED_SECONDARY) for t in e.topics if t != e.topic]
    wanted: dict[str, set[str]] = defaultdict(set)
    town_of: dict[str, str] = {}
    for e in test:
        wanted[e.visitor].update(e.topics)
        town_of[e.visitor] = e.town
    warm, every = Scores([], [], [], []), Scores([], [], [], [])
    for visitor in sorted(wanted, key=int):
        town = town_of[visitor]
        relevant = {c.key for c in items if set(c.topics) & wanted[visitor]}
        if town not in baseline_of:
            pop = town_pop.get(town, {})
            baseline_of[town] = [c.key for c in sorted(items, key=lambda c: (
                -pop.get(c.key, 0.0), -(c.published_at or oldest).timestamp(), c.key))]
        profile = feed.Profile(signals=signals.get(visitor, []), town=town)
        ranked = feed.rank(items, profile, town_popularity=town_pop.get(town, {}), county_popularity=county_pop,
                           now=split, params=params)
        fp, fr = feed.precision_recall_at([r.candidate.key for r in ranked], relevant, K)
        bp, br = feed.precision_recall_at(baseline_of[town], relevant, K)
        for s in ([warm, every] if visitor in signals else [every]):
            s.feed_p.append(fp)
            s.feed_r.append(fr)
            s.base_p.append(bp)
            s.base_r.append(br)
    return warm, every, split


GRID = {"half_life_days": (30.0, 45.0, 90.0), "prior_strength": (0.5, 1.0, 2.0, 4.0), "town_shrink": (1.0, 10.0, 50.0)}


def tune(log: list[Asked], items: list[feed.Candidate]) -> tuple[feed.Params, float]:
    """The feed's parameters chosen on the history only: its first 80 % as history, its last 20 % as validation
    (64 % / 16 % of the log; the test period is never seen). Best warm precision@10, then recall@10."""
    history = log[: int(TRAIN_SHARE * len(log))]
    best, best_key = feed.Params(), (-1.0, -1.0)
    for hl in GRID["half_life_days"]:
        for prior in GRID["prior_strength"]:
            for shrink in GRID["town_shrink"]:
                params = feed.Params(half_life_days=hl, prior_strength=prior, town_shrink=shrink)
                warm, _, _ = evaluate(history, items, params)
                key = (statistics.fmean(warm.feed_p), statistics.fmean(warm.feed_r))
                if key > best_key:
                    best, best_key = params, key
    return best, best_key[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half-life", type=float, default=feed.Params().half_life_days, help="topic half-life (days)")
    parser.add_argument("--prior", type=float, default=feed.Params().prior_strength, help="popularity prior (events)")
    parser.add_argument("--shrink", type=float, default=feed.Params().town_shrink, help="town → county shrinkage")
    parser.add_argument("--no-tune", action="store_true", help="skip the validation grid")
    args = parser.parse_args()
    params = feed.Params(half_life_days=args.half_life, prior_strength=args.prior, town_shrink=args.shrink)
    root = data_dir()
    if not (root / "stard" / "train.jsonl").exists():
        sys.exit(f"no data at {root}: set XIANGZHI_SHARED_DIR to the shared folder (with data/stard, data/consultations,"
                 " data/laws, data/divisions)")
    questions, dropped = load_questions(root)
    towns = towns_of(root)
    items = library()
    log = build_log(questions, towns, stay=STAY)
    print(f"questions {len(questions)} (left out, no article in the corpus: {dropped}); towns {len(towns)}; "
          f"visitors {len({e.visitor for e in log})}; library items {len(items)}; events {len(log)}")
    warm, every, split = evaluate(log, items, params)
    print(f"time split at {split:%Y-%m-%d %H:%M} (80 % history / 20 % test)")
    print(f"feed parameters: half-life {params.half_life_days} d, popularity prior {params.prior_strength}, "
          f"town shrinkage {params.town_shrink}")
    print(warm.line("rule (STAY=0.6), warm"))
    print(every.line("rule (STAY=0.6), all"))
    control_warm, control_all, _ = evaluate(build_log(questions, towns, stay=0.0), items, params)
    print(control_warm.line("control STAY=0, warm"))
    print(control_all.line("control STAY=0, all"))
    if not args.no_tune:
        picked, val_p = tune(log, items)
        print(f"validation pick (history only): half-life {picked.half_life_days} d, prior {picked.prior_strength}, "
              f"shrinkage {picked.town_shrink} (validation warm P@{K} {val_p:.4f})"
              + ("  = the defaults" if picked == params else ""))
        if picked != params:
            print(evaluate(log, items, picked)[0].line("rule, warm, picked params"))
    beats = (statistics.fmean(warm.feed_p) > statistics.fmean(warm.base_p)
             and statistics.fmean(warm.feed_r) > statistics.fmean(warm.base_r))
    print("feed beats the most-popular-in-town baseline on the rule's log:", "yes" if beats else "NO")


if __name__ == "__main__":
    main()
