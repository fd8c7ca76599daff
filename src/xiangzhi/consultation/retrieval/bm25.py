"""A small sparse BM25 index (numpy + scipy) that can be saved to and loaded from ``.npz``.

Document term weights are precomputed (Lucene-style idf), stored term-major (CSC over
documents × terms), so scoring a query is a sum of a few posting lists.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp


class BM25Index:
    """Okapi BM25 over pre-tokenised documents."""

    def __init__(self, vocab: dict[str, int], matrix: sp.csc_matrix, idf: np.ndarray) -> None:
        self.vocab = vocab
        self.matrix = matrix  # documents × terms, BM25 term weights (idf included)
        self.idf = idf

    @property
    def n_docs(self) -> int:
        """Number of indexed documents."""
        return self.matrix.shape[0]

    @classmethod
    def build(
        cls,
        docs: Iterable[Sequence[str]],
        k1: float = 1.2,
        b: float = 0.75,
        vocab: dict[str, int] | None = None,
    ) -> BM25Index:
        """Index token lists; ``vocab`` may be shared between several indexes (it is extended).

        ``docs`` may be a generator: each document is counted and dropped, and the postings are kept in compact
        integer arrays (not Python lists of int objects), so indexing the full corpus holds no token lists."""
        vocab = {} if vocab is None else vocab
        cols, vals, indptr, lengths = array("i"), array("f"), array("q", [0]), array("i")
        for doc in docs:
            counts = Counter(doc)
            lengths.append(len(doc))
            cols.extend([vocab.setdefault(term, len(vocab)) for term in counts])
            vals.extend(counts.values())
            indptr.append(len(cols))
        n_docs, n_terms = len(lengths), len(vocab)
        # Rows are built in order, so the arrays already are a CSR matrix of term frequencies (no COO copy).
        tf = np.frombuffer(vals, np.float32)
        indices = np.frombuffer(cols, np.int32)
        row_len = np.diff(np.frombuffer(indptr, np.int64))
        dl = np.frombuffer(lengths, np.int32).astype(np.float32)
        avgdl = float(dl.mean()) if n_docs else 1.0
        df = np.bincount(indices, minlength=n_terms).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = k1 * (1 - b + b * dl / max(avgdl, 1e-6))
        data = tf * (k1 + 1) / (tf + np.repeat(norm, row_len)) * idf[indices]
        del tf, vals
        weights = sp.csr_matrix((data, indices, np.frombuffer(indptr, np.int64)), shape=(n_docs, n_terms))
        csc = weights.tocsc()
        del weights, data
        csc.sort_indices()
        return cls(vocab, csc, idf)

    def term_ids(self, tokens: Iterable[str]) -> list[int]:
        """Vocabulary ids of the known tokens."""
        return [j for j in map(self._term_id, tokens) if j is not None]

    def _term_id(self, token: str) -> int | None:
        """The id of a token this index has postings for (a shared vocabulary may hold more)."""
        j = self.vocab.get(token)
        return j if j is not None and j < self.matrix.shape[1] else None

    def score(self, weighted_terms: dict[str, float]) -> np.ndarray:
        """BM25 scores of all documents for a bag of ``{token: query weight}``."""
        known = [(j, w) for j, w in ((self._term_id(t), w) for t, w in weighted_terms.items()) if j is not None and w]
        return self.score_ids([j for j, _ in known], [w for _, w in known])

    def score_ids(self, term_ids: Sequence[int], weights: Sequence[float]) -> np.ndarray:
        """BM25 scores of all documents for term ids with query weights."""
        scores = np.zeros(self.n_docs, np.float32)
        m = self.matrix
        for j, w in zip(term_ids, weights, strict=True):
            lo, hi = m.indptr[j], m.indptr[j + 1]
            scores[m.indices[lo:hi]] += w * m.data[lo:hi]
        return scores

    def presence(self, term_ids: Sequence[int], docs: np.ndarray) -> np.ndarray:
        """``len(docs) × len(term_ids)`` booleans: does each document contain each term."""
        m = self.matrix
        out = np.zeros((len(docs), len(term_ids)), bool)
        for k, j in enumerate(term_ids):
            postings = m.indices[m.indptr[j] : m.indptr[j + 1]]
            if len(postings):
                pos = np.minimum(np.searchsorted(postings, docs), len(postings) - 1)
                out[:, k] = postings[pos] == docs
        return out

    def coverage(self, weighted_terms: dict[str, float], docs: np.ndarray) -> np.ndarray:
        """Share of the query's idf mass whose terms occur in each of ``docs``."""
        ids = self.term_ids(weighted_terms)
        present = self.presence(ids, docs)
        out = np.zeros(len(docs), np.float32)
        total = 0.0
        for k, j in enumerate(ids):
            idf = float(self.idf[j])
            total += idf
            out += idf * present[:, k]
        return out / total if total > 0 else out

    def save(self, path: Path, prefix: str) -> dict[str, np.ndarray]:
        """Arrays to store in a shared ``.npz`` (vocabulary is saved by the caller)."""
        m = self.matrix
        return {
            f"{prefix}_data": m.data,
            f"{prefix}_indices": m.indices,
            f"{prefix}_indptr": m.indptr,
            f"{prefix}_shape": np.asarray(m.shape),
            f"{prefix}_idf": self.idf,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str, vocab: dict[str, int]) -> BM25Index:
        """Inverse of :meth:`save`."""
        shape = tuple(int(x) for x in arrays[f"{prefix}_shape"])
        matrix = sp.csc_matrix(
            (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]), shape=shape
        )
        return cls(vocab, matrix, arrays[f"{prefix}_idf"])


def plain_query(tokens: Iterable[str]) -> dict[str, float]:
    """Bag-of-words query weights (term frequency), as plain BM25 uses them."""
    return {t: float(c) for t, c in Counter(tokens).items()}
