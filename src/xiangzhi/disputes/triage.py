"""快速分流: suggest a dispute type from the villager's own words.

A multinomial logistic regression over TF-IDF of single Chinese characters (sublinear tf), trained at first use on
``data/triage_examples.jsonl`` (600 short complaints, 40 per type, written for this purpose). Single characters won
the model selection: with 20 distinct facts per type the telling words (离婚, 撞, 工资, 宅基地 …) are split many ways
by jieba, while their characters recur; grouped 5-fold cross-validation on the training part only chose
character unigrams + logistic regression (C=10) over jieba words, character bi/trigrams, naive Bayes and a linear SVM
(``bench/disputes_triage.py`` prints that comparison). The fixed split holds out every example whose ``group`` is
3 mod 4, so held-out texts describe facts the model has never seen.
"""

from __future__ import annotations

import json
import logging
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


def load_examples() -> list[dict]:
    with EXAMPLES.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def split(examples: list[dict]) -> tuple[list[dict], list[dict]]:
    train = [e for e in examples if e["group"] % 4 != 3]
    test = [e for e in examples if e["group"] % 4 == 3]
    return train, test


def _clean(text: str) -> str:
    """The description without punctuation and the frame words that say nothing about the type."""
    words = jieba_words(text)
    return "".join(w for w in words if w not in STOP)


def jieba_words(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return [w for w in jieba.lcut(_PUNCT.sub(" ", text or "")) if w.strip()]


CANDIDATES = {
    # name: (analyzer settings, classifier) — compared by grouped cross-validation on the training part
    "chars-1 + logistic regression": ({"analyzer": "char", "ngram_range": (1, 1)}, "lr"),
    "chars-1..2 + logistic regression": ({"analyzer": "char", "ngram_range": (1, 2)}, "lr"),
    "chars-1..3 + naive Bayes": ({"analyzer": "char", "ngram_range": (1, 3)}, "nb"),
    "jieba words + logistic regression": ({"analyzer": jieba_words}, "lr"),
    "chars-1..2 + linear SVM": ({"analyzer": "char", "ngram_range": (1, 2)}, "svm"),
}
CHOSEN = "chars-1 + logistic regression"


def build(name: str = CHOSEN):  # noqa: ANN201 - a scikit-learn pipeline
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    analyzer, kind = CANDIDATES[name]
    classifier = {"lr": lambda: LogisticRegression(C=10, max_iter=3000), "nb": lambda: MultinomialNB(alpha=0.3),
                  "svm": lambda: LinearSVC(C=0.5)}[kind]()
    return make_pipeline(TfidfVectorizer(sublinear_tf=True, lowercase=False, **analyzer), classifier)


@dataclass
class Classifier:
    pipeline: object

    @classmethod
    def fit(cls, texts: list[str], labels: list[str], name: str = CHOSEN) -> Classifier:
        return cls(build(name).fit([_clean(t) for t in texts], labels))

    def predict(self, text: str) -> tuple[str, float]:
        """(label, probability); the linear SVM, which has no probabilities, reports 1.0."""
        clean = [_clean(text)]
        if hasattr(self.pipeline, "predict_proba"):
            p = self.pipeline.predict_proba(clean)[0]
            best = int(np.argmax(p))
            return str(self.pipeline.classes_[best]), float(p[best])
        return str(self.pipeline.predict(clean)[0]), 1.0


@lru_cache(maxsize=1)
def model() -> Classifier:
    train, _ = split(load_examples())
    return Classifier.fit([e["text"] for e in train], [e["type"] for e in train])


def suggest(text: str) -> tuple[str | None, float]:
    """(type code, confidence) for a description; (None, 0.0) for an empty one."""
    if not (text or "").strip():
        return None, 0.0
    label, confidence = model().predict(text)
    return label, confidence


def cross_validate(name: str, folds: int = 5) -> float:
    """Mean accuracy of a candidate over grouped folds of the training part (whole facts held out per fold)."""
    from sklearn.model_selection import GroupKFold, cross_val_score

    train, _ = split(load_examples())
    return float(cross_val_score(build(name), [_clean(e["text"]) for e in train], [e["type"] for e in train],
                                 groups=[f"{e['type']}:{e['group']}" for e in train],
                                 cv=GroupKFold(folds)).mean())


def evaluate(name: str = CHOSEN) -> dict:
    """Accuracy on the held-out part of the fixed split, overall and per type."""
    train, test = split(load_examples())
    clf = Classifier.fit([e["text"] for e in train], [e["type"] for e in train], name)
    per: dict[str, list[int]] = {}
    correct = 0
    for e in test:
        label, _ = clf.predict(e["text"])
        ok = int(label == e["type"])
        correct += ok
        per.setdefault(e["type"], []).append(ok)
    return {
        "train": len(train), "test": len(test), "accuracy": correct / len(test),
        "per_type": {k: sum(v) / len(v) for k, v in sorted(per.items())},
        "majority_baseline": max(Counter(e["type"] for e in test).values()) / len(test),
    }
