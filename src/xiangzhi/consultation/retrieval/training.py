"""Training data of the shipped model: which questions train it, from the committed splits.

The reference data (STARD, the real consultations, the topic-labelled consultations) lives outside the product
(``../shared/data``); only the training command and the benches read it.  The splits (``data/splits/``) fix which
questions train and which evaluate, so nothing is tuned on a test part.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from .corpus import SPLITS_DIR, read_jsonl
from .engine import Engine
from .text import DATA_DIR
from .topics import REFERENCE_TOPICS, QuestionTopics, article_topic, normalize_question

STARD_SPLIT = "random"
CONSULT_SPLIT = "consult"
TOPICS_SPLIT = "topics"
# Hand-written questions of the kinds the reference labels lack (村务), in villagers' words.
TOPIC_SEEDS_PATH = DATA_DIR / "topic_seeds.jsonl"


def read_qids(name: str, part: str) -> list[str]:
    """The qids (as strings) of one part (``train``/``test``) of a committed split."""
    return (SPLITS_DIR / f"{name}_{part}.txt").read_text(encoding="utf-8").split()


def select(records: list[dict[str, Any]], name: str, part: str) -> list[dict[str, Any]]:
    """The records of ``records`` in one part of a split, in the split file's order."""
    by_qid = {str(r["qid"]): r for r in records}
    return [by_qid[q] for q in read_qids(name, part) if q in by_qid]


def retrieval_questions(shared_data: Path, part: str) -> dict[str, list[dict[str, Any]]]:
    """STARD and consultation questions of one part: ``{"stard": [...], "consult": [...]}``."""
    stard = list(read_jsonl(shared_data / "stard" / "train.jsonl"))
    consult = list(read_jsonl(shared_data / "consultations" / "train.jsonl"))
    return {"stard": select(stard, STARD_SPLIT, part), "consult": select(consult, CONSULT_SPLIT, part)}


def topic_questions(shared_data: Path, part: str) -> list[dict[str, Any]]:
    """Topic-labelled consultations (``qid``, ``question``, ``topic`` = reference kind) of one part."""
    return select(list(read_jsonl(shared_data / "consultations" / "topics.jsonl")), TOPICS_SPLIT, part)


def _topic_of_cited(relevant: list[str], by_id: dict[str, dict[str, Any]], *, code: bool = True) -> str | None:
    """The platform topic most of the cited articles fall under (``其他`` ignored; ties: the first cited); with
    ``code=False`` only articles of special laws count (not the 民法典, whose contract part most questions cite)."""
    counts: dict[str, int] = {}
    for rid in relevant:
        art = by_id.get(rid)
        if art is not None and (code or art.get("short") != "民法典"):
            t = article_topic(art)
            if t != "其他":
                counts[t] = counts.get(t, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def _text_key(text: str) -> str:
    return re.sub(r"\W", "", normalize_question(text))


def weak_topic_questions(shared_data: Path, articles: list[dict[str, Any]], *, per_topic: int = 150,
                         seed: int = 0) -> dict[str, list[tuple[str, str]]]:
    """Weakly topic-labelled texts, no hand labelling: ``{"stard": ..., "consult": ..., "articles": ...}`` of
    ``(text, platform topic)``.  STARD (``random_train``) and consultation (``consult_train``) questions get the topic
    of the articles they cite (``stard_laws``/``consult_laws``: of the special-law articles they cite, 民法典 ignored); national-law articles (not local regulations) their own topic by ``article_topic``,
    at most ``per_topic`` per topic (seeded sample, first 200 characters).  Only train parts are read, and any text
    equal to a question of ``topics.jsonl`` (either part) is dropped."""
    import random

    by_id = {a["id"]: a for a in articles}
    topic_keys = {_text_key(q["question"]) for q in read_jsonl(shared_data / "consultations" / "topics.jsonl")}
    retrieval = retrieval_questions(shared_data, "train")
    out: dict[str, list[tuple[str, str]]] = {}
    for source in ("stard", "consult"):
        out[source] = [(q["question"], t) for q in retrieval[source]
                       if (t := _topic_of_cited(q["relevant"], by_id)) and _text_key(q["question"]) not in topic_keys]
        out[source + "_laws"] = [
            (q["question"], t) for q in retrieval[source]
            if (t := _topic_of_cited(q["relevant"], by_id, code=False)) and _text_key(q["question"]) not in topic_keys]
    by_topic: dict[str, list[str]] = {}
    for a in articles:
        t = article_topic(a)
        if t != "其他" and a.get("category") != "DLC" and a.get("text"):
            by_topic.setdefault(t, []).append(a["text"][:200])
    rng = random.Random(seed)
    out["articles"] = []
    for t in sorted(by_topic):
        texts = sorted(by_topic[t])
        rng.shuffle(texts)
        out["articles"] += [(x, t) for x in texts[:per_topic] if _text_key(x) not in topic_keys]
    return out


def fit_topics(train: list[dict[str, Any]]) -> QuestionTopics:
    """The question topic classifier, trained on topic-labelled consultations (reference kinds mapped onto the
    platform's topics; kinds the platform does not serve left out) and the hand-written village-affairs seeds."""
    pairs = [(q["question"], REFERENCE_TOPICS[q["topic"]]) for q in train if REFERENCE_TOPICS.get(q["topic"])]
    pairs += [(q["question"], q["topic"]) for q in read_jsonl(TOPIC_SEEDS_PATH)]
    return QuestionTopics(matter_cues=True).fit([p[0] for p in pairs], [p[1] for p in pairs])


# The hand-off operating point: the robot answers alone only when at least this share of such answers (held out
# during training) have a cited article among their top 3.
HANDOFF_TARGET = 0.6


def handoff_threshold(out_of_fold: list[tuple[Any, float, bool]], target: float = HANDOFF_TARGET) -> float:
    """The lowest confidence threshold at which the answers given alone (confidence ≥ threshold) are right (top 3
    holds a cited article) at least ``target`` of the time; the threshold of the best such share when none reaches
    it."""
    if not out_of_fold:
        return 1.0
    conf = np.asarray([c for _, c, _ in out_of_fold])
    right = np.asarray([h for _, _, h in out_of_fold], float)
    best_t, best_share = 1.0, -1.0
    for t in np.unique(conf):
        alone = conf >= t
        share = float(right[alone].mean())
        if share >= target:
            return float(t)
        if share > best_share:
            best_t, best_share = float(t), share
    return best_t


def train(articles: list[dict[str, Any]], retrieval: list[dict[str, Any]], topics: list[dict[str, Any]], *,
          seed: int = 0, cache_dir: Path | None = None, handoff_qids: set[str] | None = None,
          ) -> tuple[Engine, QuestionTopics, dict[str, Any]]:
    """Build the engine on ``articles``, fit it on the retrieval questions (``qid``, ``question``, ``relevant``) with
    ``seed``, pick the hand-off threshold on the held-out predictions of the ``handoff_qids`` questions (all when
    None) and fit the topic classifier.  Returns the engine, the topic classifier and a summary."""
    engine = Engine.build(articles, cache_dir=cache_dir)
    summary = engine.fit(retrieval, seed=seed)
    oof = [o for o in engine.out_of_fold if handoff_qids is None or str(o[0]) in handoff_qids]
    engine.config = replace(engine.config, handoff_threshold=handoff_threshold(oof))
    model = fit_topics(topics)
    summary.update({"questions": len(retrieval), "topic_questions": len(topics), "seed": seed,
                    "handoff_threshold": engine.config.handoff_threshold, "handoff_questions": len(oof)})
    return engine, model, summary
