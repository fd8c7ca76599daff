"""``xiangzhi timebank verify`` passes on sound books and exits non-zero on a fault it finds."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.timebank.conftest import credit

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(volunteer, volunteer_b, villager_a, town_staff, second_town_staff, county_item):
    from xiangzhi.timebank.services.exchange import donate, redeem

    credit(volunteer, 200, town_staff.user, second_town_staff.user)
    redeem(volunteer, county_item, actor=villager_a[0])
    donate(volunteer, volunteer_b, minutes=30, actor=villager_a[0])
    return volunteer


def test_sound_books_verify(books, capsys):
    call_command("timebank", "verify")
    assert "timebank books OK" in capsys.readouterr().out


def test_a_tampered_balance_cache_fails(books):
    with connection.cursor() as cur:
        cur.execute("UPDATE timebank_account SET balance = balance + 5 WHERE id = %s", [books.account_id])
    with pytest.raises(CommandError) as exc:
        call_command("timebank", "verify")
    assert exc.value.returncode == 1


def test_a_tampered_credit_fails(books):
    from xiangzhi.timebank.models import Activity

    Activity.objects.filter(volunteer=books).update(minutes=999)
    with pytest.raises(CommandError):
        call_command("timebank", "verify")


def test_a_dropped_guard_fails(books):
    name = "timebank_transfer_no_delete" if connection.vendor == "sqlite" else "timebank_transfer_append_only"
    with connection.cursor() as cur:
        cur.execute(f"DROP TRIGGER {name}" + ("" if connection.vendor == "sqlite" else " ON timebank_transfer"))
    with pytest.raises(CommandError):
        call_command("timebank", "verify")


def test_the_ledger_recomputes_every_transfer_leaf(books, capsys):
    from xiangzhi.ledger.models import Leaf

    assert Leaf.objects.filter(kind__startswith="timebank.").count() >= 3
    call_command("ledger", "verify")
