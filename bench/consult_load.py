"""Benchmark: loading the shipped law corpus and serving questions from it, as a repository-only checkout does.

Usage::

    python bench/consult_load.py [--corpus PATH] [--questions N] [--workers N]

Each step runs in a fresh process on a fresh database (SQLite in a temporary data dir, or ``DATABASE_URL``) with
``XIANGZHI_SHARED_DIR`` pointing nowhere, so nothing outside the repository is used:

1. floor: read and decompress the gzip and parse every JSON line (what any loader must at least do);
2. ``xiangzhi migrate`` (not counted);
3. ``xiangzhi load_laws PATH``: rows in the database, index built, saved and published;
4. ``xiangzhi ask --jsonl --top 10`` with N questions (the hand-written narratives and short questions, cycled):
   start-up (the published index loaded from the cache), answers, resident memory at the end.

Peak memory is the largest sum of the resident sets of the process and its children (the tokenising workers),
sampled every 100 ms, so shared copy-on-write pages count twice: an upper bound. CPU seconds (the process and its
children) say more than wall time on a busy machine. Figures are printed with their ratio
to the floor; nothing is asserted (the issue's budget: load ≤ 60 s and ≤ 1 GB peak, serving ≤ 600 MB).
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
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "src" / "xiangzhi" / "consultation" / "data" / "laws" / "articles.jsonl.gz"
NARRATIVES = ROOT / "src" / "xiangzhi" / "consultation" / "data" / "narratives.jsonl"
SHORT = ["邻居家的树根把我家院墙顶裂了怎么办", "老板拖欠工资三个月了怎么办", "我想离婚孩子归谁", "借钱不还怎么办",
         "在工地上干活摔伤了老板不管", "宅基地被邻居占了怎么办", "土地承包到期了还能续包吗", "父亲去世没有遗嘱房子怎么分",
         "被狗咬了找谁赔", "买到假货商家不退怎么办"]
FLOOR_CODE = """
import gzip, json, sys
n = 0
with gzip.open(sys.argv[1], "rt", encoding="utf-8") as fh:
    for line in fh:
        json.loads(line)
        n += 1
print(n)
"""


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str], env: dict[str, str], stdin: bytes | None = None) -> tuple[float, float, float, bytes]:
    """Run ``cmd``; wall seconds, CPU seconds (with its children), peak resident MB of its process tree, stdout."""
    cpu0 = cpu_of_children()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ps = psutil.Process(proc.pid)
    peak = 0
    if stdin is not None:
        proc.stdin.write(stdin)
    proc.stdin.close()
    import threading

    chunks: list[bytes] = []
    errs: list[bytes] = []
    readers = [threading.Thread(target=lambda: chunks.append(proc.stdout.read())),
               threading.Thread(target=lambda: errs.append(proc.stderr.read()))]
    for t in readers:
        t.start()
    while proc.poll() is None:
        try:
            tree = [ps, *ps.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    for t in readers:
        t.join()
    wall = time.perf_counter() - start
    if proc.returncode:
        sys.stderr.write(b"".join(errs).decode(errors="replace")[-3000:])
        raise SystemExit(f"{' '.join(cmd[:4])} failed ({proc.returncode})")
    return wall, cpu_of_children() - cpu0, peak / 2**20, b"".join(chunks)


def questions(n: int) -> list[str]:
    texts = [json.loads(line)["question"] for line in NARRATIVES.read_text(encoding="utf-8").splitlines() if line]
    texts += SHORT
    return [texts[i % len(texts)] for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--workers", type=int, default=0, help="XIANGZHI_INDEX_WORKERS (0: one per core, ≤ 4)")
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="xz-load-") as tmp:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "XIANGZHI_DATA_DIR": tmp,
               "XIANGZHI_SHARED_DIR": str(Path(tmp) / "no-shared"), "XIANGZHI_INDEX_WORKERS": str(args.workers)}
        floor_s, floor_cpu, floor_mb, out = run([py, "-c", FLOOR_CODE, args.corpus], env)
        n_records = int(out)
        run([py, "-m", "xiangzhi", "migrate", "-v0"], env)
        load_s, load_cpu, load_mb, out = run([py, "-m", "xiangzhi", "load_laws", args.corpus], env)
        qs = questions(args.questions)
        lines = "".join(json.dumps({"question": q}, ensure_ascii=False) + "\n" for q in qs).encode()
        serve_s, serve_cpu, serve_mb, out = run([py, "-m", "xiangzhi", "ask", "--jsonl", "--top", "10"], env, stdin=lines)
        answers = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
        cache = Path(tmp) / "consult-cache"
        index_mb = sum(p.stat().st_size for p in cache.glob("*.pkl")) / 2**20
    cited = sum(1 for a in answers if a["citations"])
    print(f"corpus: {n_records} records ({Path(args.corpus).stat().st_size / 2**20:.1f} MB gzip), "
          f"database: {'PostgreSQL' if os.environ.get('DATABASE_URL') else 'SQLite'}, cores: {os.cpu_count()}")
    print(f"{'step':<44}{'wall s':>8}{'× floor':>8}{'CPU s':>8}{'× floor':>8}{'peak MB':>9}{'× floor':>8}")
    for name, wall, cpu, mb in (("floor: read + gunzip + parse every line", floor_s, floor_cpu, floor_mb),
                                ("load_laws (rows + index built and published)", load_s, load_cpu, load_mb),
                                (f"ask --jsonl: start + {len(qs)} questions", serve_s, serve_cpu, serve_mb)):
        print(f"{name:<44}{wall:>8.1f}{wall / floor_s:>8.1f}{cpu:>8.1f}{cpu / floor_cpu:>8.1f}"
              f"{mb:>9.0f}{mb / floor_mb:>8.1f}")
    print(f"index files in the cache: {index_mb:.0f} MB; answers: {len(answers)}, with citations: {cited}; "
          f"budget: load ≤ 60 s and ≤ 1024 MB, serving ≤ 600 MB")


if __name__ == "__main__":
    main()
