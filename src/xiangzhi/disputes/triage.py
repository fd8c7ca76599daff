"""快速分流: suggest a dispute type from the villager's own words.

A multinomial naive Bayes over jieba tokens and character bigrams (bigrams catch words jieba splits differently),
trained at first use on ``data/triage_examples.jsonl`` (600 short complaints, 40 per type, written for this
purpose). The fixed split holds out every example whose ``group`` is 3 mod 4, so held-out texts describe facts
the model has never seen. ``bench/disputes_triage.py`` prints the held-out accuracy.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parent / "data" / "triage_examples.jsonl"
_PUNCT = re.compile(r"[\s，。、！？；：,.!?;:（）()“”\"'《》]+")
# Frame words that say nothing about the type ("希望村里帮忙调解").
STOP = frozenset(["的", "了", "我", "我家", "他", "她", "他们", "一个", "是", "在", "和", "都", "也", "就", "还", "要", "把", "被", "不", "有", "请", "希望", "帮忙", "调解", "处理", "反映", "情况", "委员会", "村里"])


def tokens(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    clean = _PUNCT.sub(" ", text or "")
    words = [w for w in jieba.lcut(clean) if w.strip() and w not in STOP]
    chars = [c for c in clean if not c.isspace()]
    bigrams = ["~" + a + b for a, b in zip(chars, chars[1:], strict=False)]
    return words + bigrams


def load_examples() -> list[dict]:
    with EXAMPLES.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def split(examples: list[dict]) -> tuple[list[dict], list[dict]]:
    train = [e for e in examples if e["group"] % 4 != 3]
    test = [e for e in examples if e["group"] % 4 == 3]
    return train, test


@dataclass
class NaiveBayes:
    labels: list[str]
    vocab: dict[str, int]
    log_prior: np.ndarray
    log_likelihood: np.ndarray  # labels × vocab

    @classmethod
    def fit(cls, texts: list[str], labels: list[str], alpha: float = 0.3) -> NaiveBayes:
        label_names = sorted(set(labels))
        li = {name: i for i, name in enumerate(label_names)}
        docs = [Counter(tokens(t)) for t in texts]
        vocab = {w: i for i, w in enumerate(sorted({w for d in docs for w in d}))}
        counts = np.zeros((len(label_names), len(vocab)))
        prior = np.zeros(len(label_names))
        for doc, label in zip(docs, labels, strict=True):
            row = li[label]
            prior[row] += 1
            for w, n in doc.items():
                counts[row, vocab[w]] += n
        smoothed = counts + alpha
        log_likelihood = np.log(smoothed / smoothed.sum(axis=1, keepdims=True))
        return cls(label_names, vocab, np.log(prior / prior.sum()), log_likelihood)

    def scores(self, text: str) -> np.ndarray:
        x = np.zeros(len(self.vocab))
        for w, n in Counter(tokens(text)).items():
            j = self.vocab.get(w)
            if j is not None:
                x[j] += n
        return self.log_prior + self.log_likelihood @ x

    def predict(self, text: str) -> tuple[str, float]:
        s = self.scores(text)
        p = np.exp(s - s.max())
        p /= p.sum()
        best = int(p.argmax())
        return self.labels[best], float(p[best])


@lru_cache(maxsize=1)
def model() -> NaiveBayes:
    train, _ = split(load_examples())
    return NaiveBayes.fit([e["text"] for e in train], [e["type"] for e in train])


def suggest(text: str) -> tuple[str | None, float]:
    """(type code, confidence) for a description; (None, 0.0) for an empty one."""
    if not (text or "").strip():
        return None, 0.0
    label, confidence = model().predict(text)
    return label, confidence


def evaluate() -> dict:
    """Accuracy on the held-out part of the fixed split, overall and per type."""
    train, test = split(load_examples())
    nb = NaiveBayes.fit([e["text"] for e in train], [e["type"] for e in train])
    per: dict[str, list[int]] = {}
    correct = 0
    for e in test:
        label, _ = nb.predict(e["text"])
        ok = int(label == e["type"])
        correct += ok
        per.setdefault(e["type"], []).append(ok)
    return {
        "train": len(train), "test": len(test), "accuracy": correct / len(test),
        "per_type": {k: sum(v) / len(v) for k, v in sorted(per.items())},
        "majority_baseline": max(Counter(e["type"] for e in test).values()) / len(test),
        "log_loss_floor": -math.log(1 / len(nb.labels)),
    }
