"""Offline proof bundles: everything a citizen (or a court) needs to check records without us.

A bundle is a JSON object (format version 1)::

    {
      "format": "xiangzhi-ledger-proof-bundle",
      "version": 1,
      "vkey": "<name>+<hex key id>+<base64(0x01 || Ed25519 public key)>",
      "checkpoint": "<signed C2SP tlog-checkpoint note, verbatim>",
      "leaves": [
        {"index": 7, "data": "<base64 leaf bytes>", "proof": ["<base64 hash>", ...]},
        ...
      ]
    }

* All binary values (leaf data, proof hashes) are **standard padded base64** (RFC 4648 §4), the
  encoding the checkpoint itself, C2SP ``tlog-proof`` and the transparency-dev test vectors use;
  non-canonical base64 is rejected.
* ``data`` is the exact leaf byte string (normally ``canonical.canonical_leaf`` output); its
  leaf hash ``SHA-256(0x00 || data)`` is recomputed by the checker, never taken from the bundle.
* ``proof`` is the RFC 9162 inclusion proof (leaf-side first) for ``index`` in the tree of the
  checkpoint's size.

:func:`check_bundle` needs nothing but the bundle: it verifies the checkpoint signature with the
bundled ``vkey``, then each inclusion proof against the checkpoint's root and size. Note that a
bundle that carries its own key only proves that *some* key holder signed it: pass
``trusted_vkey`` (the key the county publishes, e.g. on its website or on paper) to pin the
log's identity.

The same proofs can also be exported one leaf at a time in the C2SP ``tlog-proof`` text format
(https://c2sp.org/tlog-proof, file extension ``.tlog-proof``) with :func:`tlog_proofs_from_bundle`,
and checked with :func:`check_tlog_proof`; the leaf data then travels separately (the record
itself, or the ``extra`` line).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .canonical import parse_canonical_leaf
from .checkpoint import Checkpoint, NoteError, Verifier, b64decode_strict, open_checkpoint
from .merkle import HashStore, VerificationError, inclusion_proof, leaf_hash, verify_inclusion

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_VERSION",
    "TLOG_PROOF_HEADER",
    "BundleReport",
    "LeafReport",
    "TlogProof",
    "bundle_from_json",
    "bundle_to_json",
    "check_bundle",
    "check_tlog_proof",
    "make_bundle",
    "parse_tlog_proof",
    "tlog_proofs_from_bundle",
]

BUNDLE_FORMAT = "xiangzhi-ledger-proof-bundle"
BUNDLE_VERSION = 1
_TOP_KEYS = frozenset({"format", "version", "vkey", "checkpoint", "leaves"})
_LEAF_KEYS = frozenset({"index", "data", "proof"})


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def make_bundle(
    store: HashStore,
    indices: Iterable[int],
    leaf_data: Mapping[int, bytes] | Sequence[bytes],
    checkpoint_note: str,
    vkey: str,
) -> dict[str, Any]:
    """Build a bundle for the leaves at ``indices``.

    ``store`` supplies the proofs; ``leaf_data[i]`` is the leaf byte string at index ``i``;
    ``checkpoint_note`` is the signed checkpoint the proofs are made against (its size is used
    as the tree size); ``vkey`` is the log's verifier key. The checkpoint signature and the
    store's root at that size are checked before anything is returned, so a bundle that would
    not verify is never handed out (``ValueError`` instead).
    """
    verifier = Verifier.from_vkey(vkey)
    checkpoint = open_checkpoint(checkpoint_note, verifier)
    if checkpoint.size > store.leaf_count():
        raise ValueError(f"checkpoint size {checkpoint.size} exceeds the store's {store.leaf_count()} leaves")
    leaves = []
    for index in indices:
        if not 0 <= index < checkpoint.size:
            raise ValueError(f"leaf index {index} is not covered by the checkpoint (size {checkpoint.size})")
        data = bytes(leaf_data[index])
        proof = inclusion_proof(store, index, checkpoint.size)
        try:
            verify_inclusion(leaf_hash(data), index, checkpoint.size, proof, checkpoint.root_hash)
        except VerificationError as exc:
            raise ValueError(f"leaf {index} does not match the store or the checkpoint: {exc}") from None
        leaves.append({"index": index, "data": _b64(data), "proof": [_b64(h) for h in proof]})
    if not leaves:
        raise ValueError("a bundle needs at least one leaf")
    return {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "vkey": vkey,
        "checkpoint": checkpoint_note,
        "leaves": leaves,
    }


def bundle_to_json(bundle: Mapping[str, Any]) -> str:
    """Serialise a bundle as pretty, stable JSON (UTF-8 text)."""
    return json.dumps(bundle, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def bundle_from_json(text: str | bytes) -> Any:
    """Parse bundle JSON; :func:`check_bundle` validates the structure."""
    return json.loads(text)


@dataclass
class LeafReport:
    """Result for one leaf of a bundle."""

    position: int
    index: int | None = None
    ok: bool = False
    leaf_hash: str | None = None  # hex
    kind: str | None = None  # when the leaf is a canonical xiangzhi leaf
    schema: int | None = None
    payload: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class BundleReport:
    """Result of :func:`check_bundle`. ``ok`` is true only if every check passed."""

    ok: bool = False
    errors: list[str] = field(default_factory=list)
    origin: str | None = None
    tree_size: int | None = None
    root_hash: str | None = None  # hex
    key_name: str | None = None
    key_id: str | None = None  # hex
    key_trusted: bool | None = None  # None: no trusted key was given
    leaves: list[LeafReport] = field(default_factory=list)

    def summary(self) -> str:
        """A short human-readable summary."""
        head = "VALID" if self.ok else "INVALID"
        lines = [f"{head}: {sum(leaf.ok for leaf in self.leaves)}/{len(self.leaves)} leaves verified"]
        if self.origin is not None:
            lines.append(f"log {self.origin} size {self.tree_size} root {self.root_hash}")
        lines.extend(f"error: {e}" for e in self.errors)
        return "\n".join(lines)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_bundle(bundle: Any, trusted_vkey: str | None = None) -> BundleReport:
    """Verify an offline proof bundle; never raises for bad input, reports instead.

    Checks, in order: structure and format version; the verifier key; the checkpoint note's
    signature and body; then for every leaf its index, base64 data and proof, recomputing the
    leaf hash from the data and verifying the inclusion proof against the checkpoint's root and
    size. If ``trusted_vkey`` is given, the bundled key must equal it.
    """
    report = BundleReport()
    errors = report.errors

    if not isinstance(bundle, Mapping):
        errors.append(f"bundle must be a JSON object, got {type(bundle).__name__}")
        return report
    if bundle.get("format") != BUNDLE_FORMAT:
        errors.append(f"unknown bundle format {bundle.get('format')!r}, expected {BUNDLE_FORMAT!r}")
        return report
    version = bundle.get("version")
    if not _is_int(version) or version != BUNDLE_VERSION:
        errors.append(f"unsupported bundle version {version!r}, this checker understands {BUNDLE_VERSION}")
        return report
    unknown = set(bundle) - _TOP_KEYS
    if unknown:
        errors.append(f"unexpected bundle fields: {sorted(unknown)}")
        return report

    vkey = bundle.get("vkey")
    try:
        verifier = Verifier.from_vkey(vkey)
    except NoteError as exc:
        errors.append(f"bad verifier key: {exc}")
        return report
    report.key_name, report.key_id = verifier.name, verifier.key_id.hex()
    if trusted_vkey is not None:
        report.key_trusted = vkey == trusted_vkey
        if not report.key_trusted:
            errors.append("the bundle's verifier key is not the trusted key of this log")

    note = bundle.get("checkpoint")
    if not isinstance(note, str):
        errors.append("checkpoint must be a string holding the signed note")
        return report
    try:
        checkpoint: Checkpoint = open_checkpoint(note, verifier)
    except NoteError as exc:
        errors.append(f"checkpoint rejected: {exc}")
        return report
    report.origin, report.tree_size = checkpoint.origin, checkpoint.size
    report.root_hash = checkpoint.root_hash.hex()

    leaves = bundle.get("leaves")
    if not isinstance(leaves, list) or not leaves:
        errors.append("leaves must be a non-empty list")
        return report
    for position, entry in enumerate(leaves):
        lr = LeafReport(position=position)
        report.leaves.append(lr)
        lr.error = _check_leaf(entry, checkpoint, lr)
        lr.ok = lr.error is None
        if lr.error:
            errors.append(
                f"leaf #{position}"
                + (f" (index {lr.index})" if lr.index is not None else "")
                + f": {lr.error}"
            )

    report.ok = not errors
    return report


def _check_leaf(entry: Any, checkpoint: Checkpoint, lr: LeafReport) -> str | None:
    if not isinstance(entry, Mapping):
        return "entry must be an object"
    if set(entry) != _LEAF_KEYS:
        return f"entry must have exactly the fields {sorted(_LEAF_KEYS)}, has {sorted(entry)}"
    index = entry["index"]
    if not _is_int(index) or index < 0:
        return f"index must be a non-negative integer, got {index!r}"
    lr.index = index
    if index >= checkpoint.size:
        return f"index {index} is beyond the checkpoint's tree size {checkpoint.size}"
    try:
        data = b64decode_strict(entry["data"], "leaf data")
        raw_proof = entry["proof"]
        if not isinstance(raw_proof, list):
            return "proof must be a list of base64 hashes"
        proof = [b64decode_strict(h, f"proof element {i}") for i, h in enumerate(raw_proof)]
    except NoteError as exc:
        return str(exc)
    lh = leaf_hash(data)
    lr.leaf_hash = lh.hex()
    try:
        schema, kind, payload = parse_canonical_leaf(data)
    except ValueError:
        pass  # opaque leaf; still verifiable
    else:
        lr.schema, lr.kind, lr.payload = schema, kind, payload
    try:
        verify_inclusion(lh, index, checkpoint.size, proof, checkpoint.root_hash)
    except VerificationError as exc:
        return f"inclusion proof does not verify against the checkpoint: {exc}"
    return None


# --------------------------------------------------------------------------------------------------
# C2SP tlog-proof (one leaf per proof, text format)
# --------------------------------------------------------------------------------------------------

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class TlogProof:
    """A parsed C2SP tlog-proof: index, inclusion proof, the verbatim checkpoint note, extra data."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None

    def text(self) -> str:
        """Format as ``c2sp.org/tlog-proof@v1`` text."""
        lines = [TLOG_PROOF_HEADER]
        if self.extra is not None:
            lines.append(f"extra {_b64(self.extra)}")
        lines.append(f"index {self.index}")
        lines.extend(_b64(h) for h in self.proof)
        return "\n".join(lines) + "\n\n" + self.checkpoint


