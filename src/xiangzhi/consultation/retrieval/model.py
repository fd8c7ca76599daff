"""The shipped model: what the robot learned from labelled questions, stored in the package.

``xiangzhi consult_train`` (the only code that reads the reference data under ``../shared``) trains the re-ranker,
its knowledge (kNN over training questions, priors, term maps, classifiers), the confidence calibration, the
hand-off threshold and the question topic classifier, and writes them to :data:`MODEL_PATH`.  At run time an engine
built on any corpus attaches this file (:func:`attach`): article, law and chapter positions are re-mapped by article
id, so the model serves the full corpus it was trained on as well as a subset or a newer edition (articles it never
saw simply get no learned votes).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import pickle
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .text import DATA_DIR
from .topics import QuestionTopics

if TYPE_CHECKING:
    from .engine import Engine
    from .knowledge import Knowledge

log = logging.getLogger(__name__)

MODEL_PATH = DATA_DIR / "model" / "consult-model.pkl.gz"
FORMAT = 1


def ids_digest(ids: list[str]) -> str:
    """Hash of the article ids in index order."""
    h = hashlib.sha256()
    for aid in ids:
        h.update(aid.encode())
        h.update(b"\x1f")
    return h.hexdigest()[:16]


def save(engine: Engine, topics: QuestionTopics, path: Path = MODEL_PATH, *, meta: dict[str, Any] | None = None) -> Path:
    """Write the trained parts of ``engine`` and the topic classifier (deterministic bytes for the same model)."""
    from .engine import FEATURE_NAMES

    if engine.knowledge is None or engine.reranker is None:
        raise ValueError("the engine has no trained model to save")
    knowledge = _slim_knowledge(engine.knowledge)
    state = {
        "format": FORMAT,
        "features": FEATURE_NAMES,
        "ids": list(engine.ids),
        "laws": list(engine.laws),
        "article_chapter": np.asarray(engine.article_chapter, np.int32),
        "knowledge": knowledge,
        "reranker": engine.reranker,
        "calibration": engine.calibration,
        "handoff_threshold": float(engine.config.handoff_threshold),
        "topics": topics.state(),
        "meta": meta or {},
    }
    return write(state, path)


def write(state: dict[str, Any], path: Path = MODEL_PATH) -> Path:
    """Write a model state (gzip pickle without a name or time stamp: the same state gives the same bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with tmp.open("wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=9) as fh:
        pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return path


def read(path: Path = MODEL_PATH) -> dict[str, Any] | None:
    """The stored model state, or None when there is no model file."""
    if not path.exists():
        return None
    with gzip.open(path, "rb") as fh:
        return pickle.load(fh)  # noqa: S301 - the package's own model file


def attach(engine: Engine, path: Path = MODEL_PATH, state: dict[str, Any] | None = None) -> bool:
    """Give ``engine`` the shipped model: topic classifier always; re-ranker, knowledge, calibration and hand-off
    threshold when the feature set matches.  Returns whether the re-ranker was attached."""
    from .engine import FEATURE_NAMES

    state = state if state is not None else read(path)
    if state is None:
        log.warning("no shipped consultation model at %s: ranking without a learned model", path)
        return False
    try:
        engine.topic_model = QuestionTopics.from_state(state["topics"])
    except ValueError:
        log.warning("shipped topic model is for another taxonomy; keyword cues only")
    if tuple(state["features"]) != FEATURE_NAMES or state.get("format") != FORMAT:
        log.warning("shipped model was trained on another feature set: ranking without it (rerun consult_train)")
        return False
    knowledge = state["knowledge"]
    if state["ids"] != list(engine.ids):
        knowledge = remap(knowledge, state, engine)
    for name in ("law_clf", "chapter_clf", "article_clf"):
        clf = getattr(knowledge, name)
        if clf is not None and len(clf) == 4:  # int8 coefficients with a scale per class
            classes, coef, scale, intercept = clf
            knowledge = replace(knowledge, **{name: (classes, coef.astype(np.float32) * scale[None, :], intercept)})
    engine.knowledge = knowledge
    engine.reranker = state["reranker"]
    engine.calibration = state["calibration"]
    engine.config = replace(engine.config, handoff_threshold=state["handoff_threshold"])
    return True


def remap(knowledge: Knowledge, state: dict[str, Any], engine: Engine) -> Knowledge:
    """A copy of ``knowledge`` with article, law and chapter positions moved to ``engine``'s index (by article id and
    law name); whatever the engine's corpus lacks maps to -1 and is ignored."""
    art = np.asarray([engine.id_index.get(aid, -1) for aid in state["ids"]], np.int64)
    law_index = {name: i for i, name in enumerate(engine.laws)}
    law = np.asarray([law_index.get(name, -1) for name in state["laws"]], np.int64)
    old_chapter = state["article_chapter"]
    chapter = np.full(int(old_chapter.max()) + 1 if len(old_chapter) else 0, -1, np.int64)
    present = np.flatnonzero(art >= 0)
    chapter[old_chapter[present]] = engine.article_chapter[art[present]]
    k = replace(knowledge)
    k.n_articles, k.n_laws = len(engine.ids), len(engine.laws)
    k.n_chapters = int(engine.article_chapter.max()) + 1 if len(engine.ids) else 0
    k.cited = [a[a >= 0] for a in (art[c] for c in knowledge.cited)]
    k.article_counts = _moved(knowledge.article_counts, art, k.n_articles)
    k.law_counts = _moved(knowledge.law_counts, law, k.n_laws)
    k.question_doc_article = art[knowledge.question_doc_article]
    k.chapter_doc_chapter = chapter[knowledge.chapter_doc_chapter]
    for name, mapping in (("law_clf", law), ("chapter_clf", chapter), ("article_clf", art)):
        clf = getattr(knowledge, name)
        if clf is not None:
            setattr(k, name, (mapping[clf[0]], *clf[1:]))
    return k


def _moved(values: np.ndarray, mapping: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, values.dtype)
    keep = mapping >= 0
    np.add.at(out, mapping[keep], values[keep])
    return out


def _slim_knowledge(knowledge: Knowledge) -> Knowledge:
    """The knowledge as shipped: the law, chapter and article classifiers' coefficients as int8 with a scale per
    class (max |coefficient| / 127; a query's logit moves by well under 1 %), which keeps the file a few MB."""
    k = replace(knowledge)
    for name in ("law_clf", "chapter_clf", "article_clf"):
        clf = getattr(k, name)
        if clf is not None and len(clf) == 3:
            classes, coef, intercept = clf
            scale = np.maximum(np.abs(coef).max(axis=0), 1e-12).astype(np.float32) / 127.0
            quantised = np.round(coef / scale[None, :]).astype(np.int8)
            setattr(k, name, (classes, quantised, scale, intercept.astype(np.float32)))
    return k
