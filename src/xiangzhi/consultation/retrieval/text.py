"""Text normalisation, jieba tokenisation and colloquial → legal query rewriting.

Everything here is deterministic and free of Django.  A :class:`Tokenizer` owns its own
``jieba.Tokenizer`` instance (so the global jieba state of other code is never touched) loaded
with a legal-term user dictionary.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jieba

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
LEGAL_TERMS_PATH = DATA_DIR / "legal_terms.txt"
REWRITES_PATH = DATA_DIR / "rewrites.tsv"

jieba.setLogLevel(logging.WARNING)

_SPACE_RE = re.compile(r"\s+")
_KEEP_RE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_NUMBER_RE = re.compile(r"^[0-9.]+$|^[零一二三四五六七八九十百千万亿两]+$")
_HEADING_NUMBER_RE = re.compile(r"^第[零一二三四五六七八九十百千0-9]+[编章节分]\s*")

STOPWORDS_PATH = DATA_DIR / "stopwords.txt"


def _load_stopwords(path: Path = STOPWORDS_PATH) -> frozenset[str]:
    """Query-side stop words (function words and question scaffolding without legal signal)."""
    if not path.exists():
        return frozenset()
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if not line.startswith("#") for w in line.split())


STOPWORDS: frozenset[str] = _load_stopwords()


def normalize(text: str) -> str:
    """NFKC-normalise (full-width → half-width), lower-case and collapse whitespace."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _SPACE_RE.sub(" ", text).strip()


def clean_heading(heading: str | None) -> str:
    """Strip the ``第X章`` numbering and inner spaces from a part/chapter/section heading."""
    if not heading:
        return ""
    heading = _HEADING_NUMBER_RE.sub("", heading.strip())
    return heading.replace(" ", "").replace("\u3000", "")


def load_terms(path: Path = LEGAL_TERMS_PATH) -> list[str]:
    """Read a one-term-per-line dictionary file (``#`` comments allowed)."""
    if not path.exists():
        return []
    terms = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            terms.append(line.split()[0])
    return terms


class Tokenizer:
    """jieba word segmentation with a legal user dictionary.

    ``tokens`` returns every meaningful token (letters, digits, CJK) — used for documents and the
    plain baseline; ``query_tokens`` additionally removes stop words, filler and bare numbers.
    """

    def __init__(self, extra_terms: Iterable[str] = (), term_freqs: dict[str, int] | None = None) -> None:
        """``term_freqs`` (saved with an index) restores exactly the dictionary the index was built
        with, without recomputing frequencies; otherwise the legal terms file and ``extra_terms``
        are added with jieba's suggested frequencies."""
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        self.term_freqs: dict[str, int] = {}
        if term_freqs is not None:
            for term, freq in term_freqs.items():
                self._jieba.add_word(term, freq=freq)
            self.term_freqs = dict(term_freqs)
            return
        for term in [*load_terms(), *extra_terms]:
            self.add_term(term)

    @property
    def terms(self) -> set[str]:
        """Words added to jieba's dictionary."""
        return set(self.term_freqs)

    def add_term(self, term: str) -> None:
        """Add a word to the segmentation dictionary (idempotent)."""
        term = normalize(term).replace(" ", "")
        if 2 <= len(term) <= 12 and term not in self.term_freqs:
            freq = max(self._jieba.suggest_freq(term, False), 2000)
            self.term_freqs[term] = freq
            self._jieba.add_word(term, freq=freq)

    def tokens(self, text: str) -> list[str]:
        """All content tokens of ``text`` in order."""
        return [t for t in self._jieba.lcut(normalize(text), HMM=True) if _KEEP_RE.search(t) and t != " "]

    def query_tokens(self, text: str) -> list[str]:
        """Tokens of a question (search-engine mode, so long words also yield their sub-words)
        with stop words, filler and bare numbers removed."""
        words = self._jieba.cut_for_search(normalize(text), HMM=True)
        return [
            t for t in words if _KEEP_RE.search(t) and t not in STOPWORDS and not _NUMBER_RE.match(t)
        ]


@dataclass
class Rewriter:
    """Colloquial → legal term expansion.

    ``rules`` is a list of ``(colloquial phrase, legal terms)`` pairs; when the phrase occurs in
    the (normalised) question, the space-separated legal terms are added to the query.
    """

    rules: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_tsv(cls, path: Path = REWRITES_PATH) -> Rewriter:
        """Load ``colloquial<TAB>legal terms`` lines (``#`` comments allowed)."""
        rules: list[tuple[str, str]] = []
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if not line.strip() or line.lstrip().startswith("#") or "\t" not in line:
                    continue
                colloquial, legal = line.split("\t", 1)
                rules.append((colloquial.strip(), legal.strip()))
        return cls(rules)

    def __post_init__(self) -> None:
        self.rules = [(normalize(c).replace(" ", ""), normalize(t)) for c, t in self.rules if c and t]

    def expand(self, question: str) -> list[str]:
        """Legal terms triggered by ``question`` (may contain duplicates across rules)."""
        compact = normalize(question).replace(" ", "")
        out: list[str] = []
        for colloquial, legal in self.rules:
            if colloquial in compact:
                out.extend(legal.split())
        return out


def heading_terms(articles: Sequence[dict]) -> set[str]:
    """Chapter and section titles (e.g. 相邻关系, 借款合同) usable as dictionary words."""
    terms: set[str] = set()
    for art in articles:
        for key in ("chapter", "section"):
            head = clean_heading(art.get(key))
            if 2 <= len(head) <= 8 and re.fullmatch(r"[\u4e00-\u9fff]+", head):
                terms.add(head)
    return terms


_CJK_RUN_RE = re.compile(r"[\u4e00-\u9fff]+")


def cjk_runs(text: str) -> list[str]:
    """The runs of consecutive CJK characters of ``text`` (punctuation, letters and digits split them)."""
    return _CJK_RUN_RE.findall(text)


def char_bigrams(text: str) -> list[str]:
    """Overlapping character bigrams of the CJK runs of ``text`` (single-char runs kept as is)."""
    out: list[str] = []
    for run in cjk_runs(text):
        if len(run) == 1:
            out.append(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def reduce_text(question: str, kept_tokens: Sequence[str]) -> str:
    """The question reduced to its kept (non-filler) tokens, space separated (for bigrams)."""
    return " ".join(t for t in kept_tokens if len(t) >= 2) or question
