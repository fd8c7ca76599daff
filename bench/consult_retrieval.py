"""Benchmark of the consultation retrieval engine: plain BM25 against the trained pipeline.

Usage::

    XIANGZHI_SHARED_DIR=../shared python bench/consult_retrieval.py [--cache DIR] [--no-serving]

The pipeline (the model shipped in the package, or with ``--retrain`` one fitted here) is trained on the train parts of the committed splits (STARD ``random_train`` + real consultations
``consult_train``, see ``src/xiangzhi/consultation/data/splits/README.md``) and scored on questions it was never
tuned on: STARD ``random_test``, consultations ``consult_test`` and the hand-written narratives.  Prints
Recall@1/5/10/100, MRR@10 and p50/p95 latency per set for both systems, the confidence curve (hand-off rate against
the share of answers given alone whose top 3 holds a cited article) with the shipped threshold marked, index build
and training time, and start-up time, latency and resident memory of a fresh process serving from the cache.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xiangzhi.consultation.retrieval import Engine, load_articles, load_questions, model  # noqa: E402
from xiangzhi.consultation.retrieval.corpus import NARRATIVES_PATH, read_jsonl  # noqa: E402
from xiangzhi.consultation.retrieval.training import retrieval_questions  # noqa: E402

SHARED = Path(os.environ.get("XIANGZHI_SHARED_DIR") or ROOT.parent / "shared") / "data"
ARTICLES = SHARED / "laws" / "articles.jsonl.gz"
QUESTIONS = SHARED / "stard" / "train.jsonl"
KS = (1, 5, 10, 100)


def evaluate(rank: Callable[[str], list[str]], questions: Sequence[dict]) -> dict[str, float]:
    """Mean per-question Recall@k and MRR@10 (questions whose articles are all in the corpus)."""
    recalls: dict[int, list[float]] = {k: [] for k in KS}
    mrr: list[float] = []
    for q in questions:
        if not q.get("all_found", True):
            continue
        ranked = rank(q["question"])
        relevant = set(q["relevant"])
        for k in KS:
            recalls[k].append(len(relevant & set(ranked[:k])) / len(relevant))
        mrr.append(next((1.0 / (i + 1) for i, a in enumerate(ranked[:10]) if a in relevant), 0.0))
    out = {f"R@{k}": float(np.mean(v)) for k, v in recalls.items()}
    out["MRR@10"] = float(np.mean(mrr))
    out["n"] = float(len(mrr))
    return out


def row(name: str, system: str, m: dict[str, float], p50: float, p95: float) -> str:
    """One table row."""
    cells = " | ".join(f"{m[f'R@{k}']:.3f}" for k in KS)
    return f"| {name:<26} | {system:<8} | {int(m['n']):>4} | {cells} | {m['MRR@10']:.3f} | {p50:6.1f} | {p95:6.1f} |"


def probe(cache_dir: Path) -> dict[str, float]:
    """Start-up, latency and memory of a fresh process serving from ``cache_dir``."""
    out = subprocess.run([sys.executable, __file__, "--probe", str(cache_dir)], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"serving probe failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def peak_rss_mb() -> float:
    """Peak resident memory of this process since it started.  ``VmHWM`` belongs to the process's own address
    space; ``ru_maxrss`` of a child started by fork + exec keeps the parent's peak (here: the benchmark's index build
    and training), so it is only the fallback where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_probe(cache_dir: Path) -> None:
    """Child process: load, answer a mix of questions, report timings and memory as JSON."""
    import psutil

    start = time.perf_counter()
    engine = Engine.load(cache_dir)
    if engine.reranker is None:
        model.attach(engine)
    startup = time.perf_counter() - start
    rss_loaded = psutil.Process().memory_info().rss
    questions = [q["question"] for q in load_questions(QUESTIONS)][:300]
    questions += [n["question"] for n in read_jsonl(NARRATIVES_PATH)]
    engine.answer(questions[0])
    times = []
    for q in questions:
        t = time.perf_counter()
        engine.answer(q, top_k=10)
        times.append(time.perf_counter() - t)
    ms = np.asarray(times) * 1000
    print(json.dumps({
        "startup_s": startup,
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "rss_loaded_mb": rss_loaded / 2**20,
        "rss_mb": psutil.Process().memory_info().rss / 2**20,
        "maxrss_mb": peak_rss_mb(),
        "load": os.getloadavg()[0],
    }))


