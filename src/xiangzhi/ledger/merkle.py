"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and verification (pure Python, no Django).

Hashing (RFC 9162 §2.1.1)::

    leaf_hash(d)    = SHA-256(0x00 || d)
    node_hash(l, r) = SHA-256(0x01 || l || r)
    MTH({})         = SHA-256("")

Storage model
-------------
Proofs are generated over an abstract :class:`HashStore`. A store only has to answer two
questions: how many leaves it holds, and the hash of a *complete aligned subtree*
``[start, end)`` — ``end - start`` is a power of two and ``start`` is a multiple of it. Such a
subtree is identified by ``(level, index)`` with ``level = log2(end - start)`` and
``index = start >> level``; level 0 holds the leaf hashes. A database layer keeps one row per
``(level, index)`` (the "perfect-subtree table"); :class:`CompactRange` tells it which rows to
insert on each append (amortised O(1), worst case O(log n) rows), and every proof below needs
O(log n) store lookups, never a scan of the leaves. To make that a single query,
:func:`inclusion_proof_nodes` / :func:`consistency_proof_nodes` / :func:`root_hash_nodes` list
the ``(level, index)`` keys a proof will read, and :class:`MappingHashStore` serves the fetched
rows back to the proof generators.

Every node of an RFC 6962 tree of size ``n`` is either such a perfect subtree or lies on the
right border (``[start, n)``, not a power of two in size); a border node's hash is the
right-to-left fold of the perfect subtrees in the binary decomposition of its range, and at most
one border node appears in any proof.

