"""Benchmark: the database-backed ledger (Django, Leaf + Node tables) next to pymerkle 7's SqliteTree.

Run with ``python bench/ledger_db.py [--sizes 10000,100000] [--single 2000] [--proofs 500]
[--database-url postgres://…/scratch_db]``. Without ``--database-url`` a fresh SQLite database (WAL, the project's
settings) is created in a temporary directory and migrated. For each size n, in the same run:

* single appends: ``--single`` calls of ``services.append_leaf`` (one transaction each: log lock, size, frontier,
  insert leaf + nodes) and the same number of ``SqliteTree.append_entry`` (one commit each);
* batch appends (1000 per transaction: ``services.append_entries`` / ``SqliteTree.append_entries``) up to n;
* inclusion proofs for ``--proofs`` random indices against the tree of size n: ours is one query for the size and
  one for the O(log n) nodes (``services.prove_inclusion``); pymerkle's ``prove_inclusion(i + 1, n)``;
* the bench asserts both trees have the same root, identical audit paths (pymerkle's path starts with the leaf
  hash itself), that every proof verifies and has at most ceil(log2 n) hashes.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _scratch import setup_scratch  # noqa: E402 - beside this file

try:
    from pymerkle import SqliteTree
except ImportError:  # pragma: no cover
    SqliteTree = None

BATCH = 1000




def _leaf(i: int) -> tuple[str, dict]:
    return "bench.item", {"n": i}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--single", type=int, default=2000, help="single-transaction appends measured per size")
    parser.add_argument("--proofs", type=int, default=500)
    parser.add_argument("--database-url", help="scratch database (will be migrated and filled)")
    parser.add_argument("--no-pymerkle", action="store_true")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    tmp = tempfile.mkdtemp(prefix="xiangzhi-bench-")
    setup_scratch(args.database_url, tmp)

    from django.db import connection

    from xiangzhi.ledger import services
    from xiangzhi.ledger.canonical import canonical_leaf
    from xiangzhi.ledger.merkle import leaf_hash, verify_inclusion
    from xiangzhi.ledger.models import Leaf

    if Leaf.objects.exists():
        sys.exit("the bench database already holds ledger leaves; give it an empty scratch database")
    pm = None if (args.no_pymerkle or SqliteTree is None) else SqliteTree(str(Path(tmp) / "pymerkle.sqlite3"))
    rng = random.Random(7)
    rows = []
    print(f"database: {connection.vendor}; pymerkle SqliteTree: {'yes' if pm else 'no'}; tmp {tmp}")
    for n in sizes:
        have = services.tree_size()
        single = min(args.single, n - have)
        # -- single appends, one transaction each
        t0 = time.perf_counter()
        for i in range(have, have + single):
            services.append_leaf(*_leaf(i))
        ours_single = single / (time.perf_counter() - t0)
        pm_single = None
        if pm:
            t0 = time.perf_counter()
            for i in range(have, have + single):
                pm.append_entry(canonical_leaf(*_leaf(i)))
            pm_single = single / (time.perf_counter() - t0)
        # -- batch appends up to n
        start = have + single
        t0 = time.perf_counter()
        for lo in range(start, n, BATCH):
            services.append_entries([services.Entry(*_leaf(i)) for i in range(lo, min(n, lo + BATCH))])
        t_ours = time.perf_counter() - t0
        ours_batch = (n - start) / t_ours if n > start else float("nan")
        pm_batch = None
        if pm:
            t0 = time.perf_counter()
            for lo in range(start, n, BATCH):
                pm.append_entries([canonical_leaf(*_leaf(i)) for i in range(lo, min(n, lo + BATCH))])
            pm_batch = (n - start) / (time.perf_counter() - t0) if n > start else float("nan")
        # -- proofs
        root = services.root_at(n)
        bound = math.ceil(math.log2(n))
        indices = [rng.randrange(n) for _ in range(args.proofs)]
        t0 = time.perf_counter()
        proofs = [services.prove_inclusion(i, n) for i in indices]
        ours_proof_ms = (time.perf_counter() - t0) / len(indices) * 1000
        longest = max(len(p.proof) for p in proofs)
        assert longest <= bound, (longest, bound)
        for i, p in zip(indices, proofs, strict=True):
            assert p.leaf_hash == leaf_hash(canonical_leaf(*_leaf(i)))
            verify_inclusion(p.leaf_hash, i, n, p.proof, root)
        pm_proof_ms = None
        if pm:
            assert pm.get_root(n) == root, "pymerkle root differs from ours"
            t0 = time.perf_counter()
            pm_proofs = [pm.prove_inclusion(i + 1, n) for i in indices]
            pm_proof_ms = (time.perf_counter() - t0) / len(indices) * 1000
            for p, q in zip(proofs, pm_proofs, strict=True):
                assert list(q.path[1:]) == p.proof, "pymerkle audit path differs from ours"
        rows.append((n, ours_single, pm_single, ours_batch, pm_batch, ours_proof_ms, pm_proof_ms, longest, bound))

    def f(x: float | None, fmt: str) -> str:
        return "—" if x is None else format(x, fmt)

    print()
    print("| leaves n | single append/s ours | pymerkle | batch append/s ours | pymerkle | "
          "proof ms ours | pymerkle | max proof len | ⌈log₂ n⌉ |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, os_, ps, ob, pb, op, pp, longest, bound in rows:
        print(f"| {n:,} | {f(os_, ',.0f')} | {f(ps, ',.0f')} | {f(ob, ',.0f')} | {f(pb, ',.0f')} | "
              f"{f(op, '.3f')} | {f(pp, '.3f')} | {longest} | {bound} |")
    if pm:
        pm.close()


if __name__ == "__main__":
    main()
