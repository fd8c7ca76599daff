"""The jieba tokens of the shipped corpus's article texts, computed once and shipped beside it
(``data/laws/tokens.jsonl.gz``), so loading the corpus does not segment 8.85 M characters again.

Segmentation depends on the tokenizer's dictionary (jieba's own, ``legal_terms.txt`` and the corpus's chapter and
section titles, with their frequencies) and on jieba's version: the file's first line holds a key of all of them, and
its tokens are used only by a tokenizer with the same key, and only for an article whose text has the same hash.
Anything else is segmented as usual, so the index is the same either way. ``xiangzhi consult_tokens`` writes the
file (after a change to the tokenizer or the corpus; a test fails while it is stale).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .text import DATA_DIR, Tokenizer

TOKENS_PATH = DATA_DIR / "laws" / "tokens.jsonl.gz"
FORMAT = "xz-tokens-1"


def tokenizer_key(tokenizer: Tokenizer) -> str:
    """A key of everything segmentation depends on: jieba's version and dictionary size, the added terms and their
    frequencies."""
    import jieba

    h = hashlib.sha256(f"{FORMAT}|{jieba.__version__}|{tokenizer._jieba.total}|".encode())
    for term, freq in sorted(tokenizer.term_freqs.items()):
        h.update(f"{term}\x1f{freq}\x1e".encode())
    return h.hexdigest()[:16]


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]


def read_key(path: Path = TOKENS_PATH) -> str | None:
    """The tokenizer key of a tokens file, or None when there is none."""
    if not path.exists():
        return None
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.loads(fh.readline()).get("tokenizer")


def load(tokenizer: Tokenizer, path: Path = TOKENS_PATH) -> dict[str, tuple[str, str]] | None:
    """``{article id: (text hash, space-joined tokens)}`` when the file was made by this tokenizer, else None."""
    if read_key(path) != tokenizer_key(tokenizer):
        return None
    out: dict[str, tuple[str, str]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        fh.readline()
        for line in fh:
            aid, digest, joined = json.loads(line)
            out[aid] = (digest, joined)
    return out


def tokens_of(shipped: dict[str, tuple[str, str]] | None, ids: list[str], texts: list[str],
              tokenize: Callable[[list[str]], Iterator[list[str]]]) -> Iterator[list[str]]:
    """The tokens of each text, in order: shipped ones where they fit, the others through ``tokenize`` (a function
    from a list of texts to an iterator of token lists, which may use worker processes)."""
    if shipped is None:
        yield from tokenize(texts)
        return
    found: list[list[str] | None] = []
    missing: list[int] = []
    for i, (aid, text) in enumerate(zip(ids, texts, strict=True)):
        hit = shipped.get(aid)
        if hit is not None and hit[0] == text_hash(text):
            found.append(hit[1].split(" ") if hit[1] else [])
        else:
            found.append(None)
            missing.append(i)
    rest = tokenize([texts[i] for i in missing]) if missing else iter(())
    for tokens in found:
        yield tokens if tokens is not None else next(rest)


def write(path: Path, tokenizer: Tokenizer, ids: Iterable[str], texts: Iterable[str],
          token_lists: Iterable[list[str]]) -> int:
    """Write a tokens file (atomically); returns the number of articles."""
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    n = 0
    # mtime 0: the same tokens give the same bytes
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write((json.dumps({"tokenizer": tokenizer_key(tokenizer), "format": FORMAT}) + "\n").encode())
        for aid, text, tokens in zip(ids, texts, token_lists, strict=True):
            if any(" " in t or not t for t in tokens):
                raise ValueError(f"a token of {aid} holds a space")
            gz.write((json.dumps([aid, text_hash(text), " ".join(tokens)], ensure_ascii=False) + "\n").encode())
            n += 1
    os.replace(tmp, path)
    return n
