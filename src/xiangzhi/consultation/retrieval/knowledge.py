"""What the engine learns from labelled training questions (never from test questions).

* a kNN index over training questions (TF-IDF cosine) whose cited articles vote for candidates;
* linear classifiers from a question to the laws, chapters and articles its answers cite;
* law and article citation priors (smoothed counts);
* the question topic classifier.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
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
    # a second kNN over the questions' character bigrams (robust to word segmentation differences)
    char_vocab: dict[str, int] = field(default_factory=dict)
    char_idf: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    char_matrix: sp.csr_matrix | None = None
    # linear classifiers over the kNN tf-idf space: question → law, → chapter, → article (classes, coefficients)
    law_clf: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    chapter_clf: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    article_clf: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @classmethod
    def build(
        cls,
        token_lists: Sequence[Sequence[str]],
        cited: Sequence[np.ndarray],
        article_law: np.ndarray,
        article_topic: np.ndarray,
        n_laws: int,
        article_chapter: np.ndarray | None = None,
        bigram_lists: Sequence[Sequence[str]] | None = None,
        classifiers: bool = False,
        article_classifier: bool = False,
    ) -> Knowledge:
        """Fit on training questions given their query tokens and cited article indices (and, for the character
        kNN, their character bigrams)."""
        k = cls(n_articles=len(article_law), n_laws=n_laws)
        k.cited = [np.asarray(c, np.int32) for c in cited]
        k.vocab, k.idf, k.matrix = k._tfidf(token_lists)
        if bigram_lists is not None:
            k.char_vocab, k.char_idf, k.char_matrix = k._tfidf(bigram_lists)
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
        if classifiers:
            k.law_clf = k._fit_group_classifier(article_law)
            if article_chapter is not None:
                k.chapter_clf = k._fit_group_classifier(article_chapter)
        if article_classifier:
            k.article_clf = k._fit_group_classifier(np.arange(k.n_articles))
        labels = []
        for arts in k.cited:
            dist = np.bincount(article_topic[arts], minlength=len(TOPICS)).astype(np.float32)
            labels.append(dist / max(dist.sum(), 1.0))
        keep = [i for i, arts in enumerate(k.cited) if len(arts)]
        k.topics.fit([token_lists[i] for i in keep], [labels[i] for i in keep])
        return k

    def _fit_group_classifier(self, group_of: np.ndarray, c: float = 10.0) -> tuple | None:
        """Multinomial logistic regression from a question's tf-idf vector to the groups (laws, chapters, articles) of
        the articles it cites (one sample per cited group).  Returns ``(classes, coef, intercept)``."""
        from sklearn.linear_model import LogisticRegression

        rows, labels = [], []
        for i, arts in enumerate(self.cited):
            for g in np.unique(group_of[arts]) if len(arts) else ():
                rows.append(i)
                labels.append(int(g))
        if self.matrix is None or len(set(labels)) < 2:
            return None
        model = LogisticRegression(C=c, max_iter=200)
        with warnings.catch_warnings():
            # Articles: most classes have one or two questions, which is the point (sklearn warns about it).
            warnings.filterwarnings("ignore", message="The number of unique classes", category=UserWarning)
            model.fit(self.matrix[rows], np.asarray(labels))
        coef = model.coef_.T.astype(np.float32)
        intercept = model.intercept_.astype(np.float32)
        if len(model.classes_) == 2:  # binary: sklearn keeps one column
            coef = np.hstack([-coef, coef])
            intercept = np.asarray([-intercept[0], intercept[0]], np.float32)
        return np.asarray(model.classes_, np.int64), coef, intercept

    def group_probabilities(self, tokens: Sequence[str], which: str, n_groups: int) -> np.ndarray | None:
        """P(group | question) for every law (``which="law"``), chapter or article, 0 for groups never cited."""
        clf = {"law": self.law_clf, "chapter": self.chapter_clf, "article": self.article_clf}[which]
        if clf is None:
            return None
        classes, coef, intercept = clf
        vec = self.query_vector(tokens)
        logits = np.asarray(vec @ coef).ravel() + intercept
        p = np.exp(logits - logits.max())
        out = np.zeros(n_groups, np.float32)
        known = classes >= 0  # a shipped model on a corpus without some of its groups (see model.remap)
        out[classes[known]] = (p / p.sum())[known]
        return out

    def _fit_question_docs(self, token_lists: Sequence[Sequence[str]]) -> None:
        self.question_doc_article, self.question_docs = self._grouped_questions(token_lists, self.cited)

    @staticmethod
    def _grouped_questions(token_lists: Sequence[Sequence[str]], groups: Sequence[Iterable[int]],
                           ) -> tuple[np.ndarray, BM25Index | None]:
        """"Document expansion": one BM25 document per group (article or chapter) made of the tokens of every
        training question in it; returns the group ids in document order and the index."""
        docs: dict[int, list[str]] = {}
        for tokens, of_question in zip(token_lists, groups, strict=True):
            for g in of_question:
                docs.setdefault(int(g), []).extend(tokens)
        order = sorted(docs)
        return np.asarray(order, np.int64), (BM25Index.build([docs[g] for g in order], k1=1.2, b=0.5) if order else None)

    @staticmethod
    def _grouped_scores(index: BM25Index | None, groups: np.ndarray, n: int, weights: dict[str, float]) -> np.ndarray:
        out = np.zeros(n, np.float32)
        if index is not None:
            known = groups >= 0
            out[groups[known]] = index.score(weights)[known]
        return out

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
            for t in dict.fromkeys(tokens):
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
        for w in dict.fromkeys(tokens):
            for t, weight in self.expansion.get(w, ()):
                out[t] = out.get(t, 0.0) + weight
        return out

    def _fit_chapter_docs(self, token_lists: Sequence[Sequence[str]], article_chapter: np.ndarray) -> None:
        self.n_chapters = int(article_chapter.max()) + 1 if len(article_chapter) else 0
        chapters = [{int(article_chapter[a]) for a in arts} for arts in self.cited]
        self.chapter_doc_chapter, self.chapter_docs = self._grouped_questions(token_lists, chapters)

    def chapter_doc_scores(self, weights: dict[str, float]) -> np.ndarray:
        """BM25 of the query against, for each chapter, the training questions citing any of its articles."""
        return self._grouped_scores(self.chapter_docs, self.chapter_doc_chapter, self.n_chapters, weights)

    def question_doc_scores(self, weights: dict[str, float]) -> np.ndarray:
        """BM25 of the query against, for each article, the training questions that cite it."""
        return self._grouped_scores(self.question_docs, self.question_doc_article, self.n_articles, weights)

    @classmethod
    def _tfidf(cls, token_lists: Sequence[Sequence[str]]) -> tuple[dict[str, int], np.ndarray, sp.csr_matrix]:
        """Vocabulary, idf and the l2-normalised binary tf-idf matrix (questions × terms) of token lists."""
        vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        for i, tokens in enumerate(token_lists):
            for t in dict.fromkeys(tokens):
                rows.append(i)
                cols.append(vocab.setdefault(t, len(vocab)))
                vals.append(1.0)
        n = len(token_lists)
        tf = sp.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(n, len(vocab)))
        df = np.bincount(tf.indices, minlength=len(vocab)).astype(np.float32)
        idf = np.log((n + 1) / (df + 1)).astype(np.float32) + 1.0
        return vocab, idf, cls._normalise(tf.multiply(idf[None, :]).tocsr())

    @staticmethod
    def _normalise(m: sp.csr_matrix) -> sp.csr_matrix:
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ m)

    def query_vector(self, tokens: Sequence[str], vocab: dict[str, int] | None = None,
                     idf: np.ndarray | None = None) -> sp.csr_matrix:
        """TF-IDF vector of a query in the training-question space."""
        vocab = self.vocab if vocab is None else vocab
        idf = self.idf if idf is None else idf
        ids = np.asarray(sorted({vocab[t] for t in tokens if t in vocab}), np.int32)
        vals = idf[ids].astype(np.float32)
        norm = float(np.sqrt(np.dot(vals, vals)))
        if norm:
            vals /= norm
        # Built from its parts: scipy's general constructor and a diagonal product cost ~1 ms a call.
        return sp.csr_matrix((vals, ids, np.asarray([0, len(ids)], np.int32)), shape=(1, len(vocab)))

    def neighbours(self, tokens: Sequence[str], k: int = 20) -> Neighbours:
        """The ``k`` most similar training questions (word tf-idf cosine)."""
        return self._nearest(self.matrix, self.query_vector(tokens), k)

    def char_neighbours(self, bigrams: Sequence[str], k: int = 20) -> Neighbours | None:
        """The ``k`` most similar training questions by character bigrams (None when not fitted)."""
        if self.char_matrix is None:
            return None
        return self._nearest(self.char_matrix, self.query_vector(bigrams, self.char_vocab, self.char_idf), k)

    def _nearest(self, matrix: sp.csr_matrix | None, vec: sp.csr_matrix, k: int) -> Neighbours:
        if matrix is None or matrix.shape[0] == 0:
            return Neighbours(np.zeros(0, np.float32), [])
        sims = np.asarray((matrix @ vec.T).todense()).ravel()
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top])]
        top = top[sims[top] > 0]
        return Neighbours(sims[top].astype(np.float32), [self.cited[i] for i in top])

    def law_prior(self) -> np.ndarray:
        """Log share of training questions citing each law (smoothed)."""
        total = max(float(len(self.cited)), 1.0)
        return np.log((self.law_counts + 0.05) / total).astype(np.float32)
