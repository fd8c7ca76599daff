"""The consultation retrieval engine: index, candidates, learned re-ranking, topic, confidence."""

from __future__ import annotations

import json
import logging
import math
import os
import pickle
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from . import tokens as token_file
from .bm25 import BM25Index
from .corpus import ARTICLE_FIELDS, corpus_hash, slim_article
from .faq import FaqEntry, FaqMatch, FaqMatcher
from .knowledge import Knowledge, Neighbours
from .text import (
    Rewriter,
    Tokenizer,
    char_bigrams,
    cjk_runs,
    clean_heading,
    heading_terms,
    normalize,
    reduce_text,
)
from .topics import TOPIC_INDEX, TOPICS, TopicClassifier, article_topic

log = logging.getLogger(__name__)

ENGINE_VERSION = "xz-retrieval-6"
FEATURE_NAMES: tuple[str, ...] = (
    "s_text", "s_text_rel", "rank_text", "s_head", "s_head_rel", "rank_first", "law_prior", "article_prior",
    "knn_sum", "knn_max", "knn_law", "knn_chapter", "knn_adjacent", "topic_prob", "topic_is_top", "q_len",
    "doc_len", "coverage", "is_code", "category", "article_no", "top_sim", "s_rewrite_rel", "n_rewrites",
    "s_qdoc", "s_qdoc_rel", "knn_sum_rel", "knn_law_rel", "knn_chapter_rel", "s_bigram", "s_bigram_rel",
    "rank_bigram", "chapter_text_max", "law_text_max", "adjacent_text", "s_chapter_doc", "s_chapter_doc_rel",
    "s_expansion_rel", "rank_expansion", "cknn_sum", "cknn_max", "cknn_sum_rel", "cknn_law_rel", "idf_max_hit",
    "rarest_hit", "matched_share", "n_matched", "s_nprf_rel", "rank_nprf",
    "law_clf", "law_clf_rel", "chapter_clf", "chapter_clf_rel", "article_clf", "article_clf_rel",
    "phrase3", "phrase4", "longest_phrase", "phrase3_idf",
)
CATEGORY_FEATURE = FEATURE_NAMES.index("category")
_SLIM = frozenset(ARTICLE_FIELDS)
# Stable codes of the corpus categories (a re-ranker feature): the same code for a category in any corpus, so a model
# trained on the full corpus scores a smaller or newer one; a category not listed gets the next code.
CATEGORIES: tuple[str, ...] = (
    "DLC", "其他", "刑法", "司法解释", "宪法", "宪法相关法", "民法典", "民法商法", "社会法", "经济法", "行政法", "行政法规",
    "诉讼与非诉讼程序法", "部门规章",
)
CATEGORY_CODES = {c: i for i, c in enumerate(CATEGORIES)}


@dataclass
class Config:
    """Tunable knobs (defaults chosen on training folds only)."""

    rewrite_weight: float = 0.7
    head_weight: float = 0.3
    prior_weight: float = 1.0
    n_text: int = 100
    n_first: int = 100
    n_law_focus: int = 30
    n_neighbours: int = 20
    long_query_tokens: int = 18
    handoff_threshold: float = 0.3
    ambiguity_margin: float = 0.15
    faq_threshold: float = 0.75
    ranker: str = "lambdarank"
    adjacent_window: int = 2
    n_adjacent_neighbours: int = 10
    n_chapters: int = 5
    n_chapter_focus: int = 40
    ranker_rounds: int = 300
    ranker_min_leaf: int = 20
    ranker_min_questions: int = 200
    extra_features: bool = True
    learned_expansion: bool = True
    char_knn: bool = True
    ranker_seeds: int = 3
    ranker_truncation: int = 20
    ranker_leaves: int = 31
    n_prf_neighbours: int = 5
    n_prf_terms: int = 30
    group_classifiers: bool = True
    cross_fit_folds: int = 5
    term_features: bool = True
    article_classifier: bool = True
    phrase_features: bool = True


@dataclass
class Citation:
    """An article to show with an answer."""

    id: str
    law: str
    label: str
    text: str
    score: float


@dataclass
class Answer:
    """Structured result of :meth:`Engine.answer`."""

    question: str
    ranked: list[tuple[str, float]]
    citations: list[Citation]
    topic: str
    topic_scores: dict[str, float]
    confidence: float
    ambiguous: bool
    handoff: bool
    clarify_topics: list[str]
    faq: FaqMatch | None = None
    query_terms: list[str] = field(default_factory=list)
    # the kinds of matter that apply, the primary (``topic``) first (a worksite injury: 劳动争议, 损害赔偿)
    topics: list[str] = field(default_factory=list)


@dataclass
class Query:
    """A prepared question: tokens, rewrite expansions and BM25 term weights."""

    text: str
    tokens: list[str]
    rewrites: list[str]
    weights: dict[str, float]
    rewrite_weights: dict[str, float]
    bigram_weights: dict[str, float] = field(default_factory=dict)

    @property
    def knn_tokens(self) -> list[str]:
        """Tokens used to find similar training questions."""
        return self.tokens + self.rewrites


@dataclass
class Candidates:
    """Candidate article indices with their feature matrix."""

    index: np.ndarray
    features: np.ndarray
    topic_dist: np.ndarray


