"""Benchmark of the consultation retrieval engine on the committed STARD splits and narratives.

Usage::

    python bench/consult_retrieval.py [--split random|topic|both] [--cache DIR] [--dev FOLDS]

Prints Recall@1/5/10/100 and MRR@10 for plain BM25 and the full pipeline on each split's test
part (the pipeline is trained on the split's train part only; ``--dev`` adds cross-validation
inside the train part, the figure settings are chosen on), the same on the hand-written
narratives, index build time, start-up (load from cache) time, p50/p95 latency of ``answer()``
and resident memory of a fresh process serving from the cache.
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

from xiangzhi.consultation.retrieval import Engine, load_articles, load_questions, read_split  # noqa: E402
from xiangzhi.consultation.retrieval.corpus import NARRATIVES_PATH, read_jsonl  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
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


def dev_folds(engine: Engine, train: list[dict], split: str, folds: int) -> dict[str, float]:
    """Cross-validation inside a split's train part (the "dev" figure used to choose settings; the test part is
    never looked at): fit on the other folds, rank the held-out fold; folds are random for the random split and
    blocks of 50 consecutive qids for the topic split."""
    rng = np.random.default_rng(123)
    qids = sorted(q["qid"] for q in train)
    if split == "topic":
        block = {qid: i // 50 for i, qid in enumerate(qids)}
        perm = rng.permutation(max(block.values()) + 1)
        fold = {qid: int(perm[block[qid]] % folds) for qid in qids}
    else:
        perm = rng.permutation(len(qids))
        fold = {qid: int(perm[i] % folds) for i, qid in enumerate(qids)}
    ranked: dict[str, list[str]] = {}
    for f in range(folds):
        engine.fit([q for q in train if fold[q["qid"]] != f], fold_mode="block" if split == "topic" else "random")
        for q in train:
            if fold[q["qid"]] == f:
                ranked[q["question"]] = [a for a, _ in engine.search(q["question"], 100)]
    return evaluate(lambda question: ranked[question], train)


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


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("random", "topic", "both"), default="both")
    parser.add_argument("--cache", type=Path, default=None, help="cache dir (default: fresh temp dir)")
    parser.add_argument("--dev", type=int, default=0, metavar="FOLDS",
                        help="also print FOLDS-fold cross-validation inside each train part (slower)")
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
    by_qid = {q["qid"]: q for q in load_questions(QUESTIONS)}
    narratives = list(read_jsonl(NARRATIVES_PATH))
    splits = ("random", "topic") if args.split == "both" else (args.split,)
    header = "| system                       |    n |  R@1  |  R@5  |  R@10 | R@100 | MRR@10 |"
    lines = [header, "|" + "---|" * 7]
    baseline_done = False
    fit_s = {}
    for split in splits:
        train_ids, test_ids = read_split(split)
        train = [by_qid[i] for i in train_ids]
        test = [by_qid[i] for i in test_ids]
        if args.dev:
            lines.append(row(f"{split} dev: BM25", evaluate(lambda q: [a for a, _ in engine.bm25(q, 100)], train)))
            lines.append(row(f"{split} dev: pipeline", dev_folds(engine, train, split, args.dev)))
        lines.append(row(f"{split}: BM25", evaluate(lambda q: [a for a, _ in engine.bm25(q, 100)], test)))
        start = time.perf_counter()
        engine.fit(train, fold_mode="block" if split == "topic" else "random")
        fit_s[split] = time.perf_counter() - start
        lines.append(row(f"{split}: pipeline", evaluate(lambda q: [a for a, _ in engine.search(q, 100)], test)))
        if not baseline_done:
            lines.append(row("narratives: BM25", evaluate(lambda q: [a for a, _ in engine.bm25(q, 100)], narratives)))
            baseline_done = True
        lines.append(row(f"narratives: pipeline ({split})",
                         evaluate(lambda q: [a for a, _ in engine.search(q, 100)], narratives)))
        engine.save(cache_dir, questions=train)
    print("\n".join(lines), flush=True)
    serving = probe(cache_dir)
    print()
    print(f"index build (tokenise + BM25 fields, from scratch or cache): {build_s:.1f} s")
    for split, s in fit_s.items():
        print(f"training on {split} train part (cross-fitted features, re-ranker, calibration): {s:.1f} s")
    print(f"start-up, Engine.load from cache (fresh process): {serving['startup_s']:.2f} s")
    print(f"answer() latency: p50 {serving['p50_ms']:.1f} ms, p95 {serving['p95_ms']:.1f} ms "
          f"(load average during the probe {serving['load']:.1f} on {os.cpu_count()} cores)")
    print(f"resident memory (fresh serving process): rss after load {serving['rss_loaded_mb']:.0f} MB, "
          f"rss after queries {serving['rss_mb']:.0f} MB, peak {serving['maxrss_mb']:.0f} MB")
    print(f"bench process ru_maxrss (incl. index build + training): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
