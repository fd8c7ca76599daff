"""Every write and every proof of the tamper-evident log (区块链存证).

Appending (:func:`append_leaf`) is serialised across processes and machines: on PostgreSQL by a transaction-scoped
advisory lock (``pg_advisory_xact_lock(LOCK_KEY)``), on SQLite by its single writer (the settings open every
transaction with ``BEGIN IMMEDIATE``). Inside the lock the current size is read from the Leaf table, the right
frontier of the tree (one node per set bit of the size) is read from the Node table in one query, and the new leaf
and its new perfect-subtree nodes are inserted — all in the caller's transaction, so a record and the leaf that
attests it commit or roll back together. Every proof reads the O(log n) nodes it needs in one query.

Signed checkpoints (C2SP tlog-checkpoint in a C2SP signed note, Ed25519 key from ``XIANGZHI_SIGNING_KEY``) are made
by the periodic job at most every ``XIANGZHI_LEDGER_CHECKPOINT_SECONDS`` and only when the tree grew; each carries
the consistency proof from the previous one, verified before it is signed.

Bundles for citizens and courts: :func:`bundle_for_ref` (all leaves of a record, e.g. a case and its events),
:func:`bundle_for_indices`, and :func:`bundle_url` (a public download link with an opaque signed token that expires
after ``XIANGZHI_BUNDLE_LINK_HOURS``).
"""

from __future__ import annotations

import base64
import contextvars
import datetime as dt
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import F, Max, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from xiangzhi.core.errors import NotFound, ValidationFailed, XiangzhiError

from . import checkpoint as notes
from .bundle import make_bundle
from .canonical import canonical_leaf, parse_canonical_leaf
from .merkle import (
    CompactRange,
    MappingHashStore,
    VerificationError,
    consistency_proof,
    consistency_proof_nodes,
    inclusion_proof,
    inclusion_proof_nodes,
    leaf_hash,
    root_hash,
    root_hash_nodes,
    verify_consistency,
    verify_inclusion,
)
from .models import Checkpoint, Leaf, Node, VerificationRun, WitnessedCheckpoint
from .registry import StateKind, autodiscover, recompute_for, register_kind, state_kind, state_kinds

logger = logging.getLogger(__name__)

# Advisory lock key of the log on PostgreSQL ("xzledger" as a signed 64-bit integer).
LOCK_KEY = int.from_bytes(b"xzledger", "big", signed=True)
BUNDLE_SALT = "xiangzhi.ledger.bundle"
EXPORT_FORMAT = "xiangzhi-ledger-checkpoints"
MAX_REPORTED_PROBLEMS = 1000


class LedgerError(XiangzhiError):
    status = 409


# ----------------------------------------------------------------------------------------------------------------
# Keys and identity
# ----------------------------------------------------------------------------------------------------------------
def origin() -> str:
    """The log's origin line, e.g. ``tongxiang.xiangzhi/ledger``."""
    return settings.XIANGZHI_LEDGER_ORIGIN or f"{settings.XIANGZHI_SIGNING_KEY_NAME}/ledger"


def signer() -> notes.Signer:
    try:
        seed = base64.b64decode(settings.XIANGZHI_SIGNING_KEY, validate=True)
    except ValueError as exc:
        raise LedgerError("LEDGER_BAD_KEY", "签名密钥格式不正确。") from exc
    return notes.Signer(settings.XIANGZHI_SIGNING_KEY_NAME, seed)


def verifier() -> notes.Verifier:
    return signer().verifier()


def vkey() -> str:
    """The public verifier key string (``name+keyid+base64``) anyone can use to check our checkpoints."""
    return signer().vkey


def checkpoint_interval() -> dt.timedelta:
    return dt.timedelta(seconds=settings.XIANGZHI_LEDGER_CHECKPOINT_SECONDS)