class Engine:
    """Statute retrieval for lay questions.  See the package docstring for the public API."""

    def __init__(self, articles: list[dict[str, Any]], config: Config | None = None) -> None:
        self.config = config or Config()
        self.ids = [a["id"] for a in articles]
        self.id_index = {aid: i for i, aid in enumerate(self.ids)}
        self.laws: list[str] = []
        law_of: dict[str, int] = {}
        chapter_of: dict[tuple, int] = {}
        self.article_law = np.zeros(len(articles), np.int32)
        self.article_chapter = np.zeros(len(articles), np.int32)
        self.article_topic = np.zeros(len(articles), np.int32)
        self.article_category = np.zeros(len(articles), np.int32)
        self.article_number = np.zeros(len(articles), np.float32)
        self.labels: list[str] = []
        self.texts: list[str] = []
        for i, a in enumerate(articles):
            law = a.get("short") or a.get("law") or ""
            if law not in law_of:
                law_of[law] = len(self.laws)
                self.laws.append(law)
            self.article_law[i] = law_of[law]
            key = (law, a.get("part"), a.get("chapter"), a.get("section"))
            self.article_chapter[i] = chapter_of.setdefault(key, len(chapter_of))
            self.article_topic[i] = TOPIC_INDEX[article_topic(a)]
            self.article_category[i] = CATEGORY_CODES.get(a.get("category") or "", len(CATEGORIES))
            self.article_number[i] = float(a.get("number") or 0)
            self.labels.append(a.get("label") or "")
            self.texts.append(a.get("text") or "")
        self.is_code = np.asarray([law == "民法典" for law in self.laws], bool)[self.article_law]
        self.heading_terms: list[str] = sorted(heading_terms(articles))
        self.tokenizer = Tokenizer(self.heading_terms)
        self.term_freqs = dict(self.tokenizer.term_freqs)
        self.text_index: BM25Index | None = None
        self.head_index: BM25Index | None = None
        self.bigram_index: BM25Index | None = None
        self.doc_len = np.zeros(len(articles), np.float32)
        self.corpus_key = ""
        self.knowledge: Knowledge | None = None
        self.reranker: Any = None
        self.model_key = ""
        self.calibration: tuple[np.ndarray, np.ndarray] | None = None
        self.rewriter = Rewriter.from_tsv()
        self.faq = FaqMatcher(self.tokenizer.query_tokens, self.config.faq_threshold)

    # ------------------------------------------------------------------ building and persistence
    @classmethod
    def build(
        cls,
        articles: Iterable[dict[str, Any]],
        *,
        cache_dir: str | Path | None = None,
        questions: Sequence[dict[str, Any]] | None = None,
        faqs: Iterable[dict[str, Any] | FaqEntry] | None = None,
        rewrites: Sequence[tuple[str, str]] | None = None,
        config: Config | None = None,
        workers: int | None = None,
        shipped_tokens: Path | None = token_file.TOKENS_PATH,
    ) -> Engine:
        """Build (or load from ``cache_dir`` when the corpus hash matches) and optionally train.

        ``questions`` are labelled training questions (``question``, ``relevant`` article ids,
        optional ``qid``); without them the engine ranks by BM25 fields only.  ``shipped_tokens``: a tokens file
        (see ``tokens.py``) whose tokens are used where they fit; None segments every text.
        """
        arts = [a if len(a) == len(ARTICLE_FIELDS) and a.keys() == _SLIM else slim_article(a) for a in articles]
        key = corpus_hash(arts, ENGINE_VERSION)
        engine = cls._load_index(Path(cache_dir), key) if cache_dir else None
        if engine is None:
            engine = cls(arts, config)
            engine.corpus_key = key
            engine._index(arts, workers, shipped_tokens)
            if cache_dir:
                engine._save_index(Path(cache_dir))
        elif config is not None:
            engine.config = config
        if questions and not (cache_dir and engine._load_model(Path(cache_dir), questions)):
            engine.fit(questions)
            if cache_dir:
                engine._save_model(Path(cache_dir), questions)
        if rewrites is not None:
            engine.set_rewrites(rewrites)
        if faqs is not None:
            engine.set_faqs(faqs)
        return engine

    def _index(self, arts: list[dict[str, Any]], workers: int | None, shipped_tokens: Path | None = None) -> None:
        """The three BM25 fields.  Token lists are streamed into the indexes (never all held at once); texts the
        shipped tokens file covers (same tokenizer, same text) are not segmented again."""
        start = time.perf_counter()
        heads = [
            " ".join(
                [a.get("short") or a.get("law") or ""]
                + [clean_heading(a.get(k)) for k in ("part", "chapter", "section")]
            )
            for a in arts
        ]
        doc_len = np.zeros(len(self.texts), np.float32)

        shipped = token_file.load(self.tokenizer, shipped_tokens) if shipped_tokens is not None else None

        def text_tokens() -> Iterable[list[str]]:
            stream = token_file.tokens_of(shipped, self.ids, self.texts,
                                      lambda texts: _tokenize_all(self.tokenizer, texts, workers))
            for i, doc in enumerate(stream):
                doc_len[i] = len(doc)
                yield doc

        head_cache: dict[str, list[str]] = {}
        vocab: dict[str, int] = {}
        self.text_index = BM25Index.build(text_tokens(), vocab=vocab)
        self.head_index = BM25Index.build((head_cache.setdefault(h, self.tokenizer.tokens(h)) for h in heads),
                                          vocab=vocab)
        self.bigram_index = BM25Index.build((char_bigrams(t) for t in self.texts), vocab={})
        self.doc_len = doc_len
        log.info("indexed %d articles in %.1fs (%s)", len(arts), time.perf_counter() - start,
                 "shipped tokens" if shipped is not None else "segmented")

    def _state(self) -> dict[str, Any]:
        skip = {"tokenizer", "faq", "rewriter", "knowledge", "reranker", "calibration", "_terms", "_rows", "model_key"}
        return {k: v for k, v in self.__dict__.items() if k not in skip}

    def _save_index(self, cache_dir: Path) -> Path:
        cache_dir.mkdir(parents=True, exist_ok=True)
        path = cache_dir / f"index-{self.corpus_key}.pkl"
        _atomic_pickle(path, self._state())
        _atomic_write(cache_dir / "current.json", json.dumps({"corpus": self.corpus_key}))
        return path

    @classmethod
    def _load_index(cls, cache_dir: Path, key: str) -> Engine | None:
        path = cache_dir / f"index-{key}.pkl"
        if not path.exists():
            return None
        with path.open("rb") as fh:
            state = pickle.load(fh)  # noqa: S301 - our own cache files
        engine = cls.__new__(cls)
        engine.__dict__.update(state)
        if "term_freqs" in state:
            engine.tokenizer = Tokenizer(term_freqs=state["term_freqs"])
        else:  # caches written before term frequencies were stored
            engine.tokenizer = Tokenizer(engine.heading_terms)
            engine.term_freqs = dict(engine.tokenizer.term_freqs)
        engine.knowledge, engine.reranker, engine.calibration, engine.model_key = None, None, None, ""
        engine.rewriter = Rewriter.from_tsv()
        engine.faq = FaqMatcher(engine.tokenizer.query_tokens, engine.config.faq_threshold)
        return engine

    @staticmethod
    def _training_key(questions: Sequence[dict[str, Any]]) -> str:
        import hashlib

        h = hashlib.sha256(ENGINE_VERSION.encode())
        for q in questions:
            h.update(json.dumps([q.get("qid"), q["question"], q.get("relevant")], ensure_ascii=False).encode())
        return h.hexdigest()[:16]

    def _save_model(self, cache_dir: Path, questions: Sequence[dict[str, Any]]) -> None:
        key = self._training_key(questions)
        state = {"knowledge": self.knowledge, "reranker": self.reranker, "calibration": self.calibration,
                 "features": FEATURE_NAMES}
        _atomic_pickle(cache_dir / f"model-{self.corpus_key}-{key}.pkl", state)
        self.model_key = key
        _atomic_write(cache_dir / "current.json", json.dumps({"corpus": self.corpus_key, "model": key}))

    def _load_model(self, cache_dir: Path, questions: Sequence[dict[str, Any]] | None, key: str = "") -> bool:
        key = key or self._training_key(questions or [])
        path = cache_dir / f"model-{self.corpus_key}-{key}.pkl"
        if not path.exists():
            return False
        with path.open("rb") as fh:
            state = pickle.load(fh)  # noqa: S301 - our own cache files
        if tuple(state.get("features", ())) != FEATURE_NAMES:
            # Trained with another feature set (code changed without a version bump): train again, never mis-score.
            log.warning("ignoring %s: trained on a different feature set", path.name)
            return False
        self.knowledge, self.reranker, self.calibration = state["knowledge"], state["reranker"], state["calibration"]
        self.model_key = key
        return True

    def save(self, cache_dir: str | Path, questions: Sequence[dict[str, Any]] | None = None) -> None:
        """Persist the index (and the trained model when ``questions`` identify it)."""
        self._save_index(Path(cache_dir))
        if questions is not None and self.knowledge is not None:
            self._save_model(Path(cache_dir), questions)

    @classmethod
    def load(cls, cache_dir: str | Path, corpus_key: str | None = None, model_key: str | None = None) -> Engine:
        """Load an index (and model) from ``cache_dir``: the one named by the keys (a published index), else the
        most recently saved one in this directory (``current.json``)."""
        cache_dir = Path(cache_dir)
        if corpus_key is None:
            pointer = json.loads((cache_dir / "current.json").read_text(encoding="utf-8"))
            corpus_key, model_key = pointer["corpus"], pointer.get("model")
        engine = cls._load_index(cache_dir, corpus_key)
        if engine is None:
            raise FileNotFoundError(f"no index for corpus {corpus_key} in {cache_dir}")
        if model_key and not engine._load_model(cache_dir, None, model_key):
            raise FileNotFoundError(f"model {model_key} in {cache_dir} is missing or stale")
        return engine

    # ------------------------------------------------------------------ runtime-replaceable tables
    def set_rewrites(self, rules: Sequence[tuple[str, str]]) -> None:
        """Replace the colloquial → legal rewriting table (no index rebuild)."""
        self.rewriter = Rewriter([(c, t) for c, t in rules])

    def set_faqs(self, entries: Iterable[dict[str, Any] | FaqEntry]) -> None:
        """Replace the curated FAQ set (no index rebuild)."""
        self.faq.threshold = self.config.faq_threshold
        self.faq.set_entries(entries)

    # ------------------------------------------------------------------ queries
    def prepare(self, question: str) -> Query:
        """Tokenise, reduce and rewrite a question."""
        tokens = self.tokenizer.query_tokens(question)
        rewrites: list[str] = []
        for term in self.rewriter.expand(question):
            rewrites.extend(self.tokenizer.tokens(term))
        weights: dict[str, float] = {}
        # Long narratives: keep each term once so repeated story words do not dominate.
        long = len(tokens) > self.config.long_query_tokens
        for t in tokens:
            weights[t] = 1.0 if long else weights.get(t, 0.0) + 1.0
        rw: dict[str, float] = {}
        for t in rewrites:
            rw[t] = self.config.rewrite_weight
        for t, w in rw.items():
            weights[t] = max(weights.get(t, 0.0), w)
        bigrams: dict[str, float] = {}
        for bg in char_bigrams(reduce_text(question, tokens)):
            bigrams[bg] = 1.0
        for term in rw:
            for bg in char_bigrams(term):
                bigrams[bg] = max(bigrams.get(bg, 0.0), self.config.rewrite_weight)
        return Query(question, tokens, rewrites, weights, rw, bigrams)

    def bm25(self, question: str, top_k: int = 10) -> list[tuple[str, float]]:
        """Plain BM25 over article text with every jieba token (the baseline)."""
        terms: dict[str, float] = {}
        for t in self.tokenizer.tokens(question):
            terms[t] = terms.get(t, 0.0) + 1.0
        scores = self.text_index.score(terms)
        top = _top(scores, top_k)
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def _neighbours(self, query: Query, knowledge: Knowledge | None) -> Neighbours | None:
        if knowledge is None:
            return None
        return knowledge.neighbours(query.knn_tokens, self.config.n_neighbours)

    def candidates(self, query: Query, knowledge: Knowledge | None) -> Candidates:
        """Candidate articles and their re-ranking features."""
        cfg = self.config
        s_text = self.text_index.score(query.weights)
        s_head = self.head_index.score(query.weights)
        s_bi = self.bigram_index.score(query.bigram_weights)
        prior = knowledge.law_prior()[self.article_law] if knowledge is not None else None
        first = s_text + cfg.head_weight * s_head
        if prior is not None:
            first = first + cfg.prior_weight * (prior - prior.max())
        nb = self._neighbours(query, knowledge)
        knn_sum, knn_max, law_aff, chap_aff = self._knn_votes(nb)
        cnb = (knowledge.char_neighbours(list(query.bigram_weights), cfg.n_neighbours)
               if knowledge is not None and cfg.char_knn else None)
        s_qdoc = knowledge.question_doc_scores(query.weights) if knowledge is not None else None
        s_exp = None
        if knowledge is not None and knowledge.expansion:
            expanded = knowledge.expand(query.knn_tokens)
            s_exp = self.text_index.score(expanded) if expanded else None
        pools = [_top(s_text, cfg.n_text), _top(first, cfg.n_first), _top(s_bi, cfg.n_law_focus)]
        if s_qdoc is not None:
            top_q = _top(s_qdoc, cfg.n_law_focus)
            pools.append(top_q[s_qdoc[top_q] > 0])
        if s_exp is not None:
            pools.append(_top(s_exp + cfg.prior_weight * (prior - prior.max()), cfg.n_law_focus))
        if cnb is not None and cnb.cited:
            pools.append(np.concatenate(cnb.cited))
        s_prf = self._neighbour_feedback(nb) if cfg.n_prf_neighbours else None
        law_p = chap_p = art_p = None
        if knowledge is not None and cfg.group_classifiers:
            law_p = knowledge.group_probabilities(query.knn_tokens, "law", len(self.laws))
            chap_p = knowledge.group_probabilities(query.knn_tokens, "chapter", int(self.article_chapter.max()) + 1)
        if knowledge is not None and cfg.article_classifier:
            art_p = knowledge.group_probabilities(query.knn_tokens, "article", len(self.ids))
            if art_p is not None:
                top_a = _top(art_p, cfg.n_law_focus)
                pools.append(top_a[art_p[top_a] > 0.01])
        if chap_p is not None:
            best = np.argsort(-chap_p)[: cfg.n_chapters]
            cmask = np.isin(self.article_chapter, best[chap_p[best] > 0.02])
            if cmask.any():
                pools.append(_top(np.where(cmask, first, -np.inf), cfg.n_chapter_focus))
        if s_prf is not None:
            pools.append(_top(s_prf, cfg.n_law_focus))
        if nb is not None and len(nb.sims):
            pools.append(np.concatenate(nb.cited) if nb.cited else np.zeros(0, np.int64))
            focus_laws = np.argsort(-law_aff)[:5]
            mask = np.isin(self.article_law, focus_laws[law_aff[focus_laws] > 0])
            if mask.any():
                pools.append(_top(np.where(mask, first, -np.inf), cfg.n_law_focus))
            if cfg.adjacent_window:
                # Articles next to the ones similar questions cite (same law): answers cluster in a chapter.
                near = np.concatenate(nb.cited[: cfg.n_adjacent_neighbours]) if nb.cited else np.zeros(0, np.int64)
                near = np.unique(near)
                last = len(self.ids) - 1
                for d in range(-cfg.adjacent_window, cfg.adjacent_window + 1):
                    other = np.clip(near + d, 0, last)
                    pools.append(other[self.article_law[other] == self.article_law[near]])
            if cfg.n_chapters:
                focus_chapters = np.argsort(-chap_aff)[: cfg.n_chapters]
                focus_chapters = focus_chapters[chap_aff[focus_chapters] > 0]
                cmask = np.isin(self.article_chapter, focus_chapters)
                if cmask.any():
                    pools.append(_top(np.where(cmask, first, -np.inf), cfg.n_chapter_focus))
        cand = np.unique(np.concatenate(pools).astype(np.int64))
        cand = cand[(s_text[cand] > 0) | (s_head[cand] > 0) | (s_bi[cand] > 0) | (knn_sum[cand] > 0)] if len(cand) else cand
        topic_dist = self._topic_prior(query, knowledge)
        feats = self._features(query, knowledge, nb, cand, s_text, s_head, first, prior,
                               (knn_sum, knn_max, law_aff, chap_aff, s_qdoc, s_bi), topic_dist)
        if s_exp is not None and len(cand):
            se = s_exp[cand]
            feats[:, 37] = se / max(float(se.max()), 1e-6)
            feats[:, 38] = np.log1p(_ranks(-se))
        if cnb is not None and len(cand):
            c_sum, c_max, c_law, _ = self._knn_votes(cnb)
            feats[:, 39] = c_sum[cand]
            feats[:, 40] = c_max[cand]
            feats[:, 41] = c_sum[cand] / max(float(c_sum[cand].max()), 1e-6)
            cl = c_law[self.article_law[cand]]
            feats[:, 42] = cl / max(float(cl.max()), 1e-6)
        if cfg.term_features and len(cand):
            self._term_features(feats, query, cand)
        if cfg.phrase_features and len(cand):
            self._phrase_features(feats, query, cand)
        if s_prf is not None and len(cand):
            sp_ = s_prf[cand]
            feats[:, 47] = sp_ / max(float(sp_.max()), 1e-6)
            feats[:, 48] = np.log1p(_ranks(-sp_))
        for p_, col, group in ((law_p, 49, self.article_law), (chap_p, 51, self.article_chapter), (art_p, 53, None)):
            if p_ is not None and len(cand):
                v = p_[cand] if group is None else p_[group[cand]]
                feats[:, col] = v
                feats[:, col + 1] = v / max(float(v.max()), 1e-6)
        return Candidates(cand, feats, topic_dist)

    def _neighbour_feedback(self, nb: Neighbours | None) -> np.ndarray | None:
        """Relevance feedback from the articles the nearest training questions cite: their most characteristic
        words (summed BM25 weights, by similarity) searched over all articles.  Surfaces articles that read like
        the cited ones although no training question cites them."""
        cfg = self.config
        if nb is None or not len(nb.sims):
            return None
        rows = self._article_terms()
        acc: dict[int, float] = {}
        for sim, cited in zip(nb.sims[: cfg.n_prf_neighbours], nb.cited[: cfg.n_prf_neighbours], strict=True):
            for a in cited.tolist():
                acc[a] = acc.get(a, 0.0) + float(sim) / len(cited)
        if not acc:
            return None
        arts = np.fromiter(acc, np.int64)
        vec = sp.diags(np.fromiter(acc.values(), np.float32)) @ rows[arts]
        vec = np.asarray(vec.sum(axis=0)).ravel()
        top = _top(vec, cfg.n_prf_terms)
        top = top[vec[top] > 0]
        if not len(top):
            return None
        return self.text_index.score_ids(top.tolist(), (vec[top] / vec[top[0]]).tolist())

    def _article_terms(self) -> sp.csr_matrix:
        """The article text index by article (rows: articles, BM25 term weights), built on first use and not saved
        with the index: relevance feedback reads it when answering, the learned expansion when training."""
        if getattr(self, "_rows", None) is None:
            self._rows = self.text_index.matrix.tocsr()
        return self._rows

    def _term_features(self, f: np.ndarray, query: Query, cand: np.ndarray) -> None:
        """Which of the question's own words an article contains: the rarest one, the share of them, how many.
        A rare word (性骚扰, 征信) found in few articles is strong evidence BM25's sum can drown."""
        idx = self.text_index
        ids = idx.term_ids(dict.fromkeys(query.tokens))
        if not ids:
            return
        idf = idx.idf[ids]
        present = idx.presence(ids, cand)
        hit_idf = np.where(present, idf[None, :], 0.0)
        f[:, 43] = hit_idf.max(axis=1) / max(float(idf.max()), 1e-6)
        f[:, 44] = present[:, int(np.argmax(idf))]
        f[:, 45] = present.sum(axis=1) / len(ids)
        f[:, 46] = present.sum(axis=1)

    def _phrase_features(self, f: np.ndarray, query: Query, cand: np.ndarray) -> None:
        """Verbatim overlap of the question's wording with an article: the share of its character 3-grams (plain
        and weighted by rarity) and 4-grams the article contains and the longest common run (up to 12 characters).
        Tells apart articles of one chapter that share the topic words but not the question's phrase (消费保管,
        浮动抵押, 声音商标)."""
        runs = cjk_runs(normalize(query.text))
        grams = {n: list(dict.fromkeys(r[i:i + n] for r in runs for i in range(len(r) - n + 1))) for n in range(3, 13)}
        if not grams[3]:
            return
        # A 3-gram is as rare as the rarer of its two character bigrams in the corpus.
        bigrams = self.bigram_index
        weight = {}
        for g in grams[3]:
            ids = bigrams.term_ids((g[:2], g[1:]))
            weight[g] = float(bigrams.idf[ids].max()) if ids else 0.0
        total = max(sum(weight.values()), 1e-6)
        texts = self.texts
        for row, a in enumerate(cand.tolist()):
            text = texts[a]
            hit3 = [g for g in grams[3] if g in text]
            if not hit3:
                continue
            f[row, 55] = len(hit3) / len(grams[3])
            f[row, 58] = sum(weight[g] for g in hit3) / total
            if grams[4]:
                f[row, 56] = sum(1 for g in grams[4] if g in text) / len(grams[4])
            longest = 3
            while longest < 12 and any(g in text for g in grams[longest + 1]):
                longest += 1
            f[row, 57] = longest

    def _knn_votes(self, nb: Neighbours | None) -> tuple[np.ndarray, ...]:
        n_art = len(self.ids)
        knn_sum = np.zeros(n_art, np.float32)
        knn_max = np.zeros(n_art, np.float32)
        law_aff = np.zeros(len(self.laws), np.float32)
        chap_aff = np.zeros(int(self.article_chapter.max()) + 1 if n_art else 0, np.float32)
        if nb is None:
            return knn_sum, knn_max, law_aff, chap_aff
        for sim, cited in zip(nb.sims, nb.cited, strict=True):
            if not len(cited):
                continue
            knn_sum[cited] += sim
            knn_max[cited] = np.maximum(knn_max[cited], sim)
            share = sim / len(cited)
            np.add.at(law_aff, self.article_law[cited], share)
            np.add.at(chap_aff, self.article_chapter[cited], share)
        return knn_sum, knn_max, law_aff, chap_aff

    def _topic_prior(self, query: Query, knowledge: Knowledge | None) -> np.ndarray:
        classifier = knowledge.topics if knowledge is not None else TopicClassifier()
        return classifier.predict(query.knn_tokens, normalize(query.text))

    def _features(
        self,
        query: Query,
        knowledge: Knowledge | None,
        nb: Neighbours | None,
        cand: np.ndarray,
        s_text: np.ndarray,
        s_head: np.ndarray,
        first: np.ndarray,
        prior: np.ndarray | None,
        votes: tuple[np.ndarray, ...],
        topic_dist: np.ndarray,
    ) -> np.ndarray:
        knn_sum, knn_max, law_aff, chap_aff, s_qdoc, s_bi = votes
        n = len(cand)
        f = np.zeros((n, len(FEATURE_NAMES)), np.float32)
        if n == 0:
            return f
        st, sh, sf = s_text[cand], s_head[cand], first[cand]
        f[:, 0] = st
        f[:, 1] = st / max(float(st.max()), 1e-6)
        f[:, 2] = np.log1p(_ranks(-st))
        f[:, 3] = sh
        f[:, 4] = sh / max(float(sh.max()), 1e-6)
        f[:, 5] = np.log1p(_ranks(-sf))
        f[:, 6] = prior[cand] if prior is not None else -5.0
        f[:, 7] = np.log1p(knowledge.article_counts[cand]) if knowledge is not None else 0.0
        f[:, 8] = knn_sum[cand]
        f[:, 9] = knn_max[cand]
        f[:, 10] = law_aff[self.article_law[cand]]
        f[:, 11] = chap_aff[self.article_chapter[cand]]
        f[:, 12] = self._adjacent(knn_sum, cand, (-2, -1, 1, 2))
        topics = self.article_topic[cand]
        f[:, 13] = topic_dist[topics]
        f[:, 14] = topics == int(np.argmax(topic_dist))
        f[:, 15] = len(query.tokens)
        f[:, 16] = np.log1p(self.doc_len[cand])
        f[:, 17] = self.text_index.coverage(query.weights, cand)
        f[:, 18] = self.is_code[cand]
        f[:, 19] = self.article_category[cand]
        f[:, 20] = np.log1p(self.article_number[cand])
        f[:, 21] = nb.top_sim if nb is not None else 0.0
        if query.rewrite_weights:
            rw = self.text_index.score(query.rewrite_weights)[cand]
            f[:, 22] = rw / max(float(rw.max()), 1e-6)
        f[:, 23] = len(query.rewrite_weights)
        if s_qdoc is not None:
            sq = s_qdoc[cand]
            f[:, 24] = sq
            f[:, 25] = sq / max(float(sq.max()), 1e-6)
        f[:, 26] = f[:, 8] / max(float(f[:, 8].max()), 1e-6)
        f[:, 27] = f[:, 10] / max(float(f[:, 10].max()), 1e-6)
        f[:, 28] = f[:, 11] / max(float(f[:, 11].max()), 1e-6)
        sb = s_bi[cand]
        f[:, 29] = sb
        f[:, 30] = sb / max(float(sb.max()), 1e-6)
        f[:, 31] = np.log1p(_ranks(-sb))
        if self.config.extra_features:
            self._structure_features(f, query, knowledge, cand, s_text)
        return f

    def _structure_features(self, f: np.ndarray, query: Query, knowledge: Knowledge | None, cand: np.ndarray,
                            s_text: np.ndarray) -> None:
        """Evidence from an article's surroundings: the best text match in its chapter and law, its neighbours'
        text scores, and how well its chapter's training questions (document expansion) match the query."""
        hit = np.flatnonzero(s_text)
        top = max(float(s_text.max()), 1e-6) if len(s_text) else 1.0
        chap_max = np.zeros(int(self.article_chapter.max()) + 1, np.float32)
        np.maximum.at(chap_max, self.article_chapter[hit], s_text[hit])
        law_max = np.zeros(len(self.laws), np.float32)
        np.maximum.at(law_max, self.article_law[hit], s_text[hit])
        f[:, 32] = chap_max[self.article_chapter[cand]] / top
        f[:, 33] = law_max[self.article_law[cand]] / top
        f[:, 34] = self._adjacent(s_text, cand, (-1, 1)) / top
        if knowledge is not None and knowledge.chapter_docs is not None:
            sc = knowledge.chapter_doc_scores(query.weights)[self.article_chapter[cand]]
            f[:, 35] = sc
            f[:, 36] = sc / max(float(sc.max()), 1e-6)

    def _adjacent(self, values: np.ndarray, cand: np.ndarray, offsets: tuple[int, ...]) -> np.ndarray:
        """For each candidate, the largest of ``values`` among the articles ``offsets`` away in the same law."""
        out = np.zeros(len(cand), np.float32)
        last = len(self.ids) - 1
        for d in offsets:
            other = np.clip(cand + d, 0, last)
            same = self.article_law[other] == self.article_law[cand]
            out = np.maximum(out, np.where(same, values[other], 0.0))
        return out

    def _rank(self, cands: Candidates) -> np.ndarray:
        """Re-ranker scores (probability of relevance) or a heuristic without a trained model."""
        if len(cands.index) == 0:
            return np.zeros(0, np.float32)
        if self.reranker is not None:
            return _score(self.reranker, cands.features)
        f = cands.features
        col = {name: i for i, name in enumerate(FEATURE_NAMES)}
        score = (
            f[:, col["s_text_rel"]] + 0.5 * f[:, col["s_bigram_rel"]] + 0.3 * f[:, col["s_head_rel"]]
            + 0.3 * f[:, col["topic_prob"]] + 0.5 * f[:, col["knn_sum_rel"]] + 0.3 * f[:, col["s_qdoc_rel"]]
        )
        return (score / 2.9).astype(np.float32)

    def search(self, question: str, top_k: int = 10) -> list[tuple[str, float]]:
        """Ranked ``(article_id, score)`` pairs, best first."""
        query = self.prepare(question)
        cands = self.candidates(query, self.knowledge)
        scores = self._rank(cands)
        order = np.argsort(-scores, kind="stable")[:top_k]
        return [(self.ids[cands.index[i]], float(scores[i])) for i in order]

    def answer(self, question: str, top_k: int = 5) -> Answer:
        """Ranked articles, FAQ match, topic, calibrated confidence, ambiguity and hand-off flags."""
        cfg = self.config
        query = self.prepare(question)
        cands = self.candidates(query, self.knowledge)
        scores = self._rank(cands)
        order = np.argsort(-scores, kind="stable")[: max(top_k, 10)]
        top_idx, top_scores = cands.index[order], scores[order]
        topic_dist = self._topic_posterior(cands.topic_dist, top_idx, top_scores)
        topic_model = getattr(self, "topic_model", None)
        kinds: list[str] = []
        if topic_model is not None:
            # The trained question classifier decides the kind of matter; the retrieved articles only rank.
            topic_dist = topic_model.probabilities([question])[0].astype(np.float32)
            kinds = topic_model.kinds(topic_dist, question)
        ranked_topics = np.argsort(-topic_dist)
        confidence = self.calibrate(float(top_scores[0])) if len(top_scores) else 0.0
        gap = float(topic_dist[ranked_topics[0]] - topic_dist[ranked_topics[1]])
        spread = len({int(self.article_topic[i]) for i in top_idx[:3]}) > 1
        ambiguous = (
            not query.tokens
            or gap < cfg.ambiguity_margin
            or (confidence < cfg.handoff_threshold and spread and topic_dist[ranked_topics[0]] < 0.5)
        )
        faq = self.faq.match(question)
        if faq is not None:
            confidence = max(confidence, faq.score)
            ambiguous = False
        clarify = [TOPICS[i] for i in ranked_topics[:3] if topic_dist[i] >= 0.05][:3]
        if len(clarify) < 2:
            clarify = [TOPICS[i] for i in ranked_topics[:2]]
        ranked = [(self.ids[i], float(s)) for i, s in zip(top_idx[:top_k], top_scores[:top_k], strict=True)]
        citations = [
            Citation(self.ids[i], self.laws[self.article_law[i]], self.labels[i], self.texts[i], float(s))
            for i, s in zip(top_idx[:top_k], top_scores[:top_k], strict=True)
        ]
        topic = faq.entry.topic if faq is not None and faq.entry.topic in TOPIC_INDEX else TOPICS[ranked_topics[0]]
        topics = [topic] + [k for k in kinds if k != topic]
        return Answer(
            question=question,
            ranked=ranked,
            citations=citations,
            topic=topic,
            topic_scores={TOPICS[i]: round(float(topic_dist[i]), 4) for i in ranked_topics[:5]},
            confidence=float(min(max(confidence, 0.0), 1.0)),
            ambiguous=bool(ambiguous),
            handoff=bool(faq is None and (confidence < cfg.handoff_threshold or not query.tokens)),
            clarify_topics=clarify,
            faq=faq,
            query_terms=sorted(query.weights, key=lambda t: -query.weights[t]),
            topics=topics,
        )

    def _topic_posterior(self, prior: np.ndarray, top_idx: np.ndarray, top_scores: np.ndarray) -> np.ndarray:
        mass = np.zeros(len(TOPICS), np.float32)
        if len(top_idx):
            w = np.maximum(top_scores[:10], 1e-6)
            np.add.at(mass, self.article_topic[top_idx[:10]], w)
            mass /= mass.sum()
        else:
            mass = prior
        dist = 0.5 * prior + 0.5 * mass
        return dist / dist.sum()

    def calibrate(self, top_score: float) -> float:
        """Map the top re-ranker score to P(top-1 article is relevant)."""
        if self.calibration is None:
            return float(min(max(top_score, 0.0), 1.0))
        xs, ys = self.calibration
        return float(np.interp(top_score, xs, ys))

    # ------------------------------------------------------------------ training
    def fit(
        self,
        questions: Sequence[dict[str, Any]],
        folds: int | None = None,
        fold_mode: str = "random",
        seed: int = 0,
        negative_rate: float = 0.4,
    ) -> dict[str, float]:
        """Learn priors, kNN, topic model, re-ranker and confidence calibration from questions.

        Features for each training question are computed with knowledge built from the *other*
        folds (cross-fitting), so the re-ranker sees kNN/prior features as they look for unseen
        questions.  ``fold_mode`` ``"block"`` puts runs of 50 consecutive qids in the same fold.
        """
        folds = folds or self.config.cross_fit_folds
        data = self._training_data(questions)
        if len(data) < 20:
            self.knowledge = self._knowledge([d[1] for d in data], [d[2] for d in data]) if data else None
            return {}
        fold_of = self._assign_folds(questions, data, folds, fold_mode, seed)
        rows, groups, row_qids = [], [], []
        for f in range(folds):
            train = [d for d, k in zip(data, fold_of, strict=True) if k != f]
            knowledge = self._knowledge([d[1] for d in train], [d[2] for d in train])
            for d, k in zip(data, fold_of, strict=True):
                if k == f:
                    cands = self.candidates(d[1], knowledge)
                    labels = np.isin(cands.index, d[2]).astype(np.int8)
                    rows.append((cands.features, labels, len(d[2])))
                    groups.append(f)
                    row_qids.append(d[0])
        # Out-of-fold predictions calibrate confidence (the "dev" part of the training split).
        tops, hits, oof = [], [], []
        n_calib = min(3, folds)
        calib_groups = np.asarray(groups) % n_calib
        # A listwise objective needs many questions (on a few dozen it over-fits the kNN features): small training
        # sets use the pointwise classifier.  One kind for all models of a fit, so the calibration matches.
        listwise = (self.config.ranker == "lambdarank"
                    and sum(1 for r in rows if r[1].any()) >= self.config.ranker_min_questions)
        with _single_thread():
            for f in range(n_calib):
                m = self._train_reranker([r for r, g in zip(rows, calib_groups, strict=True) if g != f], seed,
                                         negative_rate, listwise=listwise)
                held = [(r, qid) for r, g, qid in zip(rows, calib_groups, row_qids, strict=True)
                        if g == f and len(r[1])]
                if not held:
                    continue
                probs = _score(m, np.concatenate([r[0] for r, _ in held]))
                offsets = np.cumsum([0] + [len(r[1]) for r, _ in held])
                for ((_, labels, _), qid), lo, hi in zip(held, offsets[:-1], offsets[1:], strict=True):
                    order = np.argsort(-probs[lo:hi], kind="stable")
                    tops.append(float(probs[lo + order[0]]))
                    hits.append(float(labels[order[0]]))
                    oof.append((qid, tops[-1], bool(labels[order[:3]].any())))
            self.reranker = self._train_reranker(rows, seed, negative_rate, listwise=listwise)
        self.calibration = _isotonic(np.asarray(tops), np.asarray(hits))
        # Held-out (qid, calibrated confidence, top 3 holds a cited article) of every training question: the
        # training command picks the hand-off threshold on these, never on a test part.
        self.out_of_fold = [(qid, self.calibrate(top), hit3) for qid, top, hit3 in oof]
        self.knowledge = self._knowledge([d[1] for d in data], [d[2] for d in data])
        self._terms = None  # training-time only
        positives = float(sum(r[1].sum() for r in rows))
        return {"rows": float(sum(len(r[1]) for r in rows)), "positives": positives, "oof_top1": float(np.mean(hits))}

    def _train_reranker(self, rows: list[tuple[np.ndarray, np.ndarray, int]], seed: int, negative_rate: float,
                        *, listwise: bool) -> Any:
        """Fit the re-ranker on per-question candidate groups ``(features, labels, n_relevant)``.

        ``listwise``: LightGBM lambdarank (NDCG objective over each question's candidates); else a scikit-learn
        gradient-boosted classifier on subsampled negatives."""
        x = np.concatenate([r[0] for r in rows])
        y = np.concatenate([r[1] for r in rows])
        # Questions without a relevant candidate carry no ranking signal.
        useful = [r for r in rows if r[1].any()]
        if listwise:
            import lightgbm as lgb

            x = np.concatenate([r[0] for r in useful])
            y = np.concatenate([r[1] for r in useful])
            model = lgb.LGBMRanker(
                objective="lambdarank", n_estimators=self.config.ranker_rounds, learning_rate=0.05,
                num_leaves=self.config.ranker_leaves, min_child_samples=self.config.ranker_min_leaf, subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
                reg_lambda=1.0, lambdarank_truncation_level=self.config.ranker_truncation, n_jobs=1, random_state=seed, verbose=-1,
            )
            groups = [len(r[1]) for r in useful]
            model.fit(x, y, group=groups, categorical_feature=[CATEGORY_FEATURE])
            if self.config.ranker_seeds <= 1:
                return model
            models = [model]
            for extra in range(1, self.config.ranker_seeds):
                m = lgb.LGBMRanker(**{**model.get_params(), "random_state": seed + 1000 * extra})
                models.append(m.fit(x, y, group=groups, categorical_feature=[CATEGORY_FEATURE]))
            return _Averaged(models)
        from sklearn.ensemble import HistGradientBoostingClassifier

        # Uniformly subsample negatives (ranking is unaffected in expectation; training is faster).
        keep = (y == 1) | (np.random.default_rng(seed).random(len(y)) < negative_rate)
        x, y = x[keep], y[keep]
        cat = np.zeros(x.shape[1], bool)
        cat[CATEGORY_FEATURE] = True
        return HistGradientBoostingClassifier(
            learning_rate=0.08, max_leaf_nodes=31, min_samples_leaf=30, max_bins=127,
            l2_regularization=1.0, categorical_features=cat, random_state=seed, early_stopping=True,
            validation_fraction=0.1, n_iter_no_change=20, max_iter=400 if len(y) > 20000 else 60,
        ).fit(x, y)

    def _training_data(self, questions: Sequence[dict[str, Any]]) -> list[tuple[Any, Query, np.ndarray]]:
        data = []
        for q in questions:
            rel = np.asarray([self.id_index[r] for r in q.get("relevant", []) if r in self.id_index], np.int64)
            if len(rel):
                data.append((q.get("qid"), self.prepare(q["question"]), rel))
        return data

    def _knowledge(self, queries: Sequence[Query], cited: Sequence[np.ndarray]) -> Knowledge:
        k = Knowledge.build([q.knn_tokens for q in queries], cited, self.article_law, self.article_topic,
                            len(self.laws), self.article_chapter if self.config.extra_features else None,
                            [list(q.bigram_weights) for q in queries] if self.config.char_knn else None,
                            classifiers=self.config.group_classifiers,
                            article_classifier=self.config.article_classifier)
        if self.config.learned_expansion:
            if getattr(self, "_terms", None) is None:
                self._terms = sorted(self.text_index.vocab, key=self.text_index.vocab.get)
            k.fit_expansion([q.knn_tokens for q in queries], self._article_terms(), self._terms)
        return k

    @staticmethod
    def _assign_folds(questions, data, folds: int, mode: str, seed: int) -> list[int]:
        rng = np.random.default_rng(seed)
        if mode == "block":
            qids = sorted(q.get("qid", i) for i, q in enumerate(questions))
            block_of = {qid: i // 50 for i, qid in enumerate(qids)}
            n_blocks = max(block_of.values()) + 1
            perm = rng.permutation(n_blocks)
            return [int(perm[block_of[d[0]]] % folds) for d in data]
        perm = rng.permutation(len(data))
        return [int(perm[i] % folds) for i in range(len(data))]


# ---------------------------------------------------------------------- helpers
def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest finite scores, best first."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, np.int64)
    idx = np.argpartition(-scores, k - 1)[:k]
    idx = idx[np.isfinite(scores[idx])]
    return idx[np.argsort(-scores[idx], kind="stable")]


def _ranks(values: np.ndarray) -> np.ndarray:
    """0-based rank of each value (ascending)."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values), np.float32)
    ranks[order] = np.arange(len(values), dtype=np.float32)
    return ranks


_THREADS: Any = None


def _single_thread() -> Any:
    """Limit OpenMP to one thread: for a few hundred rows thread start-up and synchronisation cost more than the
    trees themselves, and on a busy 2-core machine oversubscribed OpenMP training runs 10–20× slower."""
    global _THREADS
    if _THREADS is None:
        from threadpoolctl import ThreadpoolController

        _THREADS = ThreadpoolController()
    return _THREADS.limit(limits=1, user_api="openmp")


class _Averaged:
    """Several rankers trained with different seeds (row and feature subsampling); their raw scores averaged."""

    def __init__(self, models: list[Any]) -> None:
        self.models = models

    def predict(self, features: np.ndarray) -> np.ndarray:
        return np.mean([_raw_scores(m, features) for m in self.models], axis=0)


def _raw_scores(model: Any, features: np.ndarray) -> np.ndarray:
    """A ranker's raw scores.  A LightGBM model is asked through its booster: the scikit-learn wrapper re-reads
    its parameters on every call and a ``num_threads`` argument makes LightGBM set its predictor up again, which
    together cost more than the trees on a few hundred candidates (OpenMP is held to one thread by the caller)."""
    booster = getattr(model, "booster_", None)
    return booster.predict(features) if booster is not None else model.predict(features)


def _score(model: Any, features: np.ndarray) -> np.ndarray:
    """Re-ranker scores in (0, 1): a classifier's probability, or the logistic of a ranker's raw score."""
    with _single_thread():
        if hasattr(model, "predict_proba"):
            return model.predict_proba(features)[:, 1].astype(np.float32)
        raw = _raw_scores(model, features)
    return (1.0 / (1.0 + np.exp(-np.clip(raw, -30, 30)))).astype(np.float32)


def _isotonic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Isotonic fit of ``y`` on ``x``, returned as interpolation knots."""
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(x, y)
    return np.asarray(iso.X_thresholds_, np.float64), np.asarray(iso.y_thresholds_, np.float64)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _atomic_pickle(path: Path, obj: Any) -> None:
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with tmp.open("wb") as fh:
        pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


_WORKER_TOKENIZER: Tokenizer | None = None


def _worker_tokens(text: str) -> list[str]:
    assert _WORKER_TOKENIZER is not None
    return _WORKER_TOKENIZER.tokens(text)


def _tokenize_all(tokenizer: Tokenizer, texts: list[str], workers: int | None) -> Iterator[list[str]]:
    """Tokenise many texts in order, lazily, in forked worker processes when that pays off (``workers``: default
    the number of cores, at most 4)."""
    global _WORKER_TOKENIZER
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if workers <= 1 or len(texts) < 5000 or not hasattr(os, "fork"):
        yield from map(tokenizer.tokens, texts)
        return
    import multiprocessing as mp

    _WORKER_TOKENIZER = tokenizer
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            _WORKER_TOKENIZER = None  # the children hold their copy
            yield from pool.imap(_worker_tokens, texts, chunksize=max(64, math.ceil(len(texts) / (workers * 16))))
    finally:
        _WORKER_TOKENIZER = None
