"""Cross-validation of the question topic classifier on ``topics_train`` only (choosing features, sources, weights).

Usage::

    XIANGZHI_SHARED_DIR=../shared python bench/consult_topics_cv.py [CONFIG ...]   # CONFIGS or DIRECT names; default: base mc

Stratified 5-fold CV (by reference kind, two shuffles, seeds 0 and 1) over the ``topics_train`` consultations of the
kinds the platform serves; ``topics_test`` is never read.  Every fold trains on its train folds plus the
hand-written seeds and the weakly-labelled sources of ``training.weak_topic_questions`` (STARD and consultation
train questions labelled by the topic of their cited articles, law articles labelled by ``article_topic``), each
source with its own sample weight.  Prints the mean accuracy (platform topic) of each configuration and its spread
over the 10 folds; with ``DETAIL=1`` also per-kind recall and confusions of the last configuration, pooled
over the folds.  The results and the choice are written down in ``bench/consult_topics.py``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xiangzhi.consultation.retrieval.corpus import load_articles, read_jsonl  # noqa: E402
from xiangzhi.consultation.retrieval.topics import REFERENCE_TOPICS, QuestionTopics  # noqa: E402
from xiangzhi.consultation.retrieval.training import (  # noqa: E402
    TOPIC_SEEDS_PATH,
    topic_questions,
    weak_topic_questions,
)

SHARED = Path(os.environ.get("XIANGZHI_SHARED_DIR") or ROOT.parent / "shared") / "data"

# name → (source weights, C, class-balanced, vocabulary also from the weak questions)
CONFIGS: dict[str, dict] = {
    "base": {"w": {}, "c": 20.0},
    "stard1": {"w": {"stard": 1.0}, "c": 20.0},
    "stard.3": {"w": {"stard": 0.3}, "c": 20.0},
    "consult1": {"w": {"consult": 1.0}, "c": 20.0},
    "articles.3": {"w": {"articles": 0.3}, "c": 20.0},
    "articles1": {"w": {"articles": 1.0}, "c": 20.0},
    "all.3": {"w": {"stard": 0.3, "consult": 0.3, "articles": 0.3}, "c": 20.0},
    "all1": {"w": {"stard": 1.0, "consult": 1.0, "articles": 1.0}, "c": 20.0},
    "all1_vq": {"w": {"stard": 1.0, "consult": 1.0, "articles": 1.0}, "c": 20.0, "vocab_weak": True},
    "all.05": {"w": {"stard": 0.05, "consult": 0.05, "articles": 0.05}, "c": 20.0},
    "consult.1": {"w": {"consult": 0.1}, "c": 20.0},
    "base_c5": {"w": {}, "c": 5.0},
    "base_c80": {"w": {}, "c": 80.0},
    "base_bal": {"w": {}, "c": 20.0, "balanced": True},
    "mc": {"w": {}, "c": 20.0, "mc": True},
    "mc_b0": {"w": {}, "c": 20.0, "mc": True, "boost": 0.0},
    "mc_kw2": {"w": {}, "c": 20.0, "mc": True, "kw": 2.0},
    "mc_c80": {"w": {}, "c": 80.0, "mc": True},
    "mc_c10": {"w": {}, "c": 10.0, "mc": True},
    "mc_all.05": {"w": {"stard": 0.05, "consult": 0.05, "articles": 0.05}, "c": 20.0, "mc": True},
    "mc_consult.2": {"w": {"consult": 0.2}, "c": 20.0, "mc": True},
    "mc_bal": {"w": {}, "c": 20.0, "mc": True, "balanced": True},
    "mc_n2": {"w": {}, "c": 20.0, "mc": True, "n": 2},
    "mc_n4": {"w": {}, "c": 20.0, "mc": True, "n": 4},
    "mc_laws.3": {"w": {"stard_laws": 0.3, "consult_laws": 0.3}, "c": 20.0, "mc": True},
    "mc_laws1": {"w": {"stard_laws": 1.0, "consult_laws": 1.0}, "c": 20.0, "mc": True},
    "mc_b2": {"w": {}, "c": 20.0, "mc": True, "boost": 2.0},
    "mc_kw.5": {"w": {}, "c": 20.0, "mc": True, "kw": 0.5},
    "boost0": {"w": {}, "c": 20.0, "boost": 0.0},
    "nokw": {"w": {}, "c": 20.0, "boost": 0.0, "kw": 0.0},
    "boost.5": {"w": {}, "c": 20.0, "boost": 0.5},
    "kw3": {"w": {}, "c": 20.0, "kw": 3.0, "boost": 0.0},
}


# (reference kind, predicted platform topic) of every validation question of the last configuration run
POOLED: list[tuple[str, str]] = []


def print_recall() -> None:
    """Per-kind recall and the most frequent confusions, pooled over the folds of the last configuration."""
    from collections import Counter

    print("| reference kind | platform topic | CV recall | most often predicted instead |")
    print("|---|---|---|---|")
    for kind, topic in REFERENCE_TOPICS.items():
        preds = [p for k, p in POOLED if k == kind]
        if topic and preds:
            wrong = Counter(p for p in preds if p != topic).most_common(2)
            print(f"| {kind} | {topic} | {np.mean([p == topic for p in preds]):.2f} | "
                  + ", ".join(f"{p} ×{n}" for p, n in wrong) + " |")


# run without arguments (``make bench``): the configuration before issue #18 item 6 and the one kept
DEFAULT = ("base", "mc")


def folds(kinds: list[str], k: int = 5, seeds: tuple[int, ...] = (0, 1)):
    """Stratified k-fold index pairs (train, validation), one set per seed."""
    from sklearn.model_selection import StratifiedKFold

    for seed in seeds:
        yield from StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(kinds)), kinds)


def run(config: dict, questions: list[dict], weak: dict[str, list[tuple[str, str]]], seeds: list[tuple[str, str]]):
    """Accuracies of one configuration over the folds."""
    kinds = [q["topic"] for q in questions]
    accs = []
    for tr, va in folds(kinds):
        texts = [questions[i]["question"] for i in tr] + [s[0] for s in seeds]
        labels = [REFERENCE_TOPICS[questions[i]["topic"]] for i in tr] + [s[1] for s in seeds]
        weights = [1.0] * len(texts)
        if config.get("balanced"):
            counts = {t: labels.count(t) for t in set(labels)}
            mean = len(labels) / len(counts)
            weights = [mean / counts[t] for t in labels]
        vocab_texts = list(texts)
        for source, w in config["w"].items():
            texts += [t for t, _ in weak[source]]
            labels += [t for _, t in weak[source]]
            weights += [w] * len(weak[source])
            if config.get("vocab_weak"):
                vocab_texts += [t for t, _ in weak[source]]
        model = QuestionTopics(keyword_weight=config.get("kw", 1.0), cue_boost=config.get("boost", 1.0),
                               matter_cues=config.get("mc", False), n_max=config.get("n", 3)).fit(texts, labels, c=config["c"], weights=weights, vocab_texts=vocab_texts)
        probs = model.probabilities([questions[i]["question"] for i in va])
        from xiangzhi.consultation.retrieval.topics import TOPICS

        pred = [TOPICS[int(j)] for j in probs.argmax(axis=1)]
        for p, i in zip(pred, va, strict=True):
            POOLED.append((questions[i]["topic"], p))
        accs.append(np.mean([p == REFERENCE_TOPICS[questions[i]["topic"]] for p, i in zip(pred, va, strict=True)]))
    return np.asarray(accs)


_STACKED: dict = {}


def stacked(sources: tuple[str, ...]) -> QuestionTopics:
    """A topic classifier trained on the weak sources alone (its probabilities are features of the stacked one)."""
    if sources not in _STACKED:
        weak = weak_topic_questions(SHARED, load_articles(SHARED / "laws" / "articles.jsonl.gz"))
        texts = [t for s in sources for t, _ in weak[s]]
        labels = [lab for s in sources for _, lab in weak[s]]
        vocab = [t for s in sources if s != "articles" for t, _ in weak[s]] or texts
        _STACKED[sources] = QuestionTopics(cue_boost=0.0).fit(texts, labels, c=5.0, vocab_texts=vocab)
    return _STACKED[sources]


def run_direct(config: dict, questions: list[dict], seeds: list[tuple[str, str]]):
    """Accuracies of a classifier fitted directly on the QuestionTopics features: ``fine`` trains on the reference
    kinds (the seeds as their platform topic) and maps the predicted kind onto its platform topic; ``svm`` uses a
    linear SVM instead of the logistic regression; ``words`` adds jieba words (and word bigrams)."""
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    from xiangzhi.consultation.retrieval.text import Tokenizer

    tok = Tokenizer() if config.get("words") else None

    def words(texts, vocab=None):
        toks = [tok.tokens(t) for t in texts]
        toks = [w + [a + "|" + b for a, b in zip(w, w[1:], strict=False)] if config["words"] > 1 else w for w in toks]
        if vocab is None:
            df = {}
            for w in toks:
                for t in set(w):
                    df[t] = df.get(t, 0) + 1
            vocab = {t: i for i, t in enumerate(sorted(t for t, c in df.items() if c >= 2))}
        rows, cols = [], []
        for r, w in enumerate(toks):
            ids = {vocab[t] for t in w if t in vocab}
            rows += [r] * len(ids)
            cols += list(ids)
        x = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(vocab)))
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
        x = sp.diags(1 / np.maximum(norms, 1e-6)) @ x
        return x, vocab

    kinds = [q["topic"] for q in questions]
    accs = []
    for tr, va in folds(kinds):
        texts = [questions[i]["question"] for i in tr] + [s[0] for s in seeds]
        fine = [questions[i]["topic"] for i in tr] + [s[1] for s in seeds]
        coarse = [REFERENCE_TOPICS[questions[i]["topic"]] for i in tr] + [s[1] for s in seeds]
        qt = QuestionTopics(keyword_weight=config.get("kw", 1.0))
        qt._build_vocab(texts)
        xtr, xva = qt._matrix(texts), qt._matrix([questions[i]["question"] for i in va])
        if tok is not None:
            wtr, vocab = words(texts)
            wva, _ = words([questions[i]["question"] for i in va], vocab)
            xtr = sp.hstack([xtr, config.get("wscale", 1.0) * wtr]).tocsr()
            xva = sp.hstack([xva, config.get("wscale", 1.0) * wva]).tocsr()
        if config.get("stack"):
            weak_model = stacked(config["stack"])
            ptr = weak_model.probabilities(texts)
            pva = weak_model.probabilities([questions[i]["question"] for i in va])
            f = (lambda p: np.log(p + 1e-4)) if config.get("log") else (lambda p: p)
            xtr = sp.hstack([xtr, config.get("sscale", 1.0) * f(ptr)]).tocsr()
            xva = sp.hstack([xva, config.get("sscale", 1.0) * f(pva)]).tocsr()
        y = fine if config.get("fine") else coarse
        clf = LinearSVC(C=config["c"]) if config.get("svm") else LogisticRegression(C=config["c"], max_iter=3000)
        clf.fit(xtr, y)
        pred = clf.predict(xva)
        pred = [REFERENCE_TOPICS.get(p) or p for p in pred]
        accs.append(np.mean([p == REFERENCE_TOPICS[questions[i]["topic"]] for p, i in zip(pred, va, strict=True)]))
    return np.asarray(accs)


DIRECT: dict[str, dict] = {
    "d_base": {"c": 20.0},
    "d_stack_sc": {"c": 20.0, "stack": ("stard", "consult")},
    "d_stack_all": {"c": 20.0, "stack": ("stard", "consult", "articles")},
    "d_stack_all_log": {"c": 20.0, "stack": ("stard", "consult", "articles"), "log": True, "sscale": 0.3},
    "d_stack_all3": {"c": 20.0, "stack": ("stard", "consult", "articles"), "sscale": 3.0},
    "d_fine": {"c": 20.0, "fine": True},
    "d_svm": {"c": 1.0, "svm": True},
    "d_svm_fine": {"c": 1.0, "svm": True, "fine": True},
    "d_words": {"c": 20.0, "words": 1},
    "d_words2": {"c": 20.0, "words": 2},
    "d_svm_words": {"c": 1.0, "svm": True, "words": 1},
}


def main(names: list[str]) -> None:
    """Entry point."""
    questions = [q for q in topic_questions(SHARED, "train") if REFERENCE_TOPICS.get(q["topic"])]
    seeds = [(q["question"], q["topic"]) for q in read_jsonl(TOPIC_SEEDS_PATH)]
    names = names or list(DEFAULT)
    weak = weak_topic_questions(SHARED, load_articles(SHARED / "laws" / "articles.jsonl.gz")) \
        if any(n in CONFIGS for n in names) else {}
    print(f"topics_train served: {len(questions)}; weak sources: "
          + ", ".join(f"{k} {len(v)}" for k, v in weak.items()))
    print("| config | CV accuracy (mean ± sd, 2×5 folds) | seconds |")
    print("|---|---|---|")
    for name in names:
        POOLED.clear()
        t = time.time()
        accs = run_direct(DIRECT[name], questions, seeds) if name in DIRECT else run(CONFIGS[name], questions, weak, seeds)
        print(f"| {name} | {accs.mean():.3f} ± {accs.std():.3f} | {time.time() - t:.0f} |", flush=True)
    if os.environ.get("DETAIL") and POOLED:
        print_recall()


if __name__ == "__main__":
    main(sys.argv[1:])
