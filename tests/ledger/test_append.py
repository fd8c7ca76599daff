"""Appending leaves to the database-backed tree, proofs from stored nodes, the audit hook, checkpoints."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xiangzhi.core import services as core_services
from xiangzhi.core.models import AppendOnlyError, AuditLog
from xiangzhi.ledger import checkpoint as notes
from xiangzhi.ledger import services
from xiangzhi.ledger.canonical import canonical_leaf
from xiangzhi.ledger.merkle import (
    InMemoryHashStore,
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from xiangzhi.ledger.models import Checkpoint, Leaf, Node

pytestmark = pytest.mark.django_db


def _fill(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        services.append_leaf("test.item", {"n": i}, ref_type="test.item", ref_id=i)


def _memory() -> InMemoryHashStore:
    return InMemoryHashStore.from_leaf_data(bytes(d) for d in Leaf.objects.order_by("index").values_list("data", flat=True))


def test_leaves_get_contiguous_indices_and_every_perfect_subtree_is_stored():
    base = services.tree_size()  # the session's Tongxiang data already audited (and attested) some rows
    _fill(13)
    n = base + 13
    assert list(Leaf.objects.values_list("index", flat=True)) == list(range(n))
    mem = _memory()
    for level, index, h in Node.objects.values_list("level", "index", "hash"):
        assert mem.get_node(level, index) == bytes(h)
    assert Node.objects.count() == sum(n >> level for level in range(n.bit_length()))
    assert services.root_at() == mem.root()


def test_one_append_reads_the_frontier_in_one_query():
    _fill(6)
    with CaptureQueriesContext(connection) as ctx:
        services.append_leaf("test.item", {"n": 6})
    selects = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    # size, frontier nodes (and on PostgreSQL the advisory lock)
    assert len(selects) <= 3, selects


@pytest.mark.parametrize("n", [1, 2, 7, 8, 33])
def test_proofs_from_stored_nodes_equal_the_reference_and_verify(n):
    _fill(n)
    mem = _memory()
    for size in {1, n // 2 or 1, n}:
        for index in range(size):
            with CaptureQueriesContext(connection) as ctx:
                p = services.prove_inclusion(index, size)
            assert len(ctx.captured_queries) == 2  # tree size + one node query
            assert p.proof == inclusion_proof(mem, index, size)
            verify_inclusion(p.leaf_hash, index, size, p.proof, mem.root(size))
        for size1 in range(1, size + 1):
            c = services.prove_consistency(size1, size)
            assert c.proof == consistency_proof(mem, size1, size)
            verify_consistency(size1, size, c.proof, c.from_root, c.to_root)


def test_bad_ranges_are_refused_with_a_code():
    _fill(3)
    from xiangzhi.core.errors import ValidationFailed

    n = services.tree_size()
    with pytest.raises(ValidationFailed) as exc:
        services.prove_inclusion(n)
    assert exc.value.code == "LEDGER_BAD_INDEX"
    with pytest.raises(ValidationFailed) as exc:
        services.prove_consistency(2, n + 1)
    assert exc.value.code == "LEDGER_BAD_SIZE"


def test_leaves_nodes_and_checkpoints_are_append_only():
    _fill(2)
    services.make_checkpoint(force=True)
    for obj in (Leaf.objects.first(), Node.objects.first(), Checkpoint.objects.first()):
        with pytest.raises(AppendOnlyError):
            obj.delete()
    with pytest.raises(AppendOnlyError):
        Leaf.objects.update(kind="x")


def test_every_audit_row_becomes_a_leaf_in_the_same_transaction():
    row = core_services.audit("test.action", actor=None, object_type="core.region", object_id="330483",
                              after={"名称": "桐乡市", "n": (1, 2)}, note="备注")
    leaf = Leaf.objects.get(ref_type=services.AUDIT_REF, ref_id=str(row.pk))
    assert leaf.kind == "audit" and leaf.group == "core.region:330483"
    reread = AuditLog.objects.get(pk=row.pk)
    from xiangzhi.ledger.canonical import canonical_leaf

    assert canonical_leaf("audit", services.audit_payload(reread)) == bytes(leaf.data)


def test_audit_many_writes_the_rows_and_their_leaves_in_order_like_one_audit_call_each():
    base = services.tree_size()
    rows = core_services.audit_many([
        {"action": "test.first", "actor": None, "object_type": "core.region", "object_id": "330483", "note": "一"},
        {"action": "test.second", "actor": None, "before": {"a": 1}, "after": {"a": 2}},
    ])
    single = core_services.audit("test.third", actor=None, note="三")
    leaves = list(Leaf.objects.filter(index__gte=base).order_by("index"))
    assert [(x.ref_type, x.ref_id) for x in leaves] == [(services.AUDIT_REF, str(r.pk)) for r in [*rows, single]]
    assert leaves[0].group == "core.region:330483" and leaves[1].group == ""
    for leaf, row in zip(leaves, [*rows, single], strict=True):
        assert bytes(leaf.data) == canonical_leaf("audit", services.audit_payload(AuditLog.objects.get(pk=row.pk)))


def test_an_audit_row_rolled_back_leaves_no_leaf():
    from django.db import transaction

    before = Leaf.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        core_services.audit("test.action", actor=None)
        raise RuntimeError
    assert Leaf.objects.count() == before


def test_checkpoints_are_signed_consistent_and_only_made_when_due():
    t0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    _fill(5)
    base = services.tree_size()
    first = services.make_checkpoint(now=t0)
    assert first.size == base and first.previous_size is None
    body = notes.open_checkpoint(first.note, services.verifier(), origin=services.origin())
    assert body.size == base and body.root_hash == bytes(first.root_hash) == services.root_at(base)
    assert services.origin() == "tongxiang.xiangzhi/ledger"
    assert services.make_checkpoint(now=t0 + dt.timedelta(seconds=90)) is None  # tree did not grow
    _fill(6, start=5)
    assert services.make_checkpoint(now=t0 + dt.timedelta(seconds=30)) is None  # not due yet (60 s)
    second = services.make_checkpoint(now=t0 + dt.timedelta(seconds=61))
    assert second.size == base + 6 and second.previous_size == base
    verify_consistency(base, base + 6, [bytes.fromhex(h) for h in second.consistency_proof],
                       bytes(first.root_hash), bytes(second.root_hash))


def test_the_periodic_job_signs_consistent_checkpoints(settings):
    from xiangzhi.core.periodic import discover_jobs, run_due

    assert "ledger.checkpoint" in {j.name for j in discover_jobs()}
    settings.XIANGZHI_LEDGER_CHECKPOINT_SECONDS = 0  # due at every run (the lease is forced below)
    sizes = []
    for batch in (3, 4, 9):
        _fill(batch, start=sum(sizes[-1:]) if sizes else 0)
        results = run_due(only={"ledger.checkpoint"}, force=True)
        assert results["ledger.checkpoint"].startswith("ok checkpoint")
        sizes.append(services.tree_size())
    cps = list(Checkpoint.objects.order_by("size"))
    assert [c.size for c in cps] == sizes
    for prev, cur in zip(cps, cps[1:], strict=False):
        notes.open_checkpoint(cur.note, services.verifier())
        verify_consistency(prev.size, cur.size, [bytes.fromhex(h) for h in cur.consistency_proof],
                           bytes(prev.root_hash), bytes(cur.root_hash))
