"""Property tests: generated proofs match the RFC's recursive definitions, verify, and detect tampering."""

from __future__ import annotations

import math
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xiangzhi.ledger.merkle import (
    CompactRange,
    InMemoryHashStore,
    MappingHashStore,
    VerificationError,
    _decomp_incl_proof,
    consistency_proof,
    consistency_proof_nodes,
    inclusion_proof,
    inclusion_proof_nodes,
    leaf_hash,
    root_from_leaf_hashes,
    root_hash,
    root_hash_nodes,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)

MAX_LEAVES = 3000
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----- reference implementations, straight from RFC 9162 §2.1 ------------------------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1 over leaf hashes."""
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return ref_path(m, d[:k]) + [root_from_leaf_hashes(d[k:])]
    return ref_path(m - k, d[k:]) + [root_from_leaf_hashes(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1 over leaf hashes."""
    n = len(d)
    if m == n:
        return [] if b else [root_from_leaf_hashes(d)]
    k = _k(n)
    if m <= k:
        return ref_subproof(m, d[:k], b) + [root_from_leaf_hashes(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [root_from_leaf_hashes(d[:k])]


# ----- shared trees of distinct leaves --------------------------------------------------------------


@lru_cache(maxsize=1)
def _all_hashes() -> list[bytes]:
    return [leaf_hash(b"leaf-%d" % i) for i in range(MAX_LEAVES)]


@lru_cache(maxsize=64)
def _store(n: int) -> InMemoryHashStore:
    store = InMemoryHashStore()
    for h in _all_hashes()[:n]:
        store.append(h)
    return store


@lru_cache(maxsize=4096)
def _root(n: int) -> bytes:
    return root_from_leaf_hashes(_all_hashes()[:n])


def _flip(data: bytes, pos: int, mask: int) -> bytes:
    out = bytearray(data)
    out[pos % len(out)] ^= mask
    return bytes(out)


@st.composite
def tree_and_index(draw: st.DrawFn) -> tuple[int, int, int]:
    """(store size, index, tree size) with index < size <= store size."""
    n = draw(st.one_of(st.integers(1, 40), st.integers(1, MAX_LEAVES)))
    size = draw(st.integers(1, n))
    index = draw(st.integers(0, size - 1))
    return n, index, size


@st.composite
def tree_and_sizes(draw: st.DrawFn) -> tuple[int, int, int]:
    """(store size, size1, size2) with 1 <= size1 <= size2 <= store size."""
    n = draw(st.one_of(st.integers(1, 40), st.integers(1, MAX_LEAVES)))
    size2 = draw(st.integers(1, n))
    size1 = draw(st.integers(1, size2))
    return n, size1, size2


# ----- roots and the incremental store ------------------------------------------------------------


@SETTINGS
@given(st.lists(st.binary(max_size=12), max_size=200))
def test_incremental_roots_match_recursive_definition(leaves: list[bytes]) -> None:
    hashes = [leaf_hash(x) for x in leaves]
    store = InMemoryHashStore()
    assert store.root() == root_from_leaf_hashes([])
    for i, h in enumerate(hashes):
        nodes = store.append(h)
        assert nodes[0] == (0, i, h)
        for level, index, node in nodes:  # every emitted node is the perfect subtree it names
            lo = index << level
            assert node == root_from_leaf_hashes(hashes[lo : lo + (1 << level)])
            assert store.get_node(level, index) == node
        assert len(nodes) == 1 + ((i + 1) & -(i + 1)).bit_length() - 1  # 1 + trailing zeros of i+1
        assert store.root() == root_from_leaf_hashes(hashes[: i + 1])
    for size in range(len(hashes) + 1):
        assert root_hash(store, size) == root_from_leaf_hashes(hashes[:size])
        cr = CompactRange.from_store(store, size)
        assert cr.root() == root_from_leaf_hashes(hashes[:size])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, MAX_LEAVES))
def test_large_tree_roots(n: int) -> None:
    assert _store(n).root() == _root(n)
    assert root_hash(_store(MAX_LEAVES), n) == _root(n)


@SETTINGS
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1), st.integers(1, n))))
def test_subtree_hash_of_border_nodes(args: tuple[int, int, int]) -> None:
    n, start, end = args
    store = _store(n)
    # every (start, end) produced by the RFC recursion: end <= n, start aligned to >= width
    if end <= start:
        return
    width = end - start
    align = 1 << (width - 1).bit_length()
    if start % align:
        return
    assert subtree_hash(store, start, end) == root_from_leaf_hashes(_all_hashes()[start:end])


def test_compact_range_rejects_bad_state() -> None:
    with pytest.raises(ValueError):
        CompactRange(3, [b"\x00" * 32])
    cr = CompactRange()
    with pytest.raises(ValueError):
        cr.append(b"short")
    cr.append(b"\x00" * 32)
    with pytest.raises(ValueError):
        cr.append(b"\x00" * 32, index=5)


