"""Spending minutes: redemptions from the catalogue, donations, reversals — never below the minimum."""

from __future__ import annotations

import pytest

from tests.timebank.conftest import credit
from xiangzhi.core.errors import Conflict, Forbidden
from xiangzhi.timebank.enums import TransferKind
from xiangzhi.timebank.models import Account, Redemption, Transfer
from xiangzhi.timebank.services.books import reverse_transfer, verify_books
from xiangzhi.timebank.services.exchange import donate, redeem

pytestmark = pytest.mark.django_db


def _balance(v) -> int:  # noqa: ANN001
    return Account.objects.get(pk=v.account_id).balance


def test_a_volunteer_redeems_what_they_can_afford(volunteer, villager_a, town_staff, second_town_staff, county_item):
    credit(volunteer, 100, town_staff.user, second_town_staff.user)
    user, _ = villager_a
    r = redeem(volunteer, county_item, actor=user)  # signed in by phone: the same person
    assert r.minutes == 60 and r.transfer.kind == TransferKind.REDEMPTION and _balance(volunteer) == 40
    with pytest.raises(Conflict) as exc:
        redeem(volunteer, county_item, actor=user)
    assert exc.value.code == "INSUFFICIENT_MINUTES" and _balance(volunteer) == 40
    assert Redemption.objects.count() == 1 and verify_books().ok


def test_someone_else_cannot_redeem_or_donate_for_a_volunteer(volunteer, volunteer_b, villager_b, county_item,
                                                              other_town_staff):
    user, _ = villager_b
    for actor in (user, other_town_staff.user):
        with pytest.raises(Forbidden):
            redeem(volunteer, county_item, actor=actor)
        with pytest.raises(Forbidden):
            donate(volunteer, volunteer_b, minutes=1, actor=actor)


def test_an_inactive_or_foreign_item_cannot_be_redeemed(volunteer, villager_a, county_item, tongxiang):
    from xiangzhi.core.models import Region

    county_item.region = Region.objects.get(code="330483107")  # 崇福镇's item: not for a 乌镇 volunteer
    county_item.save()
    with pytest.raises(Conflict):
        redeem(volunteer, county_item, actor=villager_a[0])


def test_a_donation_moves_minutes_between_volunteers(volunteer, volunteer_b, villager_a, town_staff,
                                                     second_town_staff):
    credit(volunteer, 50, town_staff.user, second_town_staff.user)
    t = donate(volunteer, volunteer_b, minutes=20, actor=villager_a[0])
    assert t.kind == TransferKind.DONATION and (_balance(volunteer), _balance(volunteer_b)) == (30, 20)
    with pytest.raises(Conflict):
        donate(volunteer, volunteer_b, minutes=31, actor=villager_a[0])


def test_a_correction_is_a_reversing_transfer_once(volunteer, town_staff, second_town_staff, county_admin):
    a = credit(volunteer, 45, town_staff.user, second_town_staff.user)
    r = reverse_transfer(a.transfer, actor=county_admin.user, reason="重复录入")
    assert r.reverses == a.transfer and r.amount == 45 and _balance(volunteer) == 0
    with pytest.raises(Conflict):
        reverse_transfer(a.transfer, actor=county_admin.user, reason="再次")
    with pytest.raises(Conflict):
        reverse_transfer(r, actor=county_admin.user, reason="冲正的冲正")
    assert Transfer.objects.count() == 2 and verify_books().ok


def test_a_reversal_that_would_overdraw_is_refused(volunteer, volunteer_b, villager_a, town_staff,
                                                   second_town_staff, county_admin):
    a = credit(volunteer, 45, town_staff.user, second_town_staff.user)
    donate(volunteer, volunteer_b, minutes=40, actor=villager_a[0])
    with pytest.raises(Conflict) as exc:
        reverse_transfer(a.transfer, actor=county_admin.user, reason="重复录入")
    assert exc.value.code == "INSUFFICIENT_MINUTES" and _balance(volunteer) == 5


def test_a_reversed_credit_leaves_the_leaderboards(volunteer, town_staff, second_town_staff, county_admin):
    import datetime as dt

    from xiangzhi.core.models import Region
    from xiangzhi.timebank import selectors

    a = credit(volunteer, 45, town_staff.user, second_town_staff.user)
    credit(volunteer, 30, town_staff.user, second_town_staff.user)
    since = dt.date.today().replace(month=1, day=1)
    assert selectors.earned_since(since)[volunteer.account_id] == 75
    reverse_transfer(a.transfer, actor=county_admin.user, reason="重复录入")
    rows = selectors.leaderboard(Region.objects.get(code="330483100"), since=since)
    assert [(r.volunteer_id, r.minutes) for r in rows] == [(volunteer.pk, 30)]
    town = next(t for t in selectors.county_leaderboard(since=since) if t.code == "330483100")
    assert (town.volunteers, town.minutes) == (1, 30)
