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

# Function words and question scaffolding that carry no legal signal.  Only applied on the query
# side of the pipeline (the plain BM25 baseline keeps every token).
STOPWORDS: frozenset[str] = frozenset(
    """
    的 了 是 在 和 与 或 及 等 也 都 就 又 还 而 但 被 把 对 给 让 向 从 到 为 以 之 其 该 此 这 那 这个 那个
    这些 那些 这样 那样 一 个 一个 有 没 没有 不 很 太 吗 呢 吧 啊 呀 哦 嘛 么 啦 哈 着 过 去 来 上 下 里 中
    我 我们 你 你们 他 她 它 他们 她们 咱 咱们 俺 自己 人家 别人 本人 请问 请教 咨询 问 问题 想 想问 想知道
    知道 怎么 怎么办 怎样 怎么样 如何 什么 哪些 哪个 哪里 为什么 多少 几 是否 是不是 能不能 可不可以 能否 可否
    可以 能 会 要 应该 应当 需要 需 得 该怎么 该怎么办 办 呢 现在 已经 当时 后来 然后 结果 因为 所以 如果
    但是 可是 而且 并且 或者 还是 就是 只是 只 才 再 又 却 便 即 并 所 则 如 若 请 谢谢 您好 你好 老师 律师
    一下 一些 有些 有点 这种 那种 这么 那么 非常 特别 比较 真的 一直 总是 经常 突然 竟然 居然 直接 今天 昨天
    前天 去年 今年 明年 最近 之前 以后 之后 时候 一次 两次 情况 事情 事 说 讲 告诉 觉得 认为 感觉 看 看到 找
    我该 我想 我们家 我家 弄 搞 做 干 行 好 不行 不好 啥 咋 咋办 家里 村里 俺们 怎么处理 处理 解决 办法 法律 规定 法律规定
    """.split()
)


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

    def __init__(self, extra_terms: Iterable[str] = ()) -> None:
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        self.terms: set[str] = set()
        for term in [*load_terms(), *extra_terms]:
            self.add_term(term)

    def add_term(self, term: str) -> None:
        """Add a word to the segmentation dictionary (idempotent)."""
        term = normalize(term).replace(" ", "")
        if 2 <= len(term) <= 12 and term not in self.terms:
            self.terms.add(term)
            self._jieba.add_word(term, freq=max(self._jieba.suggest_freq(term, False), 2000))

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