# ----- inclusion ----------------------------------------------------------------------------------


@SETTINGS
@given(tree_and_index())
def test_inclusion_proof_matches_rfc_and_verifies(args: tuple[int, int, int]) -> None:
    n, index, size = args
    proof = inclusion_proof(_store(n), index, size)
    assert proof == ref_path(index, _all_hashes()[:size])
    assert len(proof) <= math.ceil(math.log2(size))
    verify_inclusion(_all_hashes()[index], index, size, proof, _root(size))


@SETTINGS
@given(
    tree_and_index(), st.integers(0, 10**6), st.integers(1, 255), st.sampled_from(["leaf", "proof", "root"])
)
def test_inclusion_detects_flipped_bytes(
    args: tuple[int, int, int], pos: int, mask: int, target: str
) -> None:
    n, index, size = args
    lh, proof, root = _all_hashes()[index], inclusion_proof(_store(n), index, size), _root(size)
    if target == "leaf":
        lh = _flip(lh, pos, mask)
    elif target == "root":
        root = _flip(root, pos, mask)
    else:
        if not proof:
            return
        i = pos % len(proof)
        proof = [*proof[:i], _flip(proof[i], pos // len(proof), mask), *proof[i + 1 :]]
    with pytest.raises(VerificationError):
        verify_inclusion(lh, index, size, proof, root)


@SETTINGS
@given(tree_and_index(), st.integers(0, MAX_LEAVES))
def test_inclusion_detects_other_index(args: tuple[int, int, int], other: int) -> None:
    n, index, size = args
    other %= size + 2  # include out-of-range indices size and size + 1
    if other == index:
        return
    proof = inclusion_proof(_store(n), index, size)
    with pytest.raises(VerificationError):
        verify_inclusion(_all_hashes()[index], other, size, proof, _root(size))


@SETTINGS
@given(tree_and_index(), st.integers(0, MAX_LEAVES))
def test_inclusion_detects_other_size(args: tuple[int, int, int], other: int) -> None:
    n, index, size = args
    other %= MAX_LEAVES + 1
    if other == size:
        return
    proof = inclusion_proof(_store(n), index, size)
    lh = _all_hashes()[index]
    # Against the honest root of the other size the proof never verifies.
    if other >= 1:
        with pytest.raises(VerificationError):
            verify_inclusion(lh, index, other, proof, _root(other))
    # With the root left alone, the size only matters through the proof's shape (inner and border
    # lengths), exactly as in RFC 9162 §2.1.3.2: the size is authenticated by the signed
    # checkpoint, not by the proof. Check we reject whenever the shape changes.
    if index >= other or _decomp_incl_proof(index, other) != _decomp_incl_proof(index, size):
        with pytest.raises(VerificationError):
            verify_inclusion(lh, index, other, proof, _root(size))
    else:
        verify_inclusion(lh, index, other, proof, _root(size))


@SETTINGS
@given(tree_and_index(), st.integers(0, 64))
def test_inclusion_rejects_wrong_proof_length(args: tuple[int, int, int], pos: int) -> None:
    n, index, size = args
    proof = inclusion_proof(_store(n), index, size)
    lh, root = _all_hashes()[index], _root(size)
    with pytest.raises(VerificationError):
        verify_inclusion(lh, index, size, [*proof, lh], root)
    if proof:
        i = pos % len(proof)
        with pytest.raises(VerificationError):
            verify_inclusion(lh, index, size, proof[:i] + proof[i + 1 :], root)


# ----- consistency --------------------------------------------------------------------------------


@SETTINGS
@given(tree_and_sizes())
def test_consistency_proof_matches_rfc_and_verifies(args: tuple[int, int, int]) -> None:
    n, size1, size2 = args
    proof = consistency_proof(_store(n), size1, size2)
    expected = [] if size1 == size2 else ref_subproof(size1, _all_hashes()[:size2], True)
    assert proof == expected
    assert len(proof) <= math.ceil(math.log2(size2)) + 1
    verify_consistency(size1, size2, proof, _root(size1), _root(size2))


@SETTINGS
@given(
    tree_and_sizes(),
    st.integers(0, 10**6),
    st.integers(1, 255),
    st.sampled_from(["root1", "root2", "proof"]),
)
def test_consistency_detects_flipped_bytes(
    args: tuple[int, int, int], pos: int, mask: int, target: str
) -> None:
    n, size1, size2 = args
    proof, root1, root2 = consistency_proof(_store(n), size1, size2), _root(size1), _root(size2)
    if target == "root1":
        root1 = _flip(root1, pos, mask)
    elif target == "root2":
        root2 = _flip(root2, pos, mask)
    else:
        if not proof:
            return
        i = pos % len(proof)
        proof = [*proof[:i], _flip(proof[i], pos // len(proof), mask), *proof[i + 1 :]]
    with pytest.raises(VerificationError):
        verify_consistency(size1, size2, proof, root1, root2)


def _consistency_shape(size1: int, size2: int) -> tuple[int, int, int, int]:
    """What RFC 9162 §2.1.4.2 verification depends on besides the hashes: (start, inner, border, mask)."""
    inner, border = _decomp_incl_proof(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    start = 0 if size1 == 1 << shift else 1
    return start, inner - shift, border, (size1 - 1) >> shift


@SETTINGS
@given(tree_and_sizes(), st.integers(0, MAX_LEAVES), st.booleans())
def test_consistency_detects_other_sizes(args: tuple[int, int, int], other: int, change_first: bool) -> None:
    n, size1, size2 = args
    other %= MAX_LEAVES + 1
    s1, s2 = (other, size2) if change_first else (size1, other)
    if (s1, s2) == (size1, size2):
        return
    proof = consistency_proof(_store(n), size1, size2)
    # Against the honest roots of the other sizes the proof never verifies.
    with pytest.raises(VerificationError):
        verify_consistency(s1, s2, proof, _root(s1), _root(s2))
    # With the roots left alone, the sizes only matter through the proof's shape; like the tree
    # size of an inclusion proof, they are authenticated by the signed checkpoints.
    if size1 == size2 or not 0 < s1 < s2 or _consistency_shape(s1, s2) != _consistency_shape(size1, size2):
        with pytest.raises(VerificationError):
            verify_consistency(s1, s2, proof, _root(size1), _root(size2))
    else:
        verify_consistency(s1, s2, proof, _root(size1), _root(size2))


@SETTINGS
@given(tree_and_sizes(), st.integers(0, 64))
def test_consistency_rejects_wrong_proof_length(args: tuple[int, int, int], pos: int) -> None:
    n, size1, size2 = args
    proof = consistency_proof(_store(n), size1, size2)
    root1, root2 = _root(size1), _root(size2)
    with pytest.raises(VerificationError):
        verify_consistency(size1, size2, [*proof, root1], root1, root2)
    if proof:
        i = pos % len(proof)
        with pytest.raises(VerificationError):
            verify_consistency(size1, size2, proof[:i] + proof[i + 1 :], root1, root2)


# ----- generation edge cases ----------------------------------------------------------------------


def test_generation_rejects_out_of_range() -> None:
    store = _store(5)
    for index, size in [(5, 5), (0, 0), (0, 6), (-1, 3)]:
        with pytest.raises(ValueError):
            inclusion_proof(store, index, size)
    for size1, size2 in [(6, 5), (3, 2), (-1, 2), (1, 6)]:
        with pytest.raises(ValueError):
            consistency_proof(store, size1, size2)
    assert consistency_proof(store, 0, 5) == []
    assert consistency_proof(store, 5, 5) == []
    with pytest.raises(ValueError):
        store.get_subtree_hash(1, 3)  # not aligned
    with pytest.raises(ValueError):
        store.get_subtree_hash(4, 8)  # beyond the tree


def test_verifiers_reject_bad_types() -> None:
    lh = _all_hashes()[0]
    with pytest.raises(VerificationError):
        verify_inclusion(lh, True, 1, [], lh)  # bool is not an index
    with pytest.raises(VerificationError):
        verify_inclusion(lh, -1, 1, [], lh)
    with pytest.raises(VerificationError):
        verify_inclusion(lh[:31], 0, 1, [], lh[:31])
    with pytest.raises(VerificationError):
        verify_consistency(1, 2, [b"\x00" * 31], lh, lh)


# ----- batch fetching for a database layer --------------------------------------------------------


def _mapping_store(store: InMemoryHashStore, size: int, ids: list[tuple[int, int]]) -> MappingHashStore:
    return MappingHashStore(size, {(lv, ix): store.get_node(lv, ix) for lv, ix in ids})


@SETTINGS
@given(tree_and_index(), tree_and_sizes())
def test_prefetched_nodes_suffice(incl: tuple[int, int, int], cons: tuple[int, int, int]) -> None:
    n, index, size = incl
    ids = inclusion_proof_nodes(index, size)
    assert len(ids) <= 2 * math.ceil(math.log2(size)) + 1  # O(log n) lookups
    store = _mapping_store(_store(n), size, ids)
    assert inclusion_proof(store, index, size) == inclusion_proof(_store(n), index, size)
    n, size1, size2 = cons
    ids = consistency_proof_nodes(size1, size2)
    assert len(ids) <= 2 * math.ceil(math.log2(size2)) + 2
    store = _mapping_store(_store(n), size2, ids)
    assert consistency_proof(store, size1, size2) == consistency_proof(_store(n), size1, size2)
    ids = root_hash_nodes(size2)
    assert len(ids) == size2.bit_count()
    assert root_hash(_mapping_store(_store(n), size2, ids)) == _root(size2)


def test_mapping_store_missing_node() -> None:
    with pytest.raises(KeyError):
        inclusion_proof(MappingHashStore(4, {}), 0, 4)