# ----------------------------------------------------------------------------------------------------------------
# Low-level helpers
# ----------------------------------------------------------------------------------------------------------------
def _lock_log() -> None:
    """Serialise appenders/checkpointers until the end of the current transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    # SQLite: the transaction already holds the database's single write lock (transaction_mode IMMEDIATE).


def tree_size() -> int:
    """Number of leaves (highest stored index + 1)."""
    last = Leaf.objects.order_by("-index").values_list("index", flat=True).first()
    return 0 if last is None else last + 1


def _fetch_nodes(ids: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Fetch perfect-subtree nodes by ``(level, index)`` in one query."""
    by_level: dict[int, set[int]] = {}
    for level, index in ids:
        by_level.setdefault(level, set()).add(index)
    if not by_level:
        return {}
    # Raw SQL: this is the hot path of every append and proof, and the ORM's Q building costs more than the query.
    clauses, params = [], []
    for level, indices in sorted(by_level.items()):
        clauses.append(f'(level = %s AND "index" IN ({", ".join(["%s"] * len(indices))}))')
        params.append(level)
        params.extend(sorted(indices))
    table = connection.ops.quote_name(Node._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT level, "index", hash FROM {table} WHERE {" OR ".join(clauses)}', params)  # noqa: S608 - only placeholders are interpolated
        return {(lv, ix): bytes(h) for lv, ix, h in cursor.fetchall()}


def _store(size: int, ids: Iterable[tuple[int, int]]) -> MappingHashStore:
    ids = list(ids)
    nodes = _fetch_nodes(ids)
    missing = [i for i in ids if i not in nodes]
    if missing:
        raise LedgerError(
            "LEDGER_NODE_MISSING", "存证树节点缺失，日志可能被篡改，请运行 xiangzhi ledger verify。",
            {"missing": [list(m) for m in missing[:20]]},
        )
    return MappingHashStore(size, nodes)


def iso_time(value: dt.datetime | None) -> str | None:
    """A time as it is written in leaf payloads: UTC ISO 8601 with microseconds."""
    return None if value is None else value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def plain_json(value: Any) -> Any:
    """The value as it reads back from a JSON column (tuples → lists, keys → str)."""
    return None if value is None else json.loads(json.dumps(value, ensure_ascii=False))


# ----------------------------------------------------------------------------------------------------------------
# Appending
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    kind: str
    payload: Mapping[str, Any]
    ref_type: str = ""
    ref_id: str = ""
    group: str = ""


def append_leaf(
    kind: str, payload: Mapping[str, Any], *, ref_type: str = "", ref_id: str | int = "", group: str = ""
) -> Leaf:
    """Append the canonical serialisation of ``payload`` as a new leaf; return the Leaf row.

    ``ref_type``/``ref_id`` name the record the leaf attests (``xiangzhi ledger verify`` recomputes the payload
    from it through the registry); ``group`` (e.g. ``"disputes.case:42"``) ties the leaf to the case it belongs to,
    so that :func:`bundle_for_ref` finds every leaf of a case.

    Side effects: takes the log lock until the end of the (caller's) transaction; inserts one Leaf row and
    1 + (trailing ones of the index) Node rows.
    """
    with _unbuffered():  # this leaf now (its caller needs the row), after what was collected before it
        return append_entries([Entry(kind, payload, ref_type, str(ref_id), group)])[0]


# The entries of the innermost ``appending()`` block, appended at its end (None outside such a block).
_buffer: contextvars.ContextVar[list[Entry] | None] = contextvars.ContextVar("xiangzhi_ledger_buffer", default=None)


@contextmanager
def appending() -> Iterator[None]:
    """Collect every :func:`append_entries` call made inside the block and append them, in the order they were
    made, as ONE append at the end of the block (one lock, one size read, one frontier read, one INSERT of leaves and
    one of nodes) instead of one append each. Same leaves, same order, same payloads; nothing is appended if the
    block raises. Must run inside the caller's transaction (the leaves commit with the records they attest). A
    nested block joins the outer one. :func:`append_leaf` and :func:`attest_state`, which read the log, append what
    is collected so far first."""
    if _buffer.get() is not None:
        yield
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger.appending() must run inside a transaction")
    entries: list[Entry] = []
    token = _buffer.set(entries)
    try:
        yield
    finally:
        _buffer.reset(token)
    if entries:
        append_entries(entries)


@contextmanager
def _unbuffered() -> Iterator[None]:
    """Inside an ``appending()`` block: append what it collected so far, then append directly until the end of this
    block (for the callers that read the log or need the Leaf rows)."""
    entries = _buffer.get()
    if entries is None:
        yield
        return
    pending = list(entries)
    entries.clear()
    token = _buffer.set(None)
    try:
        if pending:
            append_entries(pending)
        yield
    finally:
        _buffer.reset(token)


def append_entries(entries: Sequence[Entry]) -> list[Leaf]:
    """Append several leaves in one transaction (same rules as :func:`append_leaf`); used by imports and benches.
    Inside an :func:`appending` block the entries are collected and appended at its end (returns ``[]`` then).

    Inside the caller's transaction no savepoint is taken: a failed append fails the caller's transaction."""
    buffered = _buffer.get()
    if buffered is not None:
        buffered.extend(entries)
        return []
    prepared = []
    for e in entries:
        data = canonical_leaf(e.kind, e.payload)
        prepared.append((e, data, leaf_hash(data)))
    with transaction.atomic(savepoint=False):
        _lock_log()
        size = tree_size()
        ids = root_hash_nodes(size)
        store = _store(size, ids)
        frontier = CompactRange(size, [store.get_subtree_hash(*_range(lv, ix)) for lv, ix in ids])
        leaves, nodes = [], []
        now = timezone.now()
        for e, data, h in prepared:
            index = frontier.size
            nodes.extend(Node(level=lv, index=ix, hash=nh) for lv, ix, nh in frontier.append(h, index=index))
            leaves.append(Leaf(
                index=index, kind=e.kind, data=data, hash=h, ref_type=e.ref_type, ref_id=e.ref_id[:64],
                group=e.group, created_at=now,
            ))
        if len(leaves) == 1:
            leaves[0].save()
        else:
            Leaf.objects.bulk_create(leaves)
        Node.objects.bulk_create(nodes)
    return leaves


def _range(level: int, index: int) -> tuple[int, int]:
    return index << level, (index + 1) << level


# The audit log: every AuditLog row becomes a leaf (registered by ledger.apps as core's audit sink).
AUDIT_KIND = "audit"
AUDIT_REF = "core.auditlog"


def audit_payload(row: Any) -> dict[str, Any]:
    """The leaf payload of an AuditLog row: all of its fields."""
    return {
        "id": row.pk,
        "at": iso_time(row.at),
        "actor_id": row.actor_id,
        "actor_label": row.actor_label,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "region_code": row.region_code,
        "before": plain_json(row.before),
        "after": plain_json(row.after),
        "ip": row.ip or None,
        "note": row.note,
    }


def audit_entry(row: Any) -> Entry:
    """The leaf of one saved audit row (for :func:`append_entries`: bulk paths attest many rows at once)."""
    group = f"{row.object_type}:{row.object_id}" if row.object_type and row.object_id else ""
    return Entry(AUDIT_KIND, audit_payload(row), AUDIT_REF, str(row.pk), group[:80])


def append_audit_rows(rows: Sequence[Any]) -> list[Leaf]:
    """Attest saved audit rows, in their order: core's audit sink (``core.services.audit`` and ``audit_many`` call it
    in the transaction of the rows; registered in ``LedgerConfig.ready``)."""
    return append_entries([audit_entry(row) for row in rows]) if rows else []


def _recompute_audit(ref_id: str) -> dict[str, Any] | None:
    from xiangzhi.core.models import AuditLog

    row = AuditLog.objects.filter(pk=ref_id).first()
    return None if row is None else audit_payload(row)


register_kind(AUDIT_KIND, recompute=_recompute_audit)


# ----------------------------------------------------------------------------------------------------------------
# Record states: the current attested fields of records that change over their life (see registry.register_state)
# ----------------------------------------------------------------------------------------------------------------
def _state(kind: str) -> StateKind:
    sk = state_kind(kind)
    if sk is None:
        autodiscover()
        sk = state_kind(kind)
    if sk is None:
        raise LookupError(f"no state registered for {kind!r}")
    return sk


def _latest_states(sk: StateKind, ref_ids: Sequence[str]) -> dict[str, tuple[int, bytes]]:
    """``{ref_id: (index, data)}`` of the latest state leaf of each record among ``ref_ids`` (one query)."""
    if not ref_ids:
        return {}
    latest = (Leaf.objects.filter(kind=sk.kind, ref_type=sk.ref_type, ref_id__in=ref_ids)
              .values("ref_id").annotate(last=Max("index")).values("last"))
    rows = Leaf.objects.filter(index__in=Subquery(latest)).values_list("ref_id", "index", "data")
    return {ref_id: (index, bytes(data)) for ref_id, index, data in rows}


def state_entry(kind: str, ref_id: str | int, payload: Mapping[str, Any]) -> Entry:
    """The leaf of one record's state (for bulk writers that know the payload, e.g. the demo year)."""
    sk = _state(kind)
    return Entry(sk.kind, payload, sk.ref_type, str(ref_id), sk.group(str(ref_id)))


def state_entries(kind: str, ref_ids: Iterable[str | int]) -> list[Entry]:
    """The state leaves to append for these records: their current state, for each record whose state differs from
    its latest state leaf (or has none). A few queries for all of them."""
    sk = _state(kind)
    ids = list(dict.fromkeys(str(i) for i in ref_ids))
    live = sk.snapshot(ids)
    latest = _latest_states(sk, ids)
    entries = []
    for ref_id in ids:
        payload = live.get(ref_id)
        if payload is None:
            continue
        previous = latest.get(ref_id)
        if previous is not None and previous[1] == canonical_leaf(sk.kind, payload):
            continue
        entries.append(Entry(sk.kind, payload, sk.ref_type, ref_id, sk.group(ref_id)))
    return entries


def changed_states(kind: str, ref_ids: Iterable[str | int]) -> list[Entry]:
    """:func:`state_entries` read under the log's lock (after appending what an ``appending()`` block collected so
    far), for a writer that appends them itself, in an order of its own, in this transaction (the disputes app's
    batch recorder puts each case's state right after its last event)."""
    with _unbuffered(), transaction.atomic(savepoint=False):
        _lock_log()
        return state_entries(kind, ref_ids)


def attest_state(kind: str, ref_ids: Iterable[str | int]) -> list[Leaf]:
    """Append the current state of these records where it changed since its latest state leaf; call it in the
    transaction that changed them (the disputes app does, in ``services.records.record``). Returns the new leaves.

    The rows and the latest state leaves are read under the log lock, so a concurrent change of the same record that
    appended its state first is seen (never a stale state appended after a newer one)."""
    with _unbuffered(), transaction.atomic():
        _lock_log()
        entries = state_entries(kind, ref_ids)
        return append_entries(entries) if entries else []


def _chunks(values: Iterable[Any], size: int) -> Iterable[list[str]]:
    chunk: list[str] = []
    for v in values:
        chunk.append(str(v))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def attest_baseline(*, chunk: int = 500) -> int:
    """Attest the current state of every live record that has no state leaf at all (after upgrading an installation
    whose records predate state attestation). Never re-attests a record that has one: a record changed behind the
    application's back stays reported by verify. Writes an audit row with the count. Returns the leaves appended."""
    from xiangzhi.core.services import audit

    autodiscover()
    appended = 0
    for sk in state_kinds():
        for ids in _chunks(sk.ids(), chunk):
            with transaction.atomic():
                _lock_log()
                attested = set(Leaf.objects.filter(kind=sk.kind, ref_type=sk.ref_type, ref_id__in=ids)
                               .values_list("ref_id", flat=True).distinct())
                live = sk.snapshot([i for i in ids if i not in attested])
                entries = [Entry(sk.kind, payload, sk.ref_type, ref_id, sk.group(ref_id))
                           for ref_id, payload in live.items()]
                if entries:
                    append_entries(entries)
                    appended += len(entries)
    if appended:
        audit("ledger.state_baseline", actor=None, after={"leaves": appended})
    return appended


def _changed_paths(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted paths of what differs between two payloads (``parties[1].name``)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out = []
        for key in sorted(set(old) | set(new)):
            out += _changed_paths(old.get(key, ...), new.get(key, ...), f"{prefix}.{key}" if prefix else key)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [p for i, (a, b) in enumerate(zip(old, new, strict=True)) for p in _changed_paths(a, b, f"{prefix}[{i}]")]
    return [] if old == new else [prefix or "?"]


def _snapshot(sk: StateKind, ids: list[str], report: VerifyReport) -> tuple[Mapping[str, Any], set[str]]:
    """The live states of a chunk; if the chunk cannot be read (a value no longer decrypts or parses), record by
    record, reporting each one that fails. Returns (states, failed ids)."""
    try:
        return sk.snapshot(ids), set()
    except Exception:  # noqa: BLE001 - a broken record must be reported, not abort the run
        live: dict[str, Any] = {}
        failed = set()
        for ref_id in ids:
            try:
                live.update(sk.snapshot([ref_id]))
            except Exception as exc:  # noqa: BLE001
                failed.add(ref_id)
                report.add("LEDGER_RECOMPUTE_FAILED", f"{sk.ref_type}:{ref_id}: its state cannot be recomputed from "
                           f"the live rows: {type(exc).__name__}: {exc}", ref=f"{sk.ref_type}:{ref_id}")
        return live, failed


def _verify_states(report: VerifyReport, chunk: int) -> None:
    """Stream over every live record of every state kind: its recomputed state must equal its latest state leaf.

    Per chunk of records: one query for their latest state leaves, the snapshot's few queries for their live rows.
    """
    for sk in state_kinds():
        seen = 0
        for ids in _chunks(sk.ids(), chunk):
            latest = _latest_states(sk, ids)
            live, failed = _snapshot(sk, ids, report)
            seen += len(failed & set(latest))
            for ref_id in ids:
                payload = live.get(ref_id)
                if payload is None:
                    continue
                report.states_checked += 1
                ref = f"{sk.ref_type}:{ref_id}"
                label = sk.label(payload)
                name = f"{ref} ({label})" if label else ref
                leaf = latest.get(ref_id)
                if leaf is None:
                    report.add("LEDGER_STATE_UNATTESTED", f"{name} has no attested state in the log "
                               "(created behind the application's back, or before `ledger attest-baseline`)", ref=ref)
                    continue
                seen += 1
                index, data = leaf
                try:
                    schema, _, attested = parse_canonical_leaf(data)
                    same = canonical_leaf(sk.kind, payload, schema) == data
                except (TypeError, ValueError) as exc:
                    report.add("LEDGER_RECOMPUTE_FAILED", f"{name}: state cannot be compared: {exc}", index=index,
                               ref=ref)
                    continue
                if not same:
                    fields = ", ".join(_changed_paths(attested, plain_json(dict(payload)))) or "?"
                    label = sk.label(attested)  # as attested: the live label may be what was changed
                    name = f"{ref} ({label})" if label else ref
                    report.add("LEDGER_STATE_CHANGED", f"{name} was changed behind the application's back: it differs "
                               f"from its latest attested state (leaf {index}) in: {fields}", index=index, ref=ref)
        attested_total = (Leaf.objects.filter(kind=sk.kind, ref_type=sk.ref_type).values("ref_id").distinct().count())
        if attested_total > seen:  # some attested records are gone (or unreadable): name them
            refs = (Leaf.objects.filter(kind=sk.kind, ref_type=sk.ref_type).order_by("ref_id")
                    .values_list("ref_id", flat=True).distinct())
            for ids in _chunks(refs.iterator(chunk_size=chunk), chunk):
                live, failed = _snapshot(sk, ids, VerifyReport())  # failures were reported above
                for ref_id in ids:
                    if ref_id not in live and ref_id not in failed:
                        report.add("LEDGER_RECORD_MISSING", f"{sk.ref_type}:{ref_id} was attested but no longer exists",
                                   ref=f"{sk.ref_type}:{ref_id}")


# ----------------------------------------------------------------------------------------------------------------
# Proofs
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    root_hash: bytes
    proof: list[bytes]

    def as_json(self) -> dict[str, Any]:
        return {"leaf_index": self.leaf_index, "tree_size": self.tree_size, "leaf_hash": self.leaf_hash.hex(),
                "root_hash": self.root_hash.hex(), "proof": [h.hex() for h in self.proof]}


@dataclass(frozen=True)
class ConsistencyProof:
    from_size: int
    to_size: int
    from_root: bytes
    to_root: bytes
    proof: list[bytes]

    def as_json(self) -> dict[str, Any]:
        return {"from_size": self.from_size, "to_size": self.to_size, "from_root": self.from_root.hex(),
                "to_root": self.to_root.hex(), "proof": [h.hex() for h in self.proof]}


def root_at(size: int | None = None) -> bytes:
    """Tree head of the first ``size`` leaves (default: all), from the stored nodes (one query)."""
    n = tree_size() if size is None else size
    _check_sizes(n)
    return root_hash(_store(n, root_hash_nodes(n)), n)


def backup_state() -> dict[str, Any]:
    """The log's size and root (hex) and the latest signed checkpoint's size, for a backup's manifest."""
    size = tree_size()
    latest = latest_checkpoint()
    return {"tree_size": size, "root": root_at(size).hex(), "checkpoint_size": latest.size if latest else 0}


def _check_sizes(*sizes: int, current: int | None = None) -> int:
    current = tree_size() if current is None else current
    for s in sizes:
        if s < 0 or s > current:
            raise ValidationFailed("LEDGER_BAD_SIZE", "树大小超出范围。", {"size": s, "tree_size": current})
    return current


def prove_inclusion(index: int, size: int | None = None) -> InclusionProof:
    """Inclusion proof of leaf ``index`` in the tree of ``size`` leaves (default: current size); one query."""
    current = tree_size()
    n = current if size is None else size
    _check_sizes(n, current=current)
    if not 0 <= index < n:
        raise ValidationFailed("LEDGER_BAD_INDEX", "叶子序号超出范围。", {"index": index, "tree_size": n})
    ids = [*inclusion_proof_nodes(index, n), *root_hash_nodes(n), (0, index)]
    store = _store(n, ids)
    proof = inclusion_proof(store, index, n)
    return InclusionProof(index, n, store.get_subtree_hash(index, index + 1), root_hash(store, n), proof)


def prove_consistency(from_size: int, to_size: int | None = None) -> ConsistencyProof:
    """Consistency proof between the trees of ``from_size`` and ``to_size`` leaves; one query."""
    current = tree_size()
    n = current if to_size is None else to_size
    _check_sizes(from_size, n, current=current)
    if from_size > n:
        raise ValidationFailed("LEDGER_BAD_SIZE", "起始大小不能大于目标大小。", {"from": from_size, "to": n})
    ids = [*consistency_proof_nodes(from_size, n), *root_hash_nodes(from_size), *root_hash_nodes(n)]
    store = _store(n, ids)
    return ConsistencyProof(from_size, n, root_hash(store, from_size), root_hash(store, n),
                            consistency_proof(store, from_size, n))


def check_inclusion(*, leaf_index: int, tree_size: int, leaf_hash_hex: str, root_hex: str,
                    proof_hex: Sequence[str]) -> None:
    """Verify an inclusion proof given in hex (the status page's form); raise ValidationFailed with the reason."""
    try:
        verify_inclusion(bytes.fromhex(leaf_hash_hex.strip()), leaf_index, tree_size,
                         [bytes.fromhex(h.strip()) for h in proof_hex if h.strip()], bytes.fromhex(root_hex.strip()))
    except (ValueError, VerificationError) as exc:
        raise ValidationFailed("LEDGER_PROOF_INVALID", "证明未通过验证。", str(exc)) from None


# ----------------------------------------------------------------------------------------------------------------
# Checkpoints
# ----------------------------------------------------------------------------------------------------------------
def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size", "-id").first()


def make_checkpoint(*, force: bool = False, now: dt.datetime | None = None) -> Checkpoint | None:
    """Sign the current tree head if the tree grew (and, unless ``force``, the interval has passed).

    The new head is proven consistent with the previous checkpoint before it is signed; the proof is stored with
    it. Returns the new Checkpoint, or None when nothing was due. Raises LedgerError (and logs an error) if the
    stored tree no longer extends the previous checkpoint.
    Side effects: one Checkpoint row.
    """
    now = now or timezone.now()
    with transaction.atomic():
        _lock_log()
        size = tree_size()
        last = latest_checkpoint()
        if size == 0 or (last is not None and last.size >= size):
            return None
        if not force and last is not None and now - last.created_at < checkpoint_interval():
            return None
        ids = list(root_hash_nodes(size))
        if last is not None:
            ids += [*consistency_proof_nodes(last.size, size), *root_hash_nodes(last.size)]
        store = _store(size, ids)
        root = root_hash(store, size)
        proof: list[bytes] = []
        if last is not None:
            proof = consistency_proof(store, last.size, size)
            try:
                verify_consistency(last.size, size, proof, bytes(last.root_hash), root)
            except VerificationError as exc:
                logger.error("ledger: tree of size %s is NOT consistent with checkpoint %s: %s", size, last.size, exc)
                raise LedgerError("LEDGER_INCONSISTENT", "存证树与上一检查点不一致，拒绝签名。", str(exc)) from None
        note = notes.sign_checkpoint(notes.Checkpoint(origin(), size, root), signer())
        return Checkpoint.objects.create(
            size=size, root_hash=root, note=note, previous_size=last.size if last else None,
            consistency_proof=[h.hex() for h in proof], created_at=now,
        )


def periodic_checkpoint() -> str:
    """The periodic job: a checkpoint if due, then the witness check.

    Any inconsistency (the tree no longer extends the last checkpoint, or disagrees with a witnessed checkpoint)
    is logged as an error, notified to the county administrators and makes the job fail (status ``error …``).
    """
    problems: list[str] = []
    cp = None
    try:
        cp = make_checkpoint()
    except LedgerError as exc:
        problems.append(f"{exc.message} {exc.detail}")
        _alert("存证树与上一检查点不一致", problems[-1], f"ledger.inconsistent.{tree_size()}")
    problems.extend(check_witnesses())
    if problems:
        raise LedgerError("LEDGER_INCONSISTENT", "存证日志不一致：" + "; ".join(problems)[:500], problems)
    return f"checkpoint {cp.size}" if cp else "no checkpoint due"


# ----------------------------------------------------------------------------------------------------------------
# Bundles
# ----------------------------------------------------------------------------------------------------------------
def _checkpoint_covering(max_index: int) -> Checkpoint:
    cp = latest_checkpoint()
    if cp is None or cp.size <= max_index:
        cp = make_checkpoint(force=True) or latest_checkpoint()
    if cp is None or cp.size <= max_index:
        raise LedgerError("LEDGER_NO_CHECKPOINT", "尚无覆盖该记录的检查点。")
    return cp


MAX_BUNDLE_LEAVES = 1000


def bundle_for_indices(indices: Iterable[int]) -> dict[str, Any]:
    """An offline proof bundle (see ``bundle.py``) for the given leaves against the latest checkpoint.

    Signs a new checkpoint first if the latest one does not cover every leaf yet. Reads the nodes of all proofs in
    one query. Raises NotFound for unknown indices (out-of-range ones included) and ValidationFailed for more than
    MAX_BUNDLE_LEAVES.
    """
    wanted = sorted({int(i) for i in indices})
    if not wanted:
        raise ValidationFailed("LEDGER_NO_LEAVES", "请指定至少一个叶子。")
    if len(wanted) > MAX_BUNDLE_LEAVES:
        raise ValidationFailed("LEDGER_TOO_MANY_LEAVES", f"一个证明包最多包含 {MAX_BUNDLE_LEAVES} 个叶子。",
                               {"count": len(wanted), "max": MAX_BUNDLE_LEAVES})
    size = tree_size()
    in_range = [i for i in wanted if 0 <= i < size]  # never ask the database about an index it cannot hold
    leaf_data = {i: bytes(d) for i, d in Leaf.objects.filter(index__in=in_range).values_list("index", "data")}
    missing = [i for i in wanted if i not in leaf_data]
    if missing:
        raise NotFound("存证记录不存在。", {"missing": missing[:20]})
    cp = _checkpoint_covering(wanted[-1])
    ids: list[tuple[int, int]] = []
    for i in wanted:
        ids.extend(inclusion_proof_nodes(i, cp.size))
    store = _store(cp.size, ids)
    try:
        return make_bundle(store, wanted, leaf_data, cp.note, vkey())
    except ValueError as exc:
        logger.error("ledger: cannot build a bundle for %s: %s", wanted[:20], exc)
        raise LedgerError("LEDGER_INCONSISTENT", "存证树与检查点不一致，无法生成证明，请联系管理员。", str(exc)) from None


def leaves_for_ref(ref_type: str, ref_ids: Iterable[str | int], *, include_audit: bool = False,
                   include_internal: bool = False) -> list[int]:
    """Indices of the leaves that attest ``ref_type`` records ``ref_ids`` or belong to them (``group``).

    Audit-log leaves (staff names, IP addresses) and a case's internal events are left out unless asked for.
    """
    ids = [str(i) for i in ref_ids]
    groups = [f"{ref_type}:{i}" for i in ids]
    if include_internal:
        groups += [f"{g}/internal" for g in groups]
    qs = Leaf.objects.filter(Q(ref_type=ref_type, ref_id__in=ids) | Q(group__in=groups))
    if not include_audit:
        qs = qs.exclude(kind=AUDIT_KIND)
    return list(qs.order_by("index").values_list("index", flat=True))


def bundle_for_ref(ref_type: str, ref_ids: Iterable[str | int], *, include_audit: bool = False,
                   include_internal: bool = False) -> dict[str, Any]:
    """The offline proof bundle of every leaf of these records (e.g. ``bundle_for_ref("disputes.case", [42])``).

    A leaf belongs to a record if it was appended with ``ref_type=…, ref_id=…`` or with ``group="<ref_type>:<id>"``
    (every public timeline event of a case). The default suits the parties: no audit-log leaves, no internal
    events. May sign a new checkpoint (see :func:`bundle_for_indices`). NotFound if there is no such leaf.
    """
    indices = leaves_for_ref(ref_type, ref_ids, include_audit=include_audit, include_internal=include_internal)
    if not indices:
        raise NotFound("该记录尚无存证。")
    return bundle_for_indices(indices)


class _IssuedAt(signing.TimestampSigner):
    """A TimestampSigner whose timestamp may be given (a link issued at a known time, e.g. in tests)."""

    def __init__(self, *, issued_at: float | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.issued_at = issued_at

    def timestamp(self) -> str:
        return super().timestamp() if self.issued_at is None else signing.b62_encode(int(self.issued_at))


class BundleLinkExpired(XiangzhiError):
    status = 410

    def __init__(self) -> None:
        hours = bundle_link_hours()
        super().__init__("LEDGER_LINK_EXPIRED", f"该存证证明下载链接已过期（有效期{hours}小时），请重新打开案件进度页面获取新的下载链接。",
                         {"valid_hours": hours})


def bundle_link_hours() -> int:
    return settings.XIANGZHI_BUNDLE_LINK_HOURS


def bundle_token(ref_type: str, ref_ids: Iterable[str | int], *, issued_at: float | None = None) -> str:
    """An opaque, signed and timestamped token naming these records, for the public ``ledger:bundle`` view; it is
    honoured for ``XIANGZHI_BUNDLE_LINK_HOURS`` after ``issued_at`` (default: now)."""
    return _IssuedAt(salt=BUNDLE_SALT, issued_at=issued_at).sign_object([ref_type, [str(i) for i in ref_ids]],
                                                                         compress=True)


def bundle_url(ref_type: str, ref_ids: Iterable[str | int], *, issued_at: float | None = None) -> str:
    """A public download link for :func:`bundle_for_ref` (give it only to whoever may see the record); it expires
    after ``XIANGZHI_BUNDLE_LINK_HOURS``, so a link copied out of a page or a message does not open the case's
    records for ever."""
    return reverse("ledger:bundle", args=[bundle_token(ref_type, ref_ids, issued_at=issued_at)])


def bundle_from_token(token: str) -> dict[str, Any]:
    """The bundle a token names. NotFound for a forged token, BundleLinkExpired (410) for an expired one."""
    try:
        ref_type, ref_ids = signing.loads(token, salt=BUNDLE_SALT, max_age=dt.timedelta(hours=bundle_link_hours()))
    except signing.SignatureExpired:
        raise BundleLinkExpired() from None
    except (signing.BadSignature, ValueError, TypeError):
        raise NotFound() from None
    return bundle_for_ref(ref_type, ref_ids)


# ----------------------------------------------------------------------------------------------------------------
# Witnessing: export our checkpoints, import someone else's (or our own, kept elsewhere)
# ----------------------------------------------------------------------------------------------------------------
def _b64(raw: bytes) -> str:
    return base64.b64encode(bytes(raw)).decode("ascii")


def export_checkpoints() -> dict[str, Any]:
    """All our checkpoints with their consistency proofs, for another installation (or a court) to witness."""
    return {
        "format": EXPORT_FORMAT,
        "version": 1,
        "origin": origin(),
        "vkey": vkey(),
        "checkpoints": [
            {"size": c.size, "root": _b64(c.root_hash), "note": c.note, "previous_size": c.previous_size,
             "consistency_proof": [_b64(bytes.fromhex(h)) for h in c.consistency_proof]}
            for c in Checkpoint.objects.order_by("size", "id").iterator()
        ],
    }


@dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def import_checkpoints(doc: Mapping[str, Any], *, source: str) -> ImportResult:
    """Store the signed checkpoints of an export as witnessed checkpoints.

    Checks every signature with the export's key (which must be our key when the origin is ours, and the key already
    witnessed for that origin otherwise), the consistency proofs between consecutive checkpoints, and that no
    two witnessed checkpoints of one origin disagree on the root of the same size (a fork). Checkpoints of our own
    origin are then compared with our tree (:func:`check_witnesses`). Inconsistencies are stored and reported.
    Side effects: WitnessedCheckpoint rows; on a problem an error log and a notification to county admins.
    """
    if not isinstance(doc, Mapping) or doc.get("format") != EXPORT_FORMAT or doc.get("version") != 1:
        raise ValidationFailed("LEDGER_BAD_EXPORT", "不是乡治检查点导出文件。")
    try:
        ver = notes.Verifier.from_vkey(doc.get("vkey"))
    except notes.NoteError as exc:
        raise ValidationFailed("LEDGER_BAD_EXPORT", "导出文件的公钥无效。", str(exc)) from None
    log_origin = doc.get("origin")
    if log_origin == origin() and doc["vkey"] != vkey():
        raise ValidationFailed("LEDGER_BAD_EXPORT", "本日志的检查点必须由本机密钥签名。")
    known = WitnessedCheckpoint.objects.filter(origin=log_origin).exclude(vkey=doc["vkey"]).first()
    if known is not None:
        raise ValidationFailed("LEDGER_BAD_EXPORT", "该日志此前由另一密钥见证，拒绝导入。", known.vkey)
    result = ImportResult()
    entries = sorted(doc.get("checkpoints") or [], key=lambda e: e.get("size", 0))
    parsed: dict[int, bytes] = {}
    with transaction.atomic():
        for entry in entries:
            try:
                cp = notes.open_checkpoint(entry["note"], ver, origin=log_origin)
            except (notes.NoteError, KeyError, TypeError) as exc:
                result.problems.append(f"checkpoint rejected: {exc}")
                continue
            problem = ""
            prev = entry.get("previous_size")
            if prev and prev in parsed:
                try:
                    proof = [notes.b64decode_strict(h, "proof") for h in entry.get("consistency_proof") or []]
                    verify_consistency(prev, cp.size, proof, parsed[prev], cp.root_hash)
                except (notes.NoteError, VerificationError) as exc:
                    problem = f"size {cp.size} is not consistent with size {prev}: {exc}"
            clash = WitnessedCheckpoint.objects.filter(origin=log_origin, size=cp.size).exclude(
                root_hash=cp.root_hash).first()
            if clash is not None:
                problem = f"fork: size {cp.size} has another root witnessed from {clash.source}"
            parsed[cp.size] = cp.root_hash
            _, created = WitnessedCheckpoint.objects.get_or_create(
                origin=log_origin, size=cp.size, source=source,
                defaults={"root_hash": cp.root_hash, "note": entry["note"], "vkey": doc["vkey"],
                          "consistent": False if problem else None, "problem": problem[:300]},
            )
            result.imported += created
            result.skipped += not created
            if problem:
                result.problems.append(problem)
    if result.problems:
        _alert("导入的见证检查点存在问题", "; ".join(result.problems[:5]), f"ledger.import.{source}.{len(entries)}")
    result.problems.extend(check_witnesses())
    return result


def check_witnesses() -> list[str]:
    """Compare every witnessed checkpoint of our own origin with our tree and latest checkpoint.

    A witnessed (size, root) must equal our tree's root at that size, and our latest checkpoint must be provably
    consistent with it. Anything else means the log showed different histories (a fork or a rewrite): the row is
    marked inconsistent, an error is logged and the county administrators are notified.
    """
    problems: list[str] = []
    latest = latest_checkpoint()
    current = tree_size()
    for w in WitnessedCheckpoint.objects.filter(origin=origin()).order_by("size", "id"):
        problem = ""
        try:
            if w.size > current:
                problem = f"witnessed size {w.size} is beyond our tree size {current} (leaves lost?)"
            elif w.size > 0 and root_at(w.size) != bytes(w.root_hash):
                problem = f"our tree's root at size {w.size} differs from the one witnessed by {w.source}"
            elif latest is not None and latest.size >= w.size > 0:
                proof = prove_consistency(w.size, latest.size).proof
                verify_consistency(w.size, latest.size, proof, bytes(w.root_hash), bytes(latest.root_hash))
        except (VerificationError, XiangzhiError) as exc:
            problem = f"checkpoint {latest.size if latest else '-'} is not consistent with witnessed size {w.size}: {exc}"
        if problem:
            problems.append(problem)
            if w.consistent is not False or w.problem != problem[:300]:
                WitnessedCheckpoint.objects.filter(pk=w.pk).update(consistent=False, problem=problem[:300])
                _alert("存证日志与见证检查点不一致", problem, f"ledger.witness.{w.pk}.{latest.size if latest else 0}")
        elif w.consistent is not True:
            WitnessedCheckpoint.objects.filter(pk=w.pk).update(consistent=True, problem="")
    for p in problems:
        logger.error("ledger: WITNESS INCONSISTENCY: %s", p)
    return problems


def _alert(subject: str, body: str, dedupe_key: str) -> None:
    """Error log plus an in-app notification to every county administrator."""
    from xiangzhi.core.enums import Role
    from xiangzhi.core.models import User
    from xiangzhi.core.services import notify_user

    logger.error("ledger: %s: %s", subject, body)
    admins = User.objects.filter(memberships__role=Role.COUNTY_ADMIN, memberships__is_active=True, is_active=True)
    for user in admins.distinct():
        notify_user(user, subject=subject, body=body[:500], link=_status_link(), dedupe_key=f"{dedupe_key}.{user.pk}")


def _status_link() -> str:
    try:
        return reverse("ledger:status")
    except Exception:  # noqa: BLE001 - URLs not loaded (e.g. a bare script)
        return ""


# ----------------------------------------------------------------------------------------------------------------
# Verification
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class Problem:
    code: str
    message: str
    index: int | None = None
    ref: str = ""


@dataclass
class VerifyReport:
    tree_size: int = 0
    leaves_checked: int = 0
    records_checked: int = 0
    states_checked: int = 0
    checkpoints_checked: int = 0
    unverifiable_kinds: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    suppressed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and not self.suppressed

    def add(self, code: str, message: str, *, index: int | None = None, ref: str = "") -> None:
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(Problem(code, message, index, ref))
        else:
            self.suppressed += 1

    def summary(self) -> str:
        head = "OK" if self.ok else f"FAILED: {len(self.problems) + self.suppressed} problem(s)"
        lines = [f"{head} — tree size {self.tree_size}, {self.leaves_checked} leaves, "
                 f"{self.records_checked} records recomputed, {self.states_checked} record states compared, "
                 f"{self.checkpoints_checked} checkpoints"]
        lines += [f"[{p.code}] {p.message}" for p in self.problems]
        if self.suppressed:
            lines.append(f"… and {self.suppressed} more problems")
        if self.unverifiable_kinds:
            lines.append("no recompute registered for: " + ", ".join(
                f"{k} ({n})" for k, n in sorted(self.unverifiable_kinds.items())))
        return "\n".join(lines)


def _diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in set(a) | set(b) if a.get(k, ...) != b.get(k, ...))


def _node_stream(chunk: int) -> Iterable[tuple[tuple[int, int], int, int, bytes]]:
    """Stored nodes in the order the appender creates them: by right edge, then level. Yields ((end, level), …)."""
    qs = (Node.objects.annotate(end=(F("index") + 1).bitleftshift(F("level")))
          .order_by("end", "level").values_list("end", "level", "index", "hash"))
    for end, level, index, h in qs.iterator(chunk_size=chunk):
        yield (end, level), level, index, bytes(h)


def verify_log(*, records: bool = True, chunk: int = 2000) -> VerifyReport:
    """Recompute everything and report every discrepancy (stored as the latest VerificationRun).

    * every leaf: stored hash = hash of its data; data canonical; data = canonical form of the payload recomputed
      from the live record (and its files) through the registry; indices contiguous from 0, none duplicated;
    * every live record of a registered state kind (a case: its application text, request, parties, agreement,
      stage): its state recomputed from the live rows = its latest state leaf (streamed in chunks);
    * the whole tree from the leaves (streamed, O(log n) memory): every stored node, and the root at every
      checkpoint's size;
    * every checkpoint: signature by our key, body matching its row, consistency proof from the previous one;
    * witnessed checkpoints of our origin (see :func:`check_witnesses`).
    """
    run = VerificationRun.objects.create()
    report = VerifyReport()
    autodiscover()
    cp_sizes = set(Checkpoint.objects.values_list("size", flat=True))
    roots: dict[int, bytes] = {}
    frontier = CompactRange()
    nodes = iter(_node_stream(chunk))
    pending = next(nodes, None)
    broken_at: int | None = None

    def check_nodes(new_nodes: Sequence[Any]) -> None:
        nonlocal pending
        for lv, ix, h in new_nodes:
            key = ((ix + 1) << lv, lv)
            while pending is not None and pending[0] < key:
                report.add("LEDGER_EXTRA_NODE", f"unexpected tree node ({pending[1]}, {pending[2]})")
                pending = next(nodes, None)
            if pending is None or pending[0] != key:
                report.add("LEDGER_NODE_MISSING", f"tree node ({lv}, {ix}) is missing")
                continue
            if pending[3] != h:
                report.add("LEDGER_NODE_CHANGED", f"tree node ({lv}, {ix}) does not match the leaves")
            pending = next(nodes, None)

    expected = 0
    rows = Leaf.objects.order_by("index").values_list("index", "kind", "data", "hash", "ref_type", "ref_id")
    for index, kind, data, stored_hash, ref_type, ref_id in rows.iterator(chunk_size=chunk):
        data = bytes(data)
        ref = f"{ref_type}:{ref_id}" if ref_type else ""
        if index < expected:
            report.add("LEDGER_DUPLICATE_INDEX", f"leaf index {index} appears more than once", index=index, ref=ref)
            continue
        if index > expected:
            report.add("LEDGER_LEAF_MISSING", f"leaf index {expected}..{index - 1} missing "
                       f"({index - expected} leaf row(s) deleted)", index=expected)
            if broken_at is None:
                broken_at = expected
            expected = index
        expected += 1
        report.leaves_checked += 1
        h = leaf_hash(data)
        if bytes(stored_hash) != h:
            report.add("LEDGER_LEAF_HASH", f"leaf {index}: stored hash does not match its data", index=index, ref=ref)
        if broken_at is None:
            check_nodes(frontier.append(h, index=index))
            if frontier.size in cp_sizes:
                roots[frontier.size] = frontier.root()
        if not records:
            continue
        try:
            schema, leaf_kind, payload = parse_canonical_leaf(data)
        except ValueError as exc:
            report.add("LEDGER_LEAF_MALFORMED", f"leaf {index}: {exc}", index=index, ref=ref)
            continue
        if leaf_kind != kind:
            report.add("LEDGER_LEAF_KIND", f"leaf {index}: kind column {kind!r} ≠ data {leaf_kind!r}", index=index)
        if state_kind(leaf_kind) is not None:
            continue  # a record's state at some time: the latest one per record is compared by _verify_states
        func = recompute_for(leaf_kind)
        if func is None or not ref_type:
            report.unverifiable_kinds[leaf_kind] = report.unverifiable_kinds.get(leaf_kind, 0) + 1
            continue
        report.records_checked += 1
        try:
            live = func(ref_id)
        except Exception as exc:  # noqa: BLE001 - a broken record must be reported, not abort the run
            report.add("LEDGER_RECOMPUTE_FAILED", f"leaf {index}: {ref} cannot be recomputed: {exc}", index=index, ref=ref)
            continue
        if live is None:
            report.add("LEDGER_RECORD_MISSING", f"leaf {index}: record {ref} no longer exists", index=index, ref=ref)
            continue
        try:
            same = canonical_leaf(leaf_kind, live, schema) == data
        except (TypeError, ValueError) as exc:
            report.add("LEDGER_RECOMPUTE_FAILED", f"leaf {index}: {ref}: {exc}", index=index, ref=ref)
            continue
        if not same:
            fields = ", ".join(_diff(payload, plain_json(dict(live))))
            report.add("LEDGER_RECORD_CHANGED", f"leaf {index}: record {ref} was changed after it was attested "
                       f"(fields: {fields or '?'})", index=index, ref=ref)
    report.tree_size = expected
    if records:
        _verify_states(report, chunk)
    if broken_at is None:
        check_nodes([])  # flush: anything left over in the node table is extra
        while pending is not None:
            report.add("LEDGER_EXTRA_NODE", f"unexpected tree node ({pending[1]}, {pending[2]})")
            pending = next(nodes, None)
    _verify_checkpoints(report, roots, broken_at)
    for p in check_witnesses():
        report.add("LEDGER_WITNESS", p)
    run.finished_at = timezone.now()
    run.ok = report.ok
    run.tree_size = report.tree_size
    run.leaves_checked = report.leaves_checked
    run.checkpoints_checked = report.checkpoints_checked
    run.problems = [asdict(p) for p in report.problems]
    run.save()
    if not report.ok:
        logger.error("ledger verify FAILED:\n%s", report.summary())
    return report


def _verify_checkpoints(report: VerifyReport, roots: Mapping[int, bytes], broken_at: int | None) -> None:
    ver, log_origin = verifier(), origin()
    prev: Checkpoint | None = None
    for cp in Checkpoint.objects.order_by("size", "id").iterator():
        report.checkpoints_checked += 1
        label = f"checkpoint {cp.size} (id {cp.pk})"
        try:
            body = notes.open_checkpoint(cp.note, ver, origin=log_origin)
        except notes.NoteError as exc:
            report.add("LEDGER_CHECKPOINT_SIGNATURE", f"{label}: signature or note rejected: {exc}")
            prev = cp
            continue
        if body.size != cp.size or body.root_hash != bytes(cp.root_hash):
            report.add("LEDGER_CHECKPOINT_ROW", f"{label}: row does not match its signed note")
        if cp.size > report.tree_size:
            report.add("LEDGER_CHECKPOINT_BEYOND", f"{label}: the tree has only {report.tree_size} leaves")
        elif broken_at is None or cp.size <= broken_at:
            root = roots.get(cp.size)
            if root is not None and root != body.root_hash:
                report.add("LEDGER_CHECKPOINT_ROOT", f"{label}: the leaves no longer produce the signed root")
        if prev is not None:
            try:
                proof = [bytes.fromhex(h) for h in cp.consistency_proof]
                if cp.previous_size != prev.size:
                    raise VerificationError(f"recorded previous size {cp.previous_size} ≠ {prev.size}")
                verify_consistency(prev.size, cp.size, proof, bytes(prev.root_hash), body.root_hash)
            except (ValueError, VerificationError) as exc:
                report.add("LEDGER_CHECKPOINT_CONSISTENCY", f"{label}: not consistent with checkpoint {prev.size}: {exc}")
        prev = cp


def last_verification() -> VerificationRun | None:
    return VerificationRun.objects.filter(finished_at__isnull=False).order_by("-started_at", "-id").first()