def timed(rank: Callable[[str], object], questions: Sequence[dict]) -> tuple[list, float, float]:
    """``rank`` of every question with p50 and p95 of its time in ms (this process, index and model warm)."""
    out, times = [], []
    for q in questions:
        t = time.perf_counter()
        out.append(rank(q["question"]))
        times.append(time.perf_counter() - t)
    ms = np.asarray(times) * 1000
    return out, float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def calibration_curve(answers: Sequence, questions: Sequence[dict], chosen: float) -> list[str]:
    """Hand-off rate against the share of the answers given alone whose top 3 holds a cited article, for
    thresholds on the calibrated confidence; the shipped threshold (chosen in training) is marked."""
    conf = np.asarray([a.confidence for a in answers])
    hit3 = np.asarray([bool(set(q["relevant"]) & {aid for aid, _ in a.ranked[:3]}) for a, q in
                       zip(answers, questions, strict=True)])
    lines = ["| threshold | hand-off rate | answered alone | top-3 right among them |", "|---|---|---|---|"]
    for t in sorted({0.0, chosen, *np.round(np.quantile(conf, np.linspace(0, 0.95, 20)), 3).tolist()}):
        alone = conf >= t
        right = f"{hit3[alone].mean():.2f}" if alone.any() else "-"
        mark = "  <- shipped" if t == chosen else ""
        lines.append(f"| {t:.3f} | {1 - alone.mean():.2f} | {int(alone.sum())} | {right}{mark} |")
    lines.append(f"(top-3 right over all {len(questions)} questions: {hit3.mean():.2f})")
    return lines


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=None, help="cache dir (default: fresh temp dir)")
    parser.add_argument("--no-serving", action="store_true", help="skip the fresh-process memory probe")
    parser.add_argument("--retrain", action="store_true",
                        help="fit here on the train parts instead of scoring the shipped model (which "
                             "`xiangzhi consult_train` trains on the same train parts)")
    parser.add_argument("--probe", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        run_probe(args.probe)
        return
    tmp = tempfile.TemporaryDirectory(prefix="xz-consult-")
    cache_dir = args.cache or Path(tmp.name)
    articles = load_articles(ARTICLES)
    start = time.perf_counter()
    engine = Engine.build(articles, cache_dir=cache_dir)
    build_s = time.perf_counter() - start
    train = retrieval_questions(SHARED, "train")
    test = retrieval_questions(SHARED, "test")
    narratives = list(read_jsonl(NARRATIVES_PATH))
    sets = {"STARD random_test": test["stard"], "consultations consult_test": test["consult"],
            "hand-written narratives": narratives}
    bm25 = {name: timed(lambda q: [a for a, _ in engine.bm25(q, 100)], qs) for name, qs in sets.items()}
    start = time.perf_counter()
    training = train["stard"] + train["consult"]
    if args.retrain:
        engine.fit(training)
        source = f"trained here on STARD random_train ({len(train['stard'])}) + consult_train ({len(train['consult'])})"
    else:
        state = model.read()
        if state is None or state["meta"].get("questions") != len(training):
            raise SystemExit("no shipped model trained on these train parts: run `xiangzhi consult_train` or --retrain")
        model.attach(engine, state=state)
        source = f"shipped model ({model.MODEL_PATH.name}, {state['meta']})"
    fit_s = time.perf_counter() - start
    header = "| questions (test part)      | system   |    n |  R@1  |  R@5  |  R@10 | R@100 | MRR@10 | p50 ms | p95 ms |"
    lines = [header, "|" + "---|" * 10]
    answers = {}
    for name, qs in sets.items():
        answers[name], p50, p95 = timed(lambda q: engine.answer(q, top_k=100), qs)
        ranked = {q["question"]: [aid for aid, _ in a.ranked] for q, a in zip(qs, answers[name], strict=True)}
        pipe = evaluate(lambda q: ranked[q], qs)  # noqa: B023 - used at once
        bm25_ranked = {q["question"]: r for q, r in zip(qs, bm25[name][0], strict=True)}
        base = evaluate(lambda q: bm25_ranked[q], qs)  # noqa: B023 - used at once
        lines.append(row(name, "BM25", base, bm25[name][1], bm25[name][2]))
        lines.append(row(name, "pipeline", pipe, p50, p95))
    print("\n".join(lines), flush=True)
    print()
    print("confidence on consult_test (calibrated P(top-1 right)); hand-off below the threshold:")
    print("\n".join(calibration_curve(answers["consultations consult_test"], test["consult"],
                                     engine.config.handoff_threshold)))
    print()
    print(f"index build (tokenise + BM25 fields, from scratch or cache): {build_s:.1f} s")
    print(f"model: {source}; {fit_s:.1f} s")
    if args.no_serving:
        return
    if args.retrain:
        engine.save(cache_dir, questions=training)
    serving = probe(cache_dir)
    print(f"start-up, Engine.load from cache (fresh process): {serving['startup_s']:.2f} s")
    print(f"answer() latency in the fresh process: p50 {serving['p50_ms']:.1f} ms, p95 {serving['p95_ms']:.1f} ms "
          f"(load average during the probe {serving['load']:.1f} on {os.cpu_count()} cores)")
    print(f"resident memory (fresh serving process): rss after load {serving['rss_loaded_mb']:.0f} MB, "
          f"rss after queries {serving['rss_mb']:.0f} MB, peak {serving['maxrss_mb']:.0f} MB")
    print(f"bench process ru_maxrss (incl. index build + training): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
