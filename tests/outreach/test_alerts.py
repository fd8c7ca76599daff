"""Alerts from the visit log: a rule fires on a burst, with masked samples, the chart and its audience; one active
求助 per topic and scope (a DB constraint); a busy topic's usual volume does not fire; only the bureau edits rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.conftest import CHONGFU, WUZHEN
from tests.outreach.conftest import add_questions, fire
from xiangzhi.core.errors import Forbidden, ValidationFailed
from xiangzhi.outreach.enums import AlertState, EventKind
from xiangzhi.outreach.models import Alert, AlertEvent
from xiangzhi.outreach.services.alerts import evaluate, save_rule

pytestmark = pytest.mark.django_db


def test_a_burst_fires_one_alert_with_masked_samples_counts_and_audience(rule):
    now = timezone.now()
    add_questions("劳动", 15, at=now, spread=dt.timedelta(hours=3))  # another topic: not this rule's
    alert = fire(rule, now=now, n=12, phone="13700000009")
    assert alert.state == AlertState.OPEN and alert.topic == "婚姻家庭" and alert.scope == ""
    assert alert.count >= 10 and sum(alert.series) == alert.count and len(alert.series) == 24
    assert alert.samples and all("138****0001" in s for s in alert.samples)
    assert alert.deliveries.count() == 12
    assert {d.phone for d in alert.deliveries.all()} == {"13700000009"}
    assert AlertEvent.objects.filter(alert=alert, kind=EventKind.FIRED).count() == 1
    assert Alert.objects.count() == 1


def test_no_alert_during_the_pending_period(rule):
    now = timezone.now()
    add_questions(rule.topic, 12, at=now, spread=dt.timedelta(hours=2))
    evaluate(now=now)
    evaluate(now=now + dt.timedelta(minutes=rule.pending_minutes - 1))
    assert not Alert.objects.exists()


def test_a_topics_usual_volume_is_no_burst(rule):
    now = timezone.now()
    for day in range(1, 28):  # ~12 questions a day for four weeks
        add_questions(rule.topic, 12, at=now - dt.timedelta(days=day), spread=dt.timedelta(hours=20))
    add_questions(rule.topic, 12, at=now, spread=dt.timedelta(hours=20))
    evaluate(now=now)
    evaluate(now=now + dt.timedelta(hours=1))
    assert not Alert.objects.exists()


def test_evaluating_again_raises_no_second_alert_and_refreshes_the_audience(rule):
    now = timezone.now()
    alert = fire(rule, now=now)
    add_questions(rule.topic, 3, at=now + dt.timedelta(minutes=40), prefix="late")
    evaluate(now=now + dt.timedelta(minutes=45))
    assert Alert.objects.count() == 1
    assert alert.deliveries.filter(visitor_id__startswith="late").count() == 3


def test_the_database_keeps_one_active_alert_per_topic_and_scope(rule):
    from xiangzhi.core.models import Region

    alert = fire(rule, now=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(rule=rule, topic=alert.topic, scope="", region=Region.objects.get(code="330483"))
    Alert.objects.filter(pk=alert.pk).update(state=AlertState.PUBLISHED)
    Alert.objects.create(rule=rule, topic=alert.topic, scope="", region=Region.objects.get(code="330483"))


def test_a_per_town_rule_fires_for_the_town_with_the_burst_only(rule, county_admin):
    save_rule(rule, {**{f: getattr(rule, f) for f in ("name", "topic", "window_hours", "threshold", "release_level",
                                                       "baseline_days", "burst_p", "pending_minutes",
                                                       "keep_firing_minutes", "claim_hours")},
                     "per_town": True, "needs_review": False}, actor=county_admin.user)
    now = timezone.now()
    add_questions(rule.topic, 12, at=now, town=WUZHEN, spread=dt.timedelta(hours=3))
    add_questions(rule.topic, 4, at=now, town=CHONGFU, spread=dt.timedelta(hours=3))
    evaluate(now=now)
    evaluate(now=now + dt.timedelta(hours=1))
    alert = Alert.objects.get()
    assert alert.scope == WUZHEN and alert.region.code == WUZHEN and alert.deliveries.count() == 12


def test_the_fired_alert_is_released_after_the_topic_cools_down(rule):
    now = timezone.now()
    fire(rule, now=now)
    later = now + dt.timedelta(days=2)
    evaluate(now=later)
    evaluate(now=later + dt.timedelta(minutes=rule.keep_firing_minutes))
    alert = Alert.objects.get()
    assert alert.released_at is not None and alert.state == AlertState.OPEN  # the 求助 still waits for an answer
    assert AlertEvent.objects.filter(alert=alert, kind=EventKind.RELEASED).count() == 1


def test_only_the_bureau_edits_rules_and_a_release_level_above_the_threshold_is_refused(rule, lawyer, county_admin):
    values = {"name": "x", "window_hours": 24, "threshold": 10, "release_level": 5, "baseline_days": 28,
              "burst_p": 0.01, "pending_minutes": 0, "keep_firing_minutes": 0, "claim_hours": 1}
    with pytest.raises(Forbidden):
        save_rule(rule, values, actor=lawyer.user)
    with pytest.raises(ValidationFailed) as err:
        save_rule(rule, {**values, "release_level": 11}, actor=county_admin.user)
    assert "release_level" in err.value.detail
    rule.refresh_from_db()
    assert rule.name == "婚姻家庭热点"
