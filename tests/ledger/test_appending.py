"""``ledger.appending()``: the leaves of one service call collected and appended as one batch (issue 16, speed) —
the same leaves in the same order as one append each, nothing if the block raises, and what was collected is
appended first when something inside the block reads the log."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from xiangzhi.ledger import services
from xiangzhi.ledger.models import Leaf

pytestmark = pytest.mark.django_db


def _entries(n: int, start: int = 0) -> list[services.Entry]:
    return [services.Entry("test.item", {"n": i}, "test.item", str(i)) for i in range(start, start + n)]


def _tail(size: int) -> list[tuple[int, bytes, bytes]]:
    return [(i, bytes(d), bytes(h)) for i, d, h in
            Leaf.objects.filter(index__gte=size).order_by("index").values_list("index", "data", "hash")]


def test_a_batch_appends_the_same_leaves_in_the_same_order_with_one_append():
    size = services.tree_size()
    with transaction.atomic():
        sid = transaction.savepoint()
        for e in _entries(5):
            services.append_entries([e])
        one_by_one = _tail(size)
        root = services.root_at()
        transaction.savepoint_rollback(sid)
        assert services.tree_size() == size
        with CaptureQueriesContext(connection) as ctx, services.appending():
            for e in _entries(5):
                assert services.append_entries([e]) == []  # collected
            assert services.tree_size() == size
        assert _tail(size) == one_by_one and services.root_at() == root
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 2  # one INSERT of leaves, one of nodes
    assert services.verify_log().ok


def test_a_block_that_raises_appends_nothing():
    size = services.tree_size()
    with transaction.atomic():
        with pytest.raises(RuntimeError), services.appending():
            services.append_entries(_entries(3))
            raise RuntimeError("the record failed")
        assert services.tree_size() == size


def test_what_was_collected_is_appended_before_the_log_is_read_in_the_block():
    size = services.tree_size()
    with transaction.atomic(), services.appending():
        services.append_entries(_entries(2))
        leaf = services.append_leaf("test.item", {"n": 2}, ref_type="test.item", ref_id="2")
        assert leaf.index == size + 2
        services.append_entries(_entries(1, start=3))
    assert [i for i, _, _ in _tail(size)] == [size, size + 1, size + 2, size + 3]



def test_a_state_attested_inside_a_batch_is_appended_at_once_and_seen_by_the_next(tongxiang):
    from tests.disputes.conftest import new_case
    from xiangzhi.disputes import attestation
    from xiangzhi.disputes.models import Case

    case = new_case()
    with transaction.atomic(), services.appending():
        Case.objects.filter(pk=case.pk).update(request="请求赔偿")
        first = attestation.ledger.attest_state(attestation.CASE_STATE_KIND, [case.pk])
        again = attestation.ledger.attest_state(attestation.CASE_STATE_KIND, [case.pk])
    assert len(first) == 1 and first[0].pk is not None and again == []
