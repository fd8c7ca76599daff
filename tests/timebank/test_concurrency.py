"""Simultaneous redemptions that together would overdraw (PostgreSQL, threads each on its own connection): exactly
the affordable ones succeed, the rest are refused with INSUFFICIENT_MINUTES; donations crossing in both directions
never deadlock (accounts are locked in one order)."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection

from tests.timebank.conftest import credit
from xiangzhi.core.errors import Conflict
from xiangzhi.timebank.models import Account, Redemption
from xiangzhi.timebank.services.books import verify_books
from xiangzhi.timebank.services.exchange import donate, redeem

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL (DATABASE_URL=postgres://…) for truly concurrent writers"),
    pytest.mark.django_db(transaction=True),
]


def _race(n: int, target) -> list:  # noqa: ANN001
    barrier = threading.Barrier(n)
    outcomes: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            outcomes[i] = target(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_simultaneous_redemptions_never_overdraw(volunteer, villager_a, town_staff, second_town_staff,
                                                 county_item):
    credit(volunteer, 5 * 60 + 30, town_staff.user, second_town_staff.user)  # affords exactly 5 items of 60
    user = villager_a[0]
    outcomes = _race(12, lambda i: redeem(volunteer, county_item, actor=user))
    won = [o for o in outcomes if isinstance(o, Redemption)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(won) == 5 and len(refused) == 7, outcomes
    assert all(o.code == "INSUFFICIENT_MINUTES" for o in refused)
    assert Account.objects.get(pk=volunteer.account_id).balance == 30
    assert Redemption.objects.count() == 5 and verify_books().ok


def test_crossing_donations_do_not_deadlock(volunteer, volunteer_b, villager_a, town_staff, second_town_staff):
    from xiangzhi.timebank.models import Volunteer

    credit(volunteer, 100, town_staff.user, second_town_staff.user)
    credit(volunteer_b, 100, town_staff.user, second_town_staff.user)
    Volunteer.objects.filter(pk=volunteer_b.pk).update(user=town_staff.user)  # so B's donations have an owner
    volunteer_b.refresh_from_db()

    def give(i: int):  # noqa: ANN202
        if i % 2:
            return donate(volunteer, volunteer_b, minutes=10, actor=villager_a[0])
        return donate(volunteer_b, volunteer, minutes=10, actor=town_staff.user)

    outcomes = _race(16, give)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    balances = Account.objects.filter(pk__in=[volunteer.account_id, volunteer_b.account_id]).values_list(
        "balance", flat=True)
    assert sorted(balances) == [100, 100] and verify_books().ok
