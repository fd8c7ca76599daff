"""Loading the article corpus, STARD-style training questions and the fixed evaluation splits."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .text import DATA_DIR

SPLITS_DIR = DATA_DIR / "splits"
NARRATIVES_PATH = DATA_DIR / "narratives.jsonl"
ARTICLE_FIELDS = ("id", "law", "short", "category", "part", "chapter", "section", "label", "number", "text")


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield JSON objects from a ``.jsonl`` or ``.jsonl.gz`` file."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def slim_article(record: dict[str, Any]) -> dict[str, Any]:
    """Keep only the fields the engine needs."""
    return {k: record.get(k) for k in ARTICLE_FIELDS}


def load_articles(path: str | Path) -> list[dict[str, Any]]:
    """Load the article corpus as slim dicts."""
    return [slim_article(r) for r in read_jsonl(path)]


def corpus_hash(articles: Iterable[dict[str, Any]], extra: str = "") -> str:
    """Stable hash of the corpus content (ids, headings and texts) plus an engine version string."""
    h = hashlib.sha256(extra.encode())
    for art in articles:
        for key in ("id", "law", "part", "chapter", "section", "text"):
            h.update(str(art.get(key) or "").encode())
            h.update(b"\x1f")
        h.update(b"\x1e")
    return h.hexdigest()[:16]


def load_questions(path: str | Path) -> list[dict[str, Any]]:
    """Load training questions (``qid``, ``question``, ``relevant``)."""
    return list(read_jsonl(path))


def read_split(name: str) -> tuple[list[int], list[int]]:
    """Return ``(train_qids, test_qids)`` of a committed split (``random`` or ``topic``)."""
    out = []
    for part in ("train", "test"):
        text = (SPLITS_DIR / f"{name}_{part}.txt").read_text(encoding="utf-8")
        out.append([int(x) for x in text.split()])
    return out[0], out[1]
