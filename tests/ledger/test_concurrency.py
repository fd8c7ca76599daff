"""Eight processes appending at once (PostgreSQL): every leaf exactly once, indices contiguous, root recomputable."""

from __future__ import annotations

import json
import multiprocessing
import os

import pytest
from django.db import connection

from tests.ledger._workers import append_worker
from xiangzhi.ledger import services
from xiangzhi.ledger.merkle import root_of_leaves
from xiangzhi.ledger.models import Leaf, Node

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL (DATABASE_URL=postgres://…) for truly concurrent writers"),
    pytest.mark.django_db(transaction=True),
]

WORKERS = 8
PER_WORKER = 40


def test_eight_processes_appending_at_once_build_one_consistent_tree():
    base = services.tree_size()  # leaves of the session's audited Tongxiang data, if any
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    db_name = connection.settings_dict["NAME"]
    procs = [ctx.Process(target=append_worker, args=(db_name, w, PER_WORKER, barrier)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=180)
    assert [p.exitcode for p in procs] == [0] * WORKERS

    total = WORKERS * PER_WORKER
    assert list(Leaf.objects.order_by("index").values_list("index", flat=True)) == list(range(base + total))
    everything = [bytes(d) for d in Leaf.objects.order_by("index").values_list("data", flat=True)]
    rows = list(Leaf.objects.filter(ref_type="test.worker").order_by("index").values_list("index", "data", "ref_id"))
    assert [r[0] for r in rows] == list(range(base, base + total))  # contiguous, no gaps, no duplicates
    assert sorted(r[2] for r in rows) == sorted(f"{w}-{i}" for w in range(WORKERS) for i in range(PER_WORKER))
    # per worker, its own leaves appear in the order it appended them
    for w in range(WORKERS):
        mine = [json.loads(bytes(d))["i"] for _, d, ref in rows if ref.startswith(f"{w}-")]
        assert mine == list(range(PER_WORKER))
    # interleaved, i.e. the writers really did run at the same time
    assert len({ref.split("-")[0] for _, _, ref in rows[:PER_WORKER]}) > 1
    assert services.root_at() == root_of_leaves(everything)
    n = base + total
    assert Node.objects.count() == sum(n >> level for level in range(n.bit_length()))
    report = services.verify_log()
    assert report.ok, report.summary()
