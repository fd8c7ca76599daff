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


def row(name: str, m: dict[str, float]) -> str:
    """One table row."""
    cells = " | ".join(f"{m[f'R@{k}']:.3f}" for k in KS)
    return f"| {name:<28} | {int(m['n']):>4} | {cells} | {m['MRR@10']:.3f} |"


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


def latency_ms(answer: Callable[[str], object], questions: Sequence[dict]) -> tuple[float, float]:
    """p50 and p95 of ``answer`` over the questions, in ms (this process, index and model warm)."""
    times = []
    for q in questions:
        t = time.perf_counter()
        answer(q["question"])
        times.append(time.perf_counter() - t)
    ms = np.asarray(times) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def calibration_curve(engine: Engine, questions: Sequence[dict]) -> list[str]:
    """Hand-off rate against the share of the answers given alone whose top 3 holds a cited article, for the
    thresholds on the calibrated confidence; the engine's configured threshold is marked."""
    answers = [engine.answer(q["question"], top_k=10) for q in questions]
    conf = np.asarray([a.confidence for a in answers])
    hit3 = np.asarray([bool(set(q["relevant"]) & {aid for aid, _ in a.ranked[:3]}) for a, q in
                       zip(answers, questions, strict=True)])
    chosen = engine.config.handoff_threshold
    lines = ["| threshold | hand-off rate | answered alone | top-3 right among them |", "|---|---|---|---|"]
    for t in sorted({0.0, chosen, *np.round(np.quantile(conf, np.linspace(0, 0.95, 20)), 3).tolist()}):
        alone = conf >= t
        right = float(hit3[alone].mean()) if alone.any() else float("nan")
        mark = "  <- shipped" if t == chosen else ""
        lines.append(f"| {t:.3f} | {1 - alone.mean():.2f} | {int(alone.sum())} | {right:.2f}{mark} |")
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
    bm25 = {name: evaluate(lambda q: [a for a, _ in engine.bm25(q, 100)], qs) for name, qs in sets.items()}
    bm25_lat = {name: latency_ms(lambda q: engine.bm25(q, 100), qs) for name, qs in sets.items()}
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
    header = "| questions (test part)        | system   |    n |  R@1  |  R@5  |  R@10 | R@100 | MRR@10 | p50 ms | p95 ms |"
    lines = [header, "|" + "---|" * 10]
    for name, qs in sets.items():
        pipe = evaluate(lambda q: [a for a, _ in engine.search(q, 100)], qs)
        lat = latency_ms(lambda q: engine.answer(q, top_k=10), qs)
        for system, m, (p50, p95) in (("BM25", bm25[name], bm25_lat[name]), ("pipeline", pipe, lat)):
            lines.append(f"| {name:<28} {row(system, m)[1:]} {p50:6.1f} | {p95:6.1f} |")
    print("\n".join(lines), flush=True)
    print()
    print("confidence on consult_test (calibrated P(top-1 right)); hand-off below the threshold:")
    print("\n".join(calibration_curve(engine, test["consult"])))
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
