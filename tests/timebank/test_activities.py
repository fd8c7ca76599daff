"""Recording, proposing and verifying service activities: a second person verifies, the minutes are credited from
the county's issuance account, platform proposals are idempotent by their source key."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.timebank.conftest import credit, register
from xiangzhi.core.errors import Conflict, Forbidden, ValidationFailed
from xiangzhi.timebank.enums import ActivityState, TransferKind
from xiangzhi.timebank.models import Account, Activity
from xiangzhi.timebank.services.activities import (
    propose_activity,
    record_activity,
    reject_activity,
    verify_activity,
)
from xiangzhi.timebank.services.books import balance_of, issuance_account

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 3)


def _record(volunteer, actor, minutes=90):  # noqa: ANN001
    return record_activity(volunteer, kind="talk", title="村普法讲座", occurred_on=DAY, minutes=minutes,
                           organisation=volunteer.organisation, actor=actor)


def test_a_second_person_verifies_and_the_minutes_are_credited(volunteer, town_staff, second_town_staff):
    a = _record(volunteer, town_staff.user)
    assert a.state == ActivityState.PROPOSED
    a = verify_activity(a, actor=second_town_staff.user)
    assert a.state == ActivityState.VERIFIED and a.verified_by == second_town_staff.user
    assert a.transfer.kind == TransferKind.CREDIT and a.transfer.amount == 90
    assert a.transfer.from_account == issuance_account()
    assert Account.objects.get(pk=volunteer.account_id).balance == 90 == balance_of(volunteer.account)


def test_the_recorder_cannot_verify_their_own_record(volunteer, town_staff):
    a = _record(volunteer, town_staff.user)
    with pytest.raises(Forbidden) as exc:
        verify_activity(a, actor=town_staff.user)
    assert exc.value.code == "SECOND_PERSON_REQUIRED"
    assert Activity.objects.get(pk=a.pk).state == ActivityState.PROPOSED


def test_the_database_refuses_a_verifier_who_recorded(volunteer, town_staff):
    from django.db import IntegrityError, transaction

    a = _record(volunteer, town_staff.user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=a.pk).update(verified_by=town_staff.user)


def test_the_volunteer_cannot_verify_their_own_service(tongxiang, town_staff, second_town_staff):
    staff_volunteer = register(7, registrar=town_staff.user, user=second_town_staff.user)
    a = _record(staff_volunteer, town_staff.user)
    with pytest.raises(Forbidden):
        verify_activity(a, actor=second_town_staff.user)


def test_staff_of_another_town_cannot_record_or_verify(volunteer, town_staff, other_town_staff):
    with pytest.raises(Forbidden):
        _record(volunteer, other_town_staff.user)
    a = _record(volunteer, town_staff.user)
    with pytest.raises(Forbidden):
        verify_activity(a, actor=other_town_staff.user)


def test_a_verified_activity_is_not_verified_twice(volunteer, town_staff, second_town_staff, county_admin):
    a = credit(volunteer, 30, town_staff.user, second_town_staff.user)
    with pytest.raises(Conflict):
        verify_activity(a, actor=county_admin.user)
    assert Account.objects.get(pk=volunteer.account_id).balance == 30


def test_a_rejected_activity_credits_nothing(volunteer, town_staff, second_town_staff):
    a = reject_activity(_record(volunteer, town_staff.user), actor=second_town_staff.user, reason="时长与签到不符")
    assert a.state == ActivityState.REJECTED and a.transfer is None
    with pytest.raises(Conflict):
        verify_activity(a, actor=second_town_staff.user)


@pytest.mark.parametrize("minutes", [0, -10, 24 * 60 + 1])
def test_it_refuses_impossible_minutes(volunteer, town_staff, minutes):
    with pytest.raises(ValidationFailed):
        _record(volunteer, town_staff.user, minutes)


def test_a_platform_proposal_is_idempotent_by_its_source_key(tongxiang, town_staff, mediator):
    v = register(9, registrar=town_staff.user, user=mediator.user)
    kw = {"user": mediator.user, "kind": "mediation", "title": "调解成功：邻里纠纷", "occurred_on": DAY, "minutes": 120,
              "organisation": v.organisation, "link": "/disputes/cases/1/"}
    a = propose_activity(source_key="disputes.case:1", **kw)
    b = propose_activity(source_key="disputes.case:1", **{**kw, "minutes": 500})
    assert a.pk == b.pk and b.minutes == 120 and a.recorded_by is None and a.source == "platform"
    assert Activity.objects.filter(source_key="disputes.case:1").count() == 1
    a = verify_activity(a, actor=town_staff.user)  # nobody recorded it: any manager but the volunteer verifies
    assert a.state == ActivityState.VERIFIED
    with pytest.raises(Forbidden):
        verify_activity(propose_activity(source_key="disputes.case:2", **kw), actor=mediator.user)


def test_a_proposal_for_someone_who_is_not_a_volunteer_is_none(tongxiang, mediator):
    from xiangzhi.core.models import Organisation

    assert propose_activity(source_key="disputes.case:3", user=mediator.user, kind="mediation", title="调解",
                            occurred_on=DAY, minutes=60, organisation=Organisation.objects.first()) is None
    assert not Activity.objects.exists()
