"""Benchmark: the model selection (grouped CV on the training part) and the chosen triage classifier's accuracy on the held-out part of the fixed split (every example whose group
is 3 mod 4: texts about facts the model never saw), per type, next to the majority-class floor; and suggestion speed.

Run: ``.venv/bin/python bench/disputes_triage.py``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from xiangzhi.disputes import triage  # noqa: E402


def main() -> None:
    started = time.perf_counter()
    result = triage.evaluate()
    train_s = time.perf_counter() - started
    print(f"triage classifier ({triage.CHOSEN}); model selection by grouped 5-fold CV on the training part:")
    for name in triage.CANDIDATES:
        print(f"    {name:36s} CV {triage.cross_validate(name):.1%}   held-out {triage.evaluate(name)['accuracy']:.1%}")
    print(f"  train {result['train']} / held-out {result['test']} examples, 15 types; fit+eval {train_s:.1f}s")
    print(f"  held-out accuracy : {result['accuracy']:.1%}")
    print(f"  majority floor    : {result['majority_baseline']:.1%}  "
          f"(ratio {result['accuracy'] / result['majority_baseline']:.1f}x)")
    for code, acc in result["per_type"].items():
        print(f"    {code:14s} {acc:.0%}")
    model = triage.model()
    texts = [e["text"] for e in triage.load_examples()[:200]]
    started = time.perf_counter()
    for t in texts:
        model.predict(t)
    per = (time.perf_counter() - started) / len(texts)
    print(f"  suggestion time   : {per * 1000:.2f} ms per description")


if __name__ == "__main__":
    main()