def parse_tlog_proof(text: str) -> TlogProof:
    """Parse a C2SP tlog-proof; ``ValueError`` (:class:`NoteError`) if malformed.

    The checkpoint part is returned verbatim and is *not* verified here.
    """
    if not isinstance(text, str):
        raise NoteError("tlog-proof must be text")
    head, sep, checkpoint = text.partition("\n\n")
    if not sep or not checkpoint:
        raise NoteError("tlog-proof has no blank line followed by a checkpoint")
    lines = head.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise NoteError(f"tlog-proof must start with {TLOG_PROOF_HEADER!r}")
    pos, extra = 1, None
    if len(lines) > pos and lines[pos].startswith("extra "):
        extra = b64decode_strict(lines[pos][len("extra ") :], "tlog-proof extra data")
        pos += 1
    if len(lines) <= pos or not lines[pos].startswith("index "):
        raise NoteError("tlog-proof has no index line")
    index_s = lines[pos][len("index ") :]
    if not _DECIMAL.fullmatch(index_s) or int(index_s) >= 1 << 64:
        raise NoteError(f"tlog-proof index {index_s!r} is not a decimal without leading zeros")
    proof = tuple(b64decode_strict(h, f"tlog-proof hash line {i}") for i, h in enumerate(lines[pos + 1 :]))
    if any(len(h) != 32 for h in proof):
        raise NoteError("tlog-proof hash lines must be 32-byte SHA-256 hashes")
    return TlogProof(int(index_s), proof, checkpoint, extra)


