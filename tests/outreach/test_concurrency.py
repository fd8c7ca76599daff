"""Fifty lawyers claiming one 求助 at once (PostgreSQL, threads each on its own connection): exactly one wins every
round, the others are refused with ALREADY_CLAIMED; fifty lawyers taking "the next" of ten open 求助 get ten
different ones (SKIP LOCKED); one jury member scoring a case many times at once leaves one score."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection, connections

from tests.conftest import COUNTY, make_staff
from xiangzhi.core.errors import Conflict
from xiangzhi.core.models import Region
from xiangzhi.outreach.enums import AlertState, EventKind
from xiangzhi.outreach.models import Alert, AlertEvent, AlertRule

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL (DATABASE_URL=postgres://…) for truly concurrent writers"),
    pytest.mark.django_db(transaction=True),
]

CLAIMERS = 50
ROUNDS = 10


def _race(users, target) -> list:  # noqa: ANN001
    """Run ``target(user)`` in one thread per user, all released at once; the outcomes in user order."""
    barrier = threading.Barrier(len(users))
    outcomes: list = [None] * len(users)

    def run(i: int, user) -> None:  # noqa: ANN001
        try:
            barrier.wait()
            outcomes[i] = target(user)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, u)) for i, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


@pytest.fixture
def lawyers(tongxiang):
    return [make_staff(f"race_lawyer_{i}", "lawyer", COUNTY, {"kind": "law_firm"}).user for i in range(CLAIMERS)]


def _alerts(n: int) -> list[Alert]:
    rule = AlertRule.objects.create(name="race", topic="", threshold=1, release_level=0)
    county = Region.objects.get(code=COUNTY)
    return [Alert.objects.create(rule=rule, topic=f"主题{i}", region=county) for i in range(n)]


def test_fifty_lawyers_claiming_one_alert_at_once_exactly_one_wins_every_round(lawyers):
    from xiangzhi.outreach.services.claims import claim

    assert connection.vendor == "postgresql"
    for alert in _alerts(ROUNDS):
        outcomes = _race(lawyers, lambda user, a=alert: claim(Alert.objects.get(pk=a.pk), actor=user))
        winners = [o for o in outcomes if isinstance(o, Alert)]
        losers = [o for o in outcomes if isinstance(o, Conflict)]
        assert len(winners) == 1 and len(losers) == CLAIMERS - 1, [o for o in outcomes if not isinstance(o, (Alert, Conflict))]
        assert {e.code for e in losers} == {"ALREADY_CLAIMED"}
        alert.refresh_from_db()
        assert alert.state == AlertState.CLAIMED and alert.claimed_by_id == winners[0].claimed_by_id
        assert AlertEvent.objects.filter(alert=alert, kind=EventKind.CLAIMED).count() == 1


def test_fifty_lawyers_taking_the_next_of_ten_get_ten_different_ones(lawyers):
    from xiangzhi.outreach.services.claims import take_next

    alerts = _alerts(10)
    outcomes = _race(lawyers, lambda user: take_next(actor=user))
    got = [o.pk for o in outcomes if isinstance(o, Alert)]
    assert sorted(got) == sorted(a.pk for a in alerts)
    assert sum(o is None for o in outcomes) == CLAIMERS - 10
    assert Alert.objects.filter(state=AlertState.CLAIMED).count() == 10


def test_one_juror_scoring_a_case_many_times_at_once_leaves_one_row_and_a_true_mean(tongxiang):
    """Twenty requests of one jury member at once and five other members at once: one row each, the cached mean
    equal to the mean of the rows."""
    from tests.outreach.conftest import library_item
    from xiangzhi.outreach.models import JuryScore, Nomination
    from xiangzhi.outreach.services import topten

    admin = make_staff("race_bureau", "county_admin", COUNTY, {"kind": "justice_bureau"}).user
    jurors = [make_staff(f"race_juror_{i}", "centre_staff", COUNTY, {"kind": "county_centre"}).user for i in range(5)]
    nomination = topten.nominate(library_item(admin, kind="case", title="并发打分"), 2025, actor=admin)
    outcomes = _race([jurors[0]] * 20, lambda user: topten.set_jury_score(
        Nomination.objects.get(pk=nomination.pk), 60, actor=user))
    assert sum(isinstance(o, Nomination) for o in outcomes) == 1
    assert {o.code for o in outcomes if not isinstance(o, Nomination)} == {"ALREADY_SCORED"}
    _race(jurors[1:], lambda user: topten.set_jury_score(
        Nomination.objects.get(pk=nomination.pk), 80 + jurors.index(user), actor=user))
    scores = list(JuryScore.objects.filter(nomination=nomination).values_list("score", flat=True))
    assert sorted(scores) == [60, 81, 82, 83, 84]
    nomination.refresh_from_db()
    assert nomination.jury_score == sum(scores) / len(scores)
