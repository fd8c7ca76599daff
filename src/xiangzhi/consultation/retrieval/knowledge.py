"""What the engine learns from labelled training questions (never from test questions).

* a kNN index over training questions (TF-IDF cosine) whose cited articles vote for candidates;
* law and article citation priors (smoothed counts);
* the question topic classifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .bm25 import BM25Index
from .topics import TOPICS, TopicClassifier


@dataclass
class Neighbours:
    """Training questions similar to a query: their similarities and cited article indices."""

    sims: np.ndarray
    cited: list[np.ndarray]

    @property
    def top_sim(self) -> float:
        """Similarity of the nearest training question (0 when none)."""
        return float(self.sims[0]) if len(self.sims) else 0.0


@dataclass
class Knowledge:
    """Priors, kNN and topic model built from one set of training questions."""

    n_articles: int
    n_laws: int
    vocab: dict[str, int] = field(default_factory=dict)
    idf: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    matrix: sp.csr_matrix | None = None  # questions × terms, l2-normalised tf-idf
    cited: list[np.ndarray] = field(default_factory=list)
    law_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    article_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    topics: TopicClassifier = field(default_factory=TopicClassifier)
    question_docs: BM25Index | None = None  # per cited article: all training questions citing it
    question_doc_article: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # per chapter (law + headings) of a cited article: all training questions citing an article of it
    chapter_docs: BM25Index | None = None
    chapter_doc_chapter: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    n_chapters: int = 0
    # learned lay → statute term associations: question term → [(article term, weight)]
    expansion: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        token_lists: Sequence[Sequence[str]],
        cited: Sequence[np.ndarray],
        article_law: np.ndarray,
        article_topic: np.ndarray,
        n_laws: int,
        article_chapter: np.ndarray | None = None,
    ) -> Knowledge:
        """Fit on training questions given their query tokens and cited article indices."""
        k = cls(n_articles=len(article_law), n_laws=n_laws)
        k.cited = [np.asarray(c, np.int32) for c in cited]
        k._fit_knn(token_lists)
        k.law_counts = np.zeros(n_laws, np.float32)
        k.article_counts = np.zeros(k.n_articles, np.float32)
        for arts in k.cited:
            if len(arts):
                np.add.at(k.article_counts, arts, 1.0)
                laws = np.unique(article_law[arts])
                np.add.at(k.law_counts, laws, 1.0)
        k._fit_question_docs(token_lists)
        if article_chapter is not None:
            k._fit_chapter_docs(token_lists, article_chapter)
        labels = []
        for arts in k.cited:
            dist = np.bincount(article_topic[arts], minlength=len(TOPICS)).astype(np.float32)
            labels.append(dist / max(dist.sum(), 1.0))
        keep = [i for i, arts in enumerate(k.cited) if len(arts)]
        k.topics.fit([token_lists[i] for i in keep], [labels[i] for i in keep])
        return k

    def _fit_question_docs(self, token_lists: Sequence[Sequence[str]]) -> None:
        docs: dict[int, list[str]] = {}
        for tokens, arts in zip(token_lists, self.cited, strict=True):
            for a in arts:
                docs.setdefault(int(a), []).extend(tokens)
        order = sorted(docs)
        self.question_doc_article = np.asarray(order, np.int64)
        self.question_docs = BM25Index.build([docs[a] for a in order], k1=1.2, b=0.5) if order else None

    def fit_expansion(self, token_lists: Sequence[Sequence[str]], doc_terms: sp.csr_matrix, terms: Sequence[str],
                      *, top: int = 6, min_count: int = 2, min_lift: float = 3.0) -> None:
        """Learn which statute words the articles cited for a question contain beyond chance, per question word.

        ``doc_terms`` is the articles × terms matrix of the article text index (any non-zero = present), ``terms``
        the index's words by id.  Score of (question word w, article word t): p(t | w) · log(p(t | w) / p(t)),
        where p(t | w) is the share of training questions with w whose cited articles contain t, and p(t) the share
        of all articles containing t; the ``top`` best words of each w that are at least ``min_lift`` times likelier than chance are kept,
        scaled to a maximum of 1."""
        n_q = len(token_lists)
        if n_q == 0:
            return
        qvocab: dict[str, int] = {}
        rows, cols = [], []
        for i, tokens in enumerate(token_lists):
            for t in set(tokens):
                rows.append(i)
                cols.append(qvocab.setdefault(t, len(qvocab)))
        q = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_q, len(qvocab)))
        arows, acols = [], []
        for i, arts in enumerate(self.cited):
            ids = np.unique(np.concatenate([doc_terms.indices[doc_terms.indptr[a]:doc_terms.indptr[a + 1]]
                                            for a in arts])) if len(arts) else np.zeros(0, np.int64)
            arows.extend([i] * len(ids))
            acols.extend(ids.tolist())
        a = sp.csr_matrix((np.ones(len(arows), np.float32), (arows, acols)), shape=(n_q, doc_terms.shape[1]))
        counts = (q.T @ a).tocsr()  # question words × article words: questions sharing both
        q_count = np.asarray(q.sum(axis=0)).ravel()
        background = np.bincount(doc_terms.indices, minlength=doc_terms.shape[1]).astype(np.float64)
        background = np.maximum(background / max(doc_terms.shape[0], 1), 1e-6)
        words = sorted(qvocab, key=qvocab.get)
        self.expansion = {}
        for w_id, word in enumerate(words):
            if q_count[w_id] < min_count:
                continue
            lo, hi = counts.indptr[w_id], counts.indptr[w_id + 1]
            t_ids, c = counts.indices[lo:hi], counts.data[lo:hi]
            keep = c >= min_count
            if not keep.any():
                continue
            t_ids, c = t_ids[keep], c[keep]
            p = c / q_count[w_id]
            lift = p / background[t_ids]
            score = np.where(lift >= min_lift, p * np.log(lift), 0.0)
            best = np.argsort(-score)[:top]
            best = best[score[best] > 0]
            if len(best):
                peak = float(score[best[0]])
                self.expansion[word] = [(terms[int(t_ids[b])], float(score[b] / peak)) for b in best]

    def expand(self, tokens: Sequence[str]) -> dict[str, float]:
        """Statute words associated with the question's words, with weights (summed over question words)."""
        out: dict[str, float] = {}
        for w in set(tokens):
            for t, weight in self.expansion.get(w, ()):
                out[t] = out.get(t, 0.0) + weight
        return out

    def _fit_chapter_docs(self, token_lists: Sequence[Sequence[str]], article_chapter: np.ndarray) -> None:
        self.n_chapters = int(article_chapter.max()) + 1 if len(article_chapter) else 0
        docs: dict[int, list[str]] = {}
        for tokens, arts in zip(token_lists, self.cited, strict=True):
            for c in {int(article_chapter[a]) for a in arts}:
                docs.setdefault(c, []).extend(tokens)
        order = sorted(docs)
        self.chapter_doc_chapter = np.asarray(order, np.int64)
        self.chapter_docs = BM25Index.build([docs[c] for c in order], k1=1.2, b=0.5) if order else None

    def chapter_doc_scores(self, weights: dict[str, float]) -> np.ndarray:
        """BM25 of the query against, for each chapter, the training questions citing any of its articles."""
        out = np.zeros(self.n_chapters, np.float32)
        if self.chapter_docs is not None:
            out[self.chapter_doc_chapter] = self.chapter_docs.score(weights)
        return out

    def question_doc_scores(self, weights: dict[str, float]) -> np.ndarray:
        """BM25 of the query against, for each article, the training questions that cite it."""
        out = np.zeros(self.n_articles, np.float32)
        if self.question_docs is not None:
            out[self.question_doc_article] = self.question_docs.score(weights)
        return out

    def _fit_knn(self, token_lists: Sequence[Sequence[str]]) -> None:
        rows, cols, vals = [], [], []
        for i, tokens in enumerate(token_lists):
            for t in set(tokens):
                rows.append(i)
                cols.append(self.vocab.setdefault(t, len(self.vocab)))
                vals.append(1.0)
        n = len(token_lists)
        tf = sp.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(n, len(self.vocab)))
        df = np.bincount(tf.indices, minlength=len(self.vocab)).astype(np.float32)
        self.idf = np.log((n + 1) / (df + 1)).astype(np.float32) + 1.0
        self.matrix = self._normalise(tf.multiply(self.idf[None, :]).tocsr())

    @staticmethod
    def _normalise(m: sp.csr_matrix) -> sp.csr_matrix:
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ m)

    def query_vector(self, tokens: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF vector of a query in the training-question space."""
        ids = sorted({self.vocab[t] for t in tokens if t in self.vocab})
        vals = self.idf[ids] if ids else np.zeros(0, np.float32)
        vec = sp.csr_matrix((vals, ([0] * len(ids), ids)), shape=(1, len(self.vocab)))
        return self._normalise(vec)

    def neighbours(self, tokens: Sequence[str], k: int = 20) -> Neighbours:
        """The ``k`` most similar training questions."""
        if self.matrix is None or self.matrix.shape[0] == 0:
            return Neighbours(np.zeros(0, np.float32), [])
        sims = np.asarray((self.matrix @ self.query_vector(tokens).T).todense()).ravel()
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top])]
        top = top[sims[top] > 0]
        return Neighbours(sims[top].astype(np.float32), [self.cited[i] for i in top])

    def law_prior(self) -> np.ndarray:
        """Log share of training questions citing each law (smoothed)."""
        total = max(float(len(self.cited)), 1.0)
        return np.log((self.law_counts + 0.05) / total).astype(np.float32)
