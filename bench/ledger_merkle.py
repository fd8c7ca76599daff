"""Benchmark: the ledger's in-memory Merkle store next to pymerkle 7's in-memory tree.

Run with ``python bench/ledger_merkle.py [--sizes 10000,100000,1000000] [--proofs 2000]
[--budget 120]``. For each size it measures, in the same process:

* append rate (leaves/s) building the tree from scratch;
* mean time of an inclusion proof for random indices against the full tree;
* for ours also verification time, and that every proof has at most ceil(log2 n) hashes.

pymerkle is configured as RFC 6962 (``algorithm="sha256"``, security mode on: leaf prefix 0x00,
node prefix 0x01), and the bench asserts that both trees have the same root and that pymerkle's
audit path (which starts with the leaf hash itself) equals ours after that first element. If a
pymerkle build exceeds ``--budget`` seconds the build is stopped and the rate measured so far is
reported (marked with ``*``). Builds are timed with the cyclic GC enabled (as in production);
after each build the objects are frozen (``gc.freeze()``) so proof timings are not dominated by
full collections over millions of tree objects.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from xiangzhi.ledger.merkle import (  # noqa: E402
    InMemoryHashStore,
    inclusion_proof,
    leaf_hash,
    verify_inclusion,
)

try:
    from pymerkle import InmemoryTree
except ImportError:  # pragma: no cover
    InmemoryTree = None


def _leaf(i: int) -> bytes:
    return b"xiangzhi leaf %d" % i


def bench_ours(n: int, indices: list[int]) -> dict[str, float | int | bytes]:
    store = InMemoryHashStore()
    append = store.append_data
    t0 = time.perf_counter()
    for i in range(n):
        append(_leaf(i))
    t_append = time.perf_counter() - t0
    root = store.root()
    gc.collect()
    gc.freeze()  # keep the cyclic GC from rescanning millions of tree objects during timing

    t0 = time.perf_counter()
    proofs = [inclusion_proof(store, i) for i in indices]
    t_proof = time.perf_counter() - t0

    bound = math.ceil(math.log2(n))
    max_len = max(len(p) for p in proofs)
    assert max_len <= bound, f"proof length {max_len} > ceil(log2 {n}) = {bound}"
    t0 = time.perf_counter()
    for i, p in zip(indices, proofs, strict=True):
        verify_inclusion(leaf_hash(_leaf(i)), i, n, p, root)
    t_verify = time.perf_counter() - t0
    return {
        "rate": n / t_append,
        "append_s": t_append,
        "proof_us": t_proof / len(indices) * 1e6,
        "verify_us": t_verify / len(indices) * 1e6,
        "max_len": max_len,
        "root": root,
        "store": store,  # type: ignore[dict-item]
    }


def bench_pymerkle(n: int, indices: list[int], budget: float, ours: InMemoryHashStore) -> dict[str, object]:
    tree = InmemoryTree(algorithm="sha256")  # security mode (RFC 6962 prefixes) is the default
    append = tree.append_entry
    t0 = time.perf_counter()
    done = 0
    deadline = t0 + budget
    while done < n:
        stop = min(n, done + 4096)
        for i in range(done, stop):
            append(_leaf(i))
        done = stop
        if time.perf_counter() > deadline:
            break
    t_append = time.perf_counter() - t0
    size = tree.get_size()
    gc.collect()
    gc.freeze()
    assert tree.get_root() == ours.root(size), "pymerkle root differs from ours"
    usable = [i for i in indices if i < size]
    t0 = time.perf_counter()
    proofs = [tree.prove_inclusion(i + 1) for i in usable]  # pymerkle counts leaves from one
    t_proof = time.perf_counter() - t0
    for i, p in zip(usable[:50], proofs[:50], strict=True):
        assert list(p.path[1:]) == inclusion_proof(ours, i, size), "pymerkle audit path differs from ours"
    return {
        "rate": size / t_append,
        "append_s": t_append,
        "complete": size == n,
        "size": size,
        "proof_us": t_proof / max(1, len(usable)) * 1e6,
        "max_len": max(len(p.path) - 1 for p in proofs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--proofs", type=int, default=2000, help="random inclusion proofs per size")
    parser.add_argument("--budget", type=float, default=120.0, help="max seconds for one pymerkle build")
    parser.add_argument("--no-pymerkle", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(6962)

    print(f"Python {sys.version.split()[0]}; {args.proofs} random inclusion proofs per size")
    header = (
        f"{'leaves':>9} | {'implementation':<23} | {'append leaves/s':>15} | {'build s':>8} | "
        f"{'proof µs':>9} | {'verify µs':>9} | {'max len':>7} | {'⌈log2 n⌉':>8}"
    )
    print(header)
    print("-" * len(header))
    started = time.perf_counter()
    for n in sizes:
        indices = [rng.randrange(n) for _ in range(args.proofs)]
        bound = math.ceil(math.log2(n))
        ours = bench_ours(n, indices)
        print(
            f"{n:>9,} | {'xiangzhi.ledger':<23} | {ours['rate']:>15,.0f} | {ours['append_s']:>8.2f} | "
            f"{ours['proof_us']:>9.1f} | {ours['verify_us']:>9.1f} | {ours['max_len']:>7} | {bound:>8}",
            flush=True,
        )
        if InmemoryTree is not None and not args.no_pymerkle:
            pm = bench_pymerkle(n, indices, args.budget, ours["store"])  # type: ignore[arg-type]
            mark = "" if pm["complete"] else "*"
            label = "pymerkle 7 InmemoryTree" if pm["complete"] else f"pymerkle* ({pm['size']:,})"
            print(
                f"{n:>9,} | {label:<23} | {pm['rate']:>14,.0f}{mark or ' '} | {pm['append_s']:>8.2f} | "
                f"{pm['proof_us']:>9.1f} | {'-':>9} | {pm['max_len']:>7} | {bound:>8}",
                flush=True,
            )
        del ours
        gc.unfreeze()
        gc.collect()
    print(
        f"total {time.perf_counter() - started:.1f} s; all proofs within ⌈log2 n⌉ and all roots equal to pymerkle's"
    )


if __name__ == "__main__":
    main()
