"""抢单: one winner, the others refused at once; region and specialities scope who may claim; claims expire back
to the pool; the claimant may give a claim back; "take the next" claims the oldest open one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.outreach.conftest import fire
from xiangzhi.core.errors import Conflict, NotFound
from xiangzhi.core.models import Notification
from xiangzhi.outreach import selectors
from xiangzhi.outreach.enums import AlertState, EventKind
from xiangzhi.outreach.models import AlertEvent, Speciality
from xiangzhi.outreach.services.claims import claim, expire_claims, release, take_next

pytestmark = pytest.mark.django_db


def test_the_first_claim_wins_and_the_second_is_told_it_was_taken(rule, lawyer_wz, lawyer_county):
    alert = fire(rule, now=timezone.now())
    won = claim(alert, actor=lawyer_wz.user)
    assert won.state == AlertState.CLAIMED and won.claimed_by == lawyer_wz.user
    assert won.claim_deadline == won.claimed_at + dt.timedelta(hours=rule.claim_hours)
    with pytest.raises(Conflict) as err:
        claim(alert, actor=lawyer_county.user)  # a stale object still saying "open"
    assert err.value.code == "ALREADY_CLAIMED" and err.value.status == 409
    alert.refresh_from_db()
    assert alert.claimed_by == lawyer_wz.user
    assert AlertEvent.objects.filter(alert=alert, kind=EventKind.CLAIMED).count() == 1


def test_a_town_alert_is_not_claimable_from_another_town(rule, lawyer_cf, lawyer_wz, county_admin):
    from xiangzhi.outreach.services.alerts import evaluate, save_rule

    values = {f: getattr(rule, f) for f in ("name", "topic", "window_hours", "threshold", "release_level",
                                            "baseline_days", "burst_p", "pending_minutes", "keep_firing_minutes",
                                            "claim_hours")}
    save_rule(rule, {**values, "per_town": True}, actor=county_admin.user)
    from tests.outreach.conftest import add_questions

    now = timezone.now()
    add_questions(rule.topic, 12, at=now, spread=dt.timedelta(hours=2))
    evaluate(now=now)
    evaluate(now=now + dt.timedelta(hours=1))
    alert = rule.alerts.get()
    assert not selectors.claimable_for(lawyer_cf.user).exists()
    with pytest.raises(NotFound):
        claim(alert, actor=lawyer_cf.user)
    assert list(selectors.claimable_for(lawyer_wz.user)) == [alert]


def test_declared_specialities_narrow_what_a_lawyer_sees(rule, lawyer_wz):
    alert = fire(rule, now=timezone.now())
    Speciality.objects.create(user=lawyer_wz.user, topic="劳动")
    with pytest.raises(NotFound):
        claim(alert, actor=lawyer_wz.user)
    Speciality.objects.create(user=lawyer_wz.user, topic="婚姻家庭")
    lawyer_wz.user._xz_outreach_topics = None
    assert claim(alert, actor=lawyer_wz.user).state == AlertState.CLAIMED


def test_citizens_and_mediators_cannot_claim(rule, villager_a, mediator):
    alert = fire(rule, now=timezone.now())
    for user in (villager_a[0], mediator.user):
        with pytest.raises(NotFound):
            claim(alert, actor=user)
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_an_expired_claim_returns_to_the_pool_and_the_lawyer_is_told(rule, lawyer_wz, lawyer_county):
    now = timezone.now()
    alert = fire(rule, now=now)
    claim(alert, actor=lawyer_wz.user, now=now)
    assert expire_claims(now=now + dt.timedelta(hours=rule.claim_hours) - dt.timedelta(seconds=1)) == 0
    assert expire_claims(now=now + dt.timedelta(hours=rule.claim_hours, seconds=1)) == 1
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN and alert.claimed_by is None
    assert AlertEvent.objects.filter(alert=alert, kind=EventKind.EXPIRED).count() == 1
    assert Notification.objects.filter(recipient_user=lawyer_wz.user, subject="认领已超时").count() == 1
    assert claim(alert, actor=lawyer_county.user).claimed_by == lawyer_county.user


def test_only_the_claimant_gives_a_claim_back(rule, lawyer_wz, lawyer_county):
    alert = fire(rule, now=timezone.now())
    claim(alert, actor=lawyer_wz.user)
    with pytest.raises(Conflict):
        release(alert, actor=lawyer_county.user)
    assert release(alert, actor=lawyer_wz.user).state == AlertState.OPEN
    assert AlertEvent.objects.filter(alert=alert, kind=EventKind.RELEASED_CLAIM).count() == 1


def test_take_next_claims_the_oldest_open_alert_the_lawyer_may_claim(rule, lawyer_wz, lawyer_county):
    alert = fire(rule, now=timezone.now())
    assert take_next(actor=lawyer_wz.user) == alert
    assert take_next(actor=lawyer_county.user) is None
    assert take_next(actor=lawyer_wz.user) is None


def test_the_lawyers_of_the_region_are_told_of_a_new_alert(rule, lawyer_wz, lawyer_cf):
    alert = fire(rule, now=timezone.now())
    told = set(Notification.objects.filter(dedupe_key__startswith=f"outreach:{alert.pk}:fired:")
               .values_list("recipient_user__username", flat=True))
    assert "lawyer_wz" in told and "lawyer_cf" in told  # a county-wide 求助: every town's lawyers
