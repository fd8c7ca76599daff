"""The database itself refuses what would break the books, whoever writes (raw SQL, on SQLite and PostgreSQL): a
non-positive amount, one account on both sides, a movement without its counterpart, an UPDATE or DELETE of a posted
transfer, a reversal that does not mirror what it reverses, a balance below its minimum."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from xiangzhi.timebank.enums import TransferKind
from xiangzhi.timebank.models import Account, Movement, Transfer
from xiangzhi.timebank.services.books import issuance_account, open_account, post_transfer

pytestmark = pytest.mark.django_db


def _insert(kind: str, src: int, dst: int, amount: int, reverses: int | None = None) -> None:
    with connection.cursor() as cur:
        cur.execute("INSERT INTO timebank_transfer (kind, from_account_id, to_account_id, amount, reverses_id, memo, "
                    "created_at) VALUES (%s, %s, %s, %s, %s, '', %s)",
                    [kind, src, dst, amount, reverses, timezone.now()])


def _refused(sql: str, params: list | None = None) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params or [])


@pytest.fixture
def books(db):
    county = issuance_account()
    a, b = open_account("A"), open_account("B")
    t = post_transfer(TransferKind.CREDIT, from_account=county, to_account=a, amount=90, actor=None)
    return county, a, b, t


def test_a_raw_insert_posts_both_sides_and_moves_both_cached_balances(books):
    county, a, b, _ = books
    _insert("donation", a.pk, b.pk, 30)
    assert dict(Account.objects.filter(pk__in=[a.pk, b.pk]).values_list("pk", "balance")) == {a.pk: 60, b.pk: 30}
    t = Transfer.objects.order_by("-pk").first()
    assert sorted(Movement.objects.filter(transfer=t).values_list("account_id", "amount")) == sorted(
        [(a.pk, -30), (b.pk, 30)])
    assert sum(Movement.objects.values_list("amount", flat=True)) == 0


@pytest.mark.parametrize("amount", [0, -5])
def test_it_refuses_a_non_positive_amount(books, amount):
    county, a, b, _ = books
    _refused("INSERT INTO timebank_transfer (kind, from_account_id, to_account_id, amount, memo, created_at) "
             "VALUES ('donation', %s, %s, %s, '', %s)", [a.pk, b.pk, amount, timezone.now()])


def test_it_refuses_one_account_on_both_sides(books):
    county, a, b, _ = books
    _refused("INSERT INTO timebank_transfer (kind, from_account_id, to_account_id, amount, memo, created_at) "
             "VALUES ('donation', %s, %s, 5, '', %s)", [a.pk, a.pk, timezone.now()])


def test_it_refuses_a_movement_without_its_counterpart(books):
    county, a, b, t = books
    _refused("INSERT INTO timebank_movement (id, transfer_id, account_id, amount, at) VALUES (%s, %s, %s, 40, %s)",
             [10**9, t.pk, b.pk, timezone.now()])
    _refused("DELETE FROM timebank_movement WHERE transfer_id = %s AND amount < 0", [t.pk])
    _refused("UPDATE timebank_movement SET amount = 0 WHERE transfer_id = %s", [t.pk])
    assert Movement.objects.filter(transfer=t).count() == 2


def test_it_refuses_to_update_or_delete_a_posted_transfer(books):
    county, a, b, t = books
    _refused("UPDATE timebank_transfer SET amount = 1 WHERE id = %s", [t.pk])
    _refused("UPDATE timebank_transfer SET to_account_id = %s WHERE id = %s", [b.pk, t.pk])
    _refused("DELETE FROM timebank_transfer WHERE id = %s", [t.pk])
    assert Transfer.objects.get(pk=t.pk).amount == 90


def test_it_refuses_a_balance_below_the_minimum(books):
    county, a, b, _ = books
    _refused("INSERT INTO timebank_transfer (kind, from_account_id, to_account_id, amount, memo, created_at) "
             "VALUES ('donation', %s, %s, 91, '', %s)", [a.pk, b.pk, timezone.now()])
    _refused("UPDATE timebank_account SET balance = -1 WHERE id = %s", [b.pk])
    assert Account.objects.get(pk=a.pk).balance == 90


def test_the_issuance_account_may_go_negative(books):
    county, *_ = books
    assert Account.objects.get(pk=county.pk).balance == -90


def test_a_reversal_must_mirror_the_transfer_it_reverses(books):
    county, a, b, t = books
    _refused("INSERT INTO timebank_transfer (kind, from_account_id, to_account_id, amount, reverses_id, memo, "
             "created_at) VALUES ('reversal', %s, %s, 80, %s, '', %s)", [a.pk, county.pk, t.pk, timezone.now()])
    _refused("INSERT INTO timebank_transfer (kind, from_account_id, to_account_id, amount, reverses_id, memo, "
             "created_at) VALUES ('reversal', %s, %s, 90, %s, '', %s)", [b.pk, county.pk, t.pk, timezone.now()])
    _refused("INSERT INTO timebank_transfer (kind, from_account_id, to_account_id, amount, memo, created_at) "
             "VALUES ('reversal', %s, %s, 90, '', %s)", [a.pk, county.pk, timezone.now()])
    _insert("reversal", a.pk, county.pk, 90, t.pk)
    _refused("INSERT INTO timebank_transfer (kind, from_account_id, to_account_id, amount, reverses_id, memo, "
             "created_at) VALUES ('reversal', %s, %s, 90, %s, '', %s)", [a.pk, county.pk, t.pk, timezone.now()])
    assert Account.objects.get(pk=a.pk).balance == 0
