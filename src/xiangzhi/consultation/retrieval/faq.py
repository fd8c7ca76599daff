"""Curated FAQ matching: exact (normalised) match on a question or variant, else TF-IDF cosine."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .text import normalize

_PUNCT_RE = re.compile(r"[^\u4e00-\u9fffa-z0-9]")


def compact(text: str) -> str:
    """Normalised text without punctuation or spaces (used for exact matching)."""
    return _PUNCT_RE.sub("", normalize(text))


@dataclass(frozen=True)
class FaqEntry:
    """One curated question/answer pair."""

    id: str
    question: str
    answer: str
    variants: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    topic: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FaqEntry:
        """Accept dicts with ``id, question, variants, answer, citations|cited|articles, topic``."""
        cites = d.get("citations") or d.get("cited") or d.get("articles") or ()
        return cls(
            id=str(d["id"]),
            question=d["question"],
            answer=d.get("answer", ""),
            variants=tuple(d.get("variants") or ()),
            citations=tuple(cites),
            topic=d.get("topic"),
        )


@dataclass(frozen=True)
class FaqMatch:
    """A matched FAQ entry and how well it matched (1.0 = exact)."""

    entry: FaqEntry
    score: float
    exact: bool


@dataclass
class FaqMatcher:
    """Matches questions against FAQ questions and their variants."""

    tokenize: Callable[[str], list[str]]
    threshold: float = 0.75
    entries: list[FaqEntry] = field(default_factory=list)
    _exact: dict[str, int] = field(default_factory=dict)
    _vectors: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    _idf: dict[str, float] = field(default_factory=dict)

    def set_entries(self, entries: Iterable[FaqEntry | dict[str, Any]]) -> None:
        """Replace the FAQ set."""
        self.entries = [e if isinstance(e, FaqEntry) else FaqEntry.from_dict(e) for e in entries]
        self._exact, texts = {}, []
        for i, e in enumerate(self.entries):
            for text in (e.question, *e.variants):
                self._exact.setdefault(compact(text), i)
                texts.append((i, self.tokenize(text)))
        df = Counter(t for _, toks in texts for t in dict.fromkeys(toks))
        n = max(len(texts), 1)
        self._idf = {t: math.log((n + 1) / (c + 1)) + 1.0 for t, c in df.items()}
        self._vectors = [(i, self._vector(toks)) for i, toks in texts]

    def _vector(self, tokens: Sequence[str]) -> dict[str, float]:
        vec = {t: self._idf.get(t, math.log(len(self._vectors) + 2) + 1.0) for t in dict.fromkeys(tokens)}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    def match(self, question: str) -> FaqMatch | None:
        """Best FAQ entry for ``question`` if it is exact or above the similarity threshold."""
        if not self.entries:
            return None
        hit = self._exact.get(compact(question))
        if hit is not None:
            return FaqMatch(self.entries[hit], 1.0, True)
        q = self._vector(self.tokenize(question))
        best, best_score = -1, 0.0
        for i, vec in self._vectors:
            score = sum(w * vec.get(t, 0.0) for t, w in q.items())
            if score > best_score:
                best, best_score = i, score
        if best >= 0 and best_score >= self.threshold:
            return FaqMatch(self.entries[best], float(best_score), False)
        return None