def tlog_proofs_from_bundle(bundle: Mapping[str, Any]) -> list[str]:
    """Export each leaf of a (checked) bundle as C2SP tlog-proof text, in bundle order."""
    out = []
    for entry in bundle["leaves"]:
        proof = tuple(b64decode_strict(h, "proof element") for h in entry["proof"])
        out.append(TlogProof(entry["index"], proof, bundle["checkpoint"]).text())
    return out


def check_tlog_proof(text: str, leaf_data: bytes, vkey: str, origin: str | None = None) -> Checkpoint:
    """Verify a C2SP tlog-proof for ``leaf_data`` against the log key ``vkey`` (and ``origin``).

    Returns the verified checkpoint; raises ``ValueError`` (:class:`NoteError` or
    :class:`VerificationError`) with the reason otherwise.
    """
    parsed = parse_tlog_proof(text)
    checkpoint = open_checkpoint(parsed.checkpoint, Verifier.from_vkey(vkey), origin=origin)
    if parsed.index >= checkpoint.size:
        raise VerificationError(
            f"index {parsed.index} is beyond the checkpoint's tree size {checkpoint.size}"
        )
    verify_inclusion(
        leaf_hash(bytes(leaf_data)), parsed.index, checkpoint.size, parsed.proof, checkpoint.root_hash
    )
    return checkpoint