Verification follows the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2, in the formulation used
by github.com/transparency-dev/merkle (``proof.VerifyInclusion`` / ``proof.VerifyConsistency``),
and is strict: wrong proof lengths, ``index >= size``, ``size1 > size2``, non-empty proofs where
none is expected, and proof elements that are not 32 bytes are all rejected with
:class:`VerificationError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple, Protocol, runtime_checkable

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "HashStore",
    "MappingHashStore",
    "InMemoryHashStore",
    "Node",
    "VerificationError",
    "consistency_proof",
    "consistency_proof_nodes",
    "inclusion_proof",
    "inclusion_proof_nodes",
    "node_id",
    "root_hash_nodes",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "root_hash",
    "root_of_leaves",
    "subtree_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Size in bytes of every hash in the tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1)."""

_sha256 = hashlib.sha256


class VerificationError(ValueError):
    """A proof, root or parameter does not verify; the message says why."""


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 6962 leaf hash ``SHA-256(0x00 || data)``."""
    return _sha256(b"\x00" + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior node hash ``SHA-256(0x01 || left || right)``."""
    return _sha256(b"\x01" + left + right).digest()


def _split_point(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n >= 2``), the RFC 6962 split ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Compute MTH directly from the recursive definition in RFC 9162 §2.1.1.

    This is the naive reference (O(n) hashing, O(log n) recursion depth); use a store for
    anything that grows.
    """
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return bytes(hashes[0])
    k = _split_point(n)
    return node_hash(root_from_leaf_hashes(hashes[:k]), root_from_leaf_hashes(hashes[k:]))


def root_of_leaves(leaves: Iterable[bytes]) -> bytes:
    """Compute the Merkle tree hash of a list of leaf *data* (each hashed with :func:`leaf_hash`)."""
    cr = CompactRange()
    for data in leaves:
        cr.append(leaf_hash(data))
    return cr.root()


# --------------------------------------------------------------------------------------------------
# Store protocol and incremental appending
# --------------------------------------------------------------------------------------------------


@runtime_checkable
class HashStore(Protocol):
    """What proof generation needs from a persistent tree.

    ``get_subtree_hash(start, end)`` is only ever called for complete aligned subtrees
    (``end - start`` a power of two, ``start % (end - start) == 0``, ``end <= leaf_count()``),
    i.e. node ``(level, index) = (log2(end - start), start >> level)``; ``end - start == 1``
    asks for a leaf hash.
    """

    def leaf_count(self) -> int:
        """Number of leaves currently in the log."""
        ...

    def get_subtree_hash(self, start: int, end: int) -> bytes:
        """Hash of the complete aligned subtree covering leaves ``[start, end)``."""
        ...


class Node(NamedTuple):
    """A perfect-subtree node to persist: leaves ``[index << level, (index + 1) << level)``."""

    level: int
    index: int
    hash: bytes


class CompactRange:
    """The right frontier of a tree: the roots of the perfect subtrees that make up ``[0, size)``.

    There is one hash per set bit of ``size``, largest subtree first. That is all the state an
    appender needs: :meth:`append` returns the new perfect-subtree nodes created by one leaf
    (the leaf itself at level 0 plus one node per completed pair; amortised 2 nodes per append),
    and :meth:`root` folds the frontier into the tree head. A database layer can rebuild the
    range for the current size with :meth:`from_store` (popcount(size) lookups) or keep it in
    memory next to the writer.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0:
            raise ValueError("size must be >= 0")
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a compact range of size {size} has {size.bit_count()} hashes, got {len(hashes)}"
            )
        self._size = size
        self._hashes: list[bytes] = [bytes(h) for h in hashes]

    @classmethod
    def from_store(cls, store: HashStore, size: int | None = None) -> CompactRange:
        """Load the frontier of ``[0, size)`` from ``store`` (one lookup per set bit of ``size``)."""
        n = store.leaf_count() if size is None else size
        if not 0 <= n <= store.leaf_count():
            raise ValueError(f"size {n} out of range 0..{store.leaf_count()}")
        return cls(n, [store.get_subtree_hash(s, e) for s, e in _perfect_decomposition(0, n)])

    @property
    def size(self) -> int:
        """Number of leaves covered."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """Frontier hashes, largest (leftmost) subtree first."""
        return tuple(self._hashes)

    def append(self, leaf_hash_: bytes, index: int | None = None) -> list[Node]:
        """Append a leaf hash; return the perfect-subtree nodes to persist, lowest level first.

        ``index`` (optional) is the position the caller believes the leaf gets; a mismatch raises
        ``ValueError`` so that a racing writer cannot silently store nodes at the wrong place.
        """
        if len(leaf_hash_) != HASH_SIZE:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(leaf_hash_)}")
        i = self._size
        if index is not None and index != i:
            raise ValueError(f"leaf index {index} does not match the range size {i}")
        h = bytes(leaf_hash_)
        nodes = [Node(0, i, h)]
        level = 0
        hashes = self._hashes
        while i & 1:
            h = node_hash(hashes.pop(), h)
            i >>= 1
            level += 1
            nodes.append(Node(level, i, h))
        hashes.append(h)
        self._size += 1
        return nodes

    def root(self) -> bytes:
        """Merkle tree hash of ``[0, size)``."""
        hashes = self._hashes
        if not hashes:
            return EMPTY_ROOT
        h = hashes[-1]
        for left in reversed(hashes[:-1]):
            h = node_hash(left, h)
        return h


class InMemoryHashStore:
    """A :class:`HashStore` keeping every perfect-subtree node in Python lists.

    ``levels[level][index]`` is node ``(level, index)``; memory is about 2 hashes per leaf.
    """

    __slots__ = ("_levels", "_range")

    def __init__(self) -> None:
        self._levels: list[list[bytes]] = [[]]
        self._range = CompactRange()

    @classmethod
    def from_leaf_data(cls, leaves: Iterable[bytes]) -> InMemoryHashStore:
        """Build a store from leaf data (hashed with :func:`leaf_hash`)."""
        store = cls()
        for data in leaves:
            store.append_data(data)
        return store

    def leaf_count(self) -> int:
        """Number of leaves."""
        return self._range.size

    def append(self, leaf_hash_: bytes) -> list[Node]:
        """Append a leaf hash and store the new nodes; return them."""
        nodes = self._range.append(leaf_hash_)
        levels = self._levels
        for level, _index, h in nodes:
            if level == len(levels):
                levels.append([])
            levels[level].append(h)
        return nodes

    def append_data(self, data: bytes) -> int:
        """Append leaf *data*; return its index."""
        index = self._range.size
        self.append(leaf_hash(data))
        return index

    def get_node(self, level: int, index: int) -> bytes:
        """Hash of perfect-subtree node ``(level, index)``; ``KeyError`` if it does not exist."""
        try:
            if level < 0 or index < 0:
                raise IndexError
            return self._levels[level][index]
        except IndexError:
            raise KeyError((level, index)) from None

    def get_subtree_hash(self, start: int, end: int) -> bytes:
        """Hash of the complete aligned subtree ``[start, end)``."""
        width = end - start
        if width <= 0 or width & (width - 1) or start % width or end > self._range.size:
            raise ValueError(
                f"[{start}, {end}) is not a complete aligned subtree of a tree of size {self.leaf_count()}"
            )
        level = width.bit_length() - 1
        return self._levels[level][start >> level]

    def root(self, size: int | None = None) -> bytes:
        """Tree head at ``size`` (default: current size)."""
        if size is None or size == self._range.size:
            return self._range.root()
        return root_hash(self, size)


# --------------------------------------------------------------------------------------------------
# Proof generation over a store
# --------------------------------------------------------------------------------------------------


def _perfect_decomposition(start: int, end: int) -> list[tuple[int, int]]:
    """Split ``[start, end)`` into maximal complete aligned subtrees, left to right."""
    out = []
    while start < end:
        # Largest power of two that divides start (any, if start == 0) and fits before end.
        size = start & -start if start else 1 << ((end - start).bit_length() - 1)
        while start + size > end:
            size >>= 1
        out.append((start, start + size))
        start += size
    return out


def subtree_hash(store: HashStore, start: int, end: int) -> bytes:
    """MTH of leaves ``[start, end)`` for any node of an RFC 6962 tree (perfect or right border).

    The range must be a node of some tree: ``start`` a multiple of a power of two that is at
    least ``end - start`` (always the case for ranges produced by the RFC's recursion).
    Costs one store lookup per perfect subtree in the decomposition (≤ log2(n) + 1).
    """
    if not 0 <= start < end <= store.leaf_count():
        raise ValueError(f"bad range [{start}, {end}) for a store of {store.leaf_count()} leaves")
    parts = _perfect_decomposition(start, end)
    h = store.get_subtree_hash(*parts[-1])
    for s, e in reversed(parts[:-1]):
        h = node_hash(store.get_subtree_hash(s, e), h)
    return h


def root_hash(store: HashStore, size: int | None = None) -> bytes:
    """Tree head for the first ``size`` leaves of ``store`` (default: all)."""
    n = store.leaf_count() if size is None else size
    if not 0 <= n <= store.leaf_count():
        raise ValueError(f"size {n} out of range 0..{store.leaf_count()}")
    return EMPTY_ROOT if n == 0 else subtree_hash(store, 0, n)


def inclusion_proof(store: HashStore, index: int, size: int | None = None) -> list[bytes]:
    """Audit path PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, leaf-side first.

    Raises ``ValueError`` unless ``0 <= index < size <= store.leaf_count()``.
    """
    n = store.leaf_count() if size is None else size
    if not 0 < n <= store.leaf_count():
        raise ValueError(f"size {n} out of range 1..{store.leaf_count()}")
    if not 0 <= index < n:
        raise ValueError(f"index {index} out of range 0..{n - 1}")
    path: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:
        k = _split_point(hi - lo)
        mid = lo + k
        if index < mid:
            path.append(subtree_hash(store, mid, hi))
            hi = mid
        else:
            path.append(store.get_subtree_hash(lo, mid))
            lo = mid
    path.reverse()
    return path


def consistency_proof(store: HashStore, size1: int, size2: int | None = None) -> list[bytes]:
    """Consistency proof PROOF(size1, D[0:size2]) of RFC 9162 §2.1.4.1.

    Empty when ``size1 == size2`` or ``size1 == 0`` (nothing to prove). Raises ``ValueError``
    unless ``0 <= size1 <= size2 <= store.leaf_count()``.
    """
    n = store.leaf_count() if size2 is None else size2
    if not 0 <= n <= store.leaf_count():
        raise ValueError(f"size2 {n} out of range 0..{store.leaf_count()}")
    if not 0 <= size1 <= n:
        raise ValueError(f"size1 {size1} out of range 0..{n}")
    if size1 == 0 or size1 == n:
        return []
    # SUBPROOF(m, D[lo:hi], b), unrolled: each step appends one sibling; the recursion bottoms out
    # at a subtree of exactly m leaves, whose hash is included unless it is the old root (b true).
    outer: list[bytes] = []
    m, lo, hi, b = size1, 0, n, True
    while m != hi - lo:
        k = _split_point(hi - lo)
        if m <= k:
            outer.append(subtree_hash(store, lo + k, hi))
            hi = lo + k
        else:
            outer.append(store.get_subtree_hash(lo, lo + k))
            lo += k
            m -= k
            b = False
    proof = [] if b else [subtree_hash(store, lo, hi)]
    proof.extend(reversed(outer))
    return proof


# --------------------------------------------------------------------------------------------------
# Batch fetching: which perfect-subtree nodes a proof needs
# --------------------------------------------------------------------------------------------------


def node_id(start: int, end: int) -> tuple[int, int]:
    """``(level, index)`` of the complete aligned subtree ``[start, end)``."""
    width = end - start
    if width <= 0 or width & (width - 1) or start % width:
        raise ValueError(f"[{start}, {end}) is not a complete aligned subtree")
    level = width.bit_length() - 1
    return level, start >> level


class _RecordingStore:
    """A fake store of a given size that records which nodes are asked for."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.requested: list[tuple[int, int]] = []

    def leaf_count(self) -> int:
        return self.size

    def get_subtree_hash(self, start: int, end: int) -> bytes:
        self.requested.append(node_id(start, end))
        return EMPTY_ROOT


def _unique(ids: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return list(dict.fromkeys(ids))


def inclusion_proof_nodes(index: int, size: int) -> list[tuple[int, int]]:
    """The ``(level, index)`` nodes :func:`inclusion_proof` reads for this index and size.

    A database layer fetches them in one query and wraps the rows in a
    :class:`MappingHashStore` to build the proof.
    """
    rec = _RecordingStore(size)
    inclusion_proof(rec, index, size)
    return _unique(rec.requested)


def consistency_proof_nodes(size1: int, size2: int) -> list[tuple[int, int]]:
    """The ``(level, index)`` nodes :func:`consistency_proof` reads for these sizes."""
    rec = _RecordingStore(size2)
    consistency_proof(rec, size1, size2)
    return _unique(rec.requested)


def root_hash_nodes(size: int) -> list[tuple[int, int]]:
    """The ``(level, index)`` nodes :func:`root_hash` reads (one per set bit of ``size``)."""
    return [node_id(s, e) for s, e in _perfect_decomposition(0, size)]


class MappingHashStore:
    """A read-only :class:`HashStore` over a ``{(level, index): hash}`` mapping and a tree size.

    Typical use: ``MappingHashStore(size, {(r.level, r.index): r.hash for r in rows})`` with
    the rows selected by :func:`inclusion_proof_nodes` / :func:`consistency_proof_nodes`.
    A missing node raises ``KeyError``.
    """

    def __init__(self, size: int, nodes: Mapping[tuple[int, int], bytes]) -> None:
        if size < 0:
            raise ValueError("size must be >= 0")
        self._size = size
        self._nodes = nodes

    def leaf_count(self) -> int:
        """The tree size this store answers for."""
        return self._size

    def get_subtree_hash(self, start: int, end: int) -> bytes:
        """Look the node up in the mapping."""
        if end > self._size:
            raise ValueError(f"[{start}, {end}) is beyond the tree size {self._size}")
        return bytes(self._nodes[node_id(start, end)])


# --------------------------------------------------------------------------------------------------
# Verification (RFC 9162 §2.1.3.2 and §2.1.4.2)
# --------------------------------------------------------------------------------------------------


def _decomp_incl_proof(index: int, size: int) -> tuple[int, int]:
    """Split an inclusion proof length into (inner, border) parts, as transparency-dev/merkle does."""
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def _check_int(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise VerificationError(f"{name} must be an integer, got {type(value).__name__}")
    if value < 0:
        raise VerificationError(f"{name} must be >= 0, got {value}")


def _check_proof(proof: Sequence[bytes] | None) -> list[bytes]:
    items = [] if proof is None else list(proof)
    for i, h in enumerate(items):
        if not isinstance(h, bytes | bytearray | memoryview):
            raise VerificationError(f"proof element {i} is not bytes")
        if len(h) != HASH_SIZE:
            raise VerificationError(f"proof element {i} has {len(h)} bytes, want {HASH_SIZE}")
    return [bytes(h) for h in items]


def _match(calculated: bytes, expected: bytes, what: str) -> None:
    if bytes(calculated) != bytes(expected):
        raise VerificationError(
            f"{what} mismatch: calculated {bytes(calculated).hex()}, expected {bytes(expected).hex()}"
        )


def root_from_inclusion_proof(
    leaf_hash_: bytes, index: int, size: int, proof: Sequence[bytes] | None
) -> bytes:
    """Recompute the root implied by an inclusion proof (RFC 9162 §2.1.3.2); raise if malformed."""
    _check_int("index", index)
    _check_int("size", size)
    if index >= size:
        raise VerificationError(f"index {index} is beyond the tree size {size}")
    if len(leaf_hash_) != HASH_SIZE:
        raise VerificationError(f"leaf hash has {len(leaf_hash_)} bytes, want {HASH_SIZE}")
    items = _check_proof(proof)
    inner, border = _decomp_incl_proof(index, size)
    if len(items) != inner + border:
        raise VerificationError(
            f"wrong inclusion proof length {len(items)} for index {index} in size {size}, want {inner + border}"
        )
    h = _chain_inner(bytes(leaf_hash_), items[:inner], index)
    return _chain_border_right(h, items[inner:])


def verify_inclusion(
    leaf_hash_: bytes, index: int, size: int, proof: Sequence[bytes] | None, root: bytes
) -> None:
    """Check that ``leaf_hash_`` sits at ``index`` in the tree of ``size`` leaves with head ``root``.

    Returns ``None`` on success and raises :class:`VerificationError` otherwise.
    """
    calculated = root_from_inclusion_proof(leaf_hash_, index, size, proof)
    _match(calculated, root, "root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes] | None, root1: bytes, root2: bytes
) -> None:
    """Check that the tree ``(size2, root2)`` extends ``(size1, root1)`` (RFC 9162 §2.1.4.2).

    Returns ``None`` on success and raises :class:`VerificationError` otherwise. As in
    transparency-dev/merkle: equal sizes need an empty proof and equal roots; ``size1 == 0``
    is always rejected (every tree extends the empty tree, so such a check proves nothing and
    usually means a client bug).
    """
    _check_int("size1", size1)
    _check_int("size2", size2)
    items = _check_proof(proof)
    if size2 < size1:
        raise VerificationError(f"size2 ({size2}) < size1 ({size1})")
    if size1 == 0:
        raise VerificationError(
            "consistency from an empty tree (size1 = 0) cannot be proven; nothing to verify"
        )
    if size1 == size2:
        if items:
            raise VerificationError(f"size1 = size2 = {size1}, but the proof has {len(items)} elements")
        _match(root1, root2, "root1/root2")
        return
    if not items:
        raise VerificationError("empty consistency proof for different sizes")

    inner, border = _decomp_incl_proof(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1  # trailing zeros of size1
    inner -= shift
    if size1 == 1 << shift:
        seed, start = bytes(root1), 0
    else:
        seed, start = items[0], 1
    if len(items) != start + inner + border:
        raise VerificationError(
            f"wrong consistency proof length {len(items)} for sizes {size1} -> {size2}, want {start + inner + border}"
        )
    rest = items[start:]
    mask = (size1 - 1) >> shift
    h1 = _chain_inner_right(seed, rest[:inner], mask)
    h1 = _chain_border_right(h1, rest[inner:])
    _match(h1, root1, "root1")
    h2 = _chain_inner(seed, rest[:inner], mask)
    h2 = _chain_border_right(h2, rest[inner:])
    _match(h2, root2, "root2")
