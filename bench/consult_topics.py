"""Benchmark of the question topic classifier (the kind of matter of a consultation).

Usage::

    XIANGZHI_SHARED_DIR=../shared python bench/consult_topics.py

Reference labels: ``../shared/data/consultations/topics.jsonl`` (20 kinds), mapped onto the platform's topics by
``topics.REFERENCE_TOPICS`` and restricted to the kinds the platform serves.  The classifier is trained exactly as
the training command trains the shipped one (``training.fit_topics``) on ``topics_train`` and scored on
``topics_test`` (``src/xiangzhi/consultation/data/splits/``), against two floors measured in the same run: the
majority class of the train part and the keyword cues alone.  Also printed: the accuracy of the shipped model
(trained on the same train part), per-topic recall and the most frequent confusions.
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

    def keyword(question: str) -> str:
        cues = keyword_topics(normalize_question(question))
        return TOPICS[int(np.argmax(cues))] if cues.any() else majority

    model = fit_topics(train)
    probs = model.probabilities([q["question"] for q in test])
    predicted = np.asarray([TOPICS[int(i)] for i in probs.argmax(axis=1)])
    kinds = [model.kinds(p, q["question"]) for p, q in zip(probs, test, strict=True)]
    systems = {
        f"majority class ({majority})": np.asarray([majority] * len(test)),
        "keyword cues": np.asarray([keyword(q["question"]) for q in test]),
        "classifier (primary topic)": predicted,
    }
    print(f"topics_test: {len(test)} consultations of the {len(served)} served platform topics "
          f"({len(REFERENCE_TOPICS)} reference kinds, {sum(1 for t in REFERENCE_TOPICS.values() if not t)} not served)")
    print("| system | accuracy |")
    print("|---|---|")
    for name, pred in systems.items():
        print(f"| {name} | {np.mean(pred == gold):.3f} |")
    in_kinds = np.mean([g in k for g, k in zip(gold, kinds, strict=True)])
    print(f"| classifier, reference kind among the kinds it lists (primary + secondary ≥ "
          f"{model.secondary_threshold}) | {in_kinds:.3f} |")
    print(f"kinds listed per question: mean {np.mean([len(k) for k in kinds]):.2f}")
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
