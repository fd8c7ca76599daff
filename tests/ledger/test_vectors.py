"""The transparency-dev/merkle golden vectors: a correct verifier accepts exactly the valid ones."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.shared_data import require_shared
from xiangzhi.ledger.merkle import (
    EMPTY_ROOT,
    InMemoryHashStore,
    VerificationError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

VECTORS = require_shared("data/merkle", module=True)
CONSTANTS = json.loads((VECTORS / "constants.json").read_text())
LEAVES = [bytes.fromhex(h) for h in CONSTANTS["leaf_inputs_hex"]]
ROOTS = {int(k): bytes.fromhex(v) for k, v in CONSTANTS["root_hashes_hex_by_size"].items()}

INCLUSION = sorted((VECTORS / "inclusion").glob("**/*.json"))
CONSISTENCY = sorted((VECTORS / "consistency").glob("**/*.json"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _b(s: str) -> bytes:
    return base64.b64decode(s)


def _proof(v: dict[str, Any]) -> list[bytes]:
    return [_b(h) for h in v["proof"] or []]


def _id(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def _store(size: int) -> InMemoryHashStore:
    return InMemoryHashStore.from_leaf_data(LEAVES[:size])


def test_vector_counts() -> None:
    assert len(INCLUSION) == 98
    assert len(CONSISTENCY) == 98
    valid = [p for p in INCLUSION + CONSISTENCY if not _load(p)["wantErr"]]
    assert len(valid) == 12


@pytest.mark.parametrize("path", INCLUSION, ids=_id)
def test_inclusion_vector(path: Path) -> None:
    v = _load(path)
    args = (_b(v["leafHash"]), v["leafIdx"], v["treeSize"], _proof(v), _b(v["root"]))
    if v["wantErr"]:
        with pytest.raises(VerificationError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", CONSISTENCY, ids=_id)
def test_consistency_vector(path: Path) -> None:
    v = _load(path)
    args = (v["size1"], v["size2"], _proof(v), _b(v["root1"]), _b(v["root2"]))
    if v["wantErr"]:
        with pytest.raises(VerificationError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


@pytest.mark.parametrize("size", range(9))
def test_roots_of_standard_leaves(size: int) -> None:
    assert root_from_leaf_hashes([leaf_hash(d) for d in LEAVES[:size]]) == ROOTS[size]
    store = _store(size)
    assert store.root() == ROOTS[size]
    assert root_hash(store) == ROOTS[size]
    full = _store(8)
    assert full.root(size) == ROOTS[size]
    assert root_hash(full, size) == ROOTS[size]


def test_empty_root() -> None:
    assert ROOTS[0] == EMPTY_ROOT


def _valid(paths: list[Path]) -> list[Path]:
    return [p for p in paths if not _load(p)["wantErr"]]


@pytest.mark.parametrize("path", _valid(INCLUSION), ids=_id)
def test_generated_inclusion_proof_matches_vector(path: Path) -> None:
    v = _load(path)
    index, size = v["leafIdx"], v["treeSize"]
    store = _store(size)
    if store.get_subtree_hash(index, index + 1) != _b(v["leafHash"]):
        # single-entry/matching-root-and-leaf: an arbitrary leaf hash; build the tree from it.
        assert size == 1
        store = InMemoryHashStore()
        store.append(_b(v["leafHash"]))
        assert store.root() == _b(v["root"])
        assert inclusion_proof(store, index, size) == _proof(v)
        return
    assert _b(v["root"]) == ROOTS[size]
    assert inclusion_proof(store, index, size) == _proof(v)
    assert inclusion_proof(_store(8), index, size) == _proof(v)


@pytest.mark.parametrize("path", _valid(CONSISTENCY), ids=_id)
def test_generated_consistency_proof_matches_vector(path: Path) -> None:
    v = _load(path)
    size1, size2 = v["size1"], v["size2"]
    if _b(v["root2"]) != ROOTS[size2]:
        # additional/sizes-are-equal-one-and-proof-is-empty: placeholder roots, equal sizes.
        assert size1 == size2
        assert consistency_proof(_store(size2), size1, size2) == _proof(v) == []
        return
    assert _b(v["root1"]) == ROOTS[size1]
    assert consistency_proof(_store(size2), size1, size2) == _proof(v)
    assert consistency_proof(_store(8), size1, size2) == _proof(v)


def test_all_proofs_for_standard_leaves_verify() -> None:
    store = _store(8)
    for size in range(1, 9):
        for index in range(size):
            proof = inclusion_proof(store, index, size)
            verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])
        for size1 in range(1, size + 1):
            verify_consistency(size1, size, consistency_proof(store, size1, size), ROOTS[size1], ROOTS[size])
