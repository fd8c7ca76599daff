"""Recusal (回避): a mediator who is a party or related to one — same phone or same 身份证号 as a party (compared by
the HMAC blind indexes, never decrypted), a party's own account, or a declared conflict — is refused at assignment
and at confirmation (``MEDIATOR_RECUSED``, inside the state machine and the confirmation service); a mediator declares
a conflict and is taken off; a party asks for another mediator (their page, or through staff) and the committee
decides: granted → taken off and reassigned through the state machine, refused → reason recorded, parties told."""

from __future__ import annotations

import json

import pytest

from tests.conftest import first_village, make_staff, valid_id_number
from tests.disputes.conftest import WUZHEN, intake_data, new_case, walk
from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict, ValidationFailed
from xiangzhi.core.models import Notification
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import Case, MediatorConflict, Party, RecusalRequest, TimelineEvent
from xiangzhi.disputes.services import intake, mediation, recusal, transitions

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(mediator):
    village = first_village(WUZHEN)
    return make_staff("mediator_wz2", "mediator", village.code, {"region": village, "kind": "village_committee"})


def _mediator_is(user, *, phone: str = "", id_number: str = ""):
    """The mediator's own identity, as core keeps persons (encrypted, with blind indexes), linked to their account."""
    return core.create_person(name="调解员本人", phone=phone, id_number=id_number, user=user, actor=None)


def _accepted(case, town_staff):
    return transitions.transition(case, S.ACCEPTED, actor=town_staff.user)


def test_a_mediator_with_a_partys_phone_cannot_be_assigned(mediator, town_staff):
    data = intake_data(applicant_phone="13800000001")
    data.respondents[0].phone = "13900000009"
    case = _accepted(intake.create_case(data, actor=None, channel="online"), town_staff)
    _mediator_is(mediator.user, phone="13900000009")
    for actor, details in ((town_staff.user, transitions.Assign(mediator.user.pk)), (mediator.user, None)):
        with pytest.raises(Conflict) as exc:
            transitions.transition(case, S.ASSIGNED, actor=actor, details=details)
        assert exc.value.code == "MEDIATOR_RECUSED"
    assert Case.objects.get(pk=case.pk).mediator_id is None


def test_a_mediator_with_a_partys_id_number_cannot_be_assigned(mediator, town_staff):
    number = valid_id_number("33048319800101123")
    _mediator_is(mediator.user, id_number=number)
    case = _accepted(new_case(respondent_id=number), town_staff)
    with pytest.raises(Conflict) as exc:
        transitions.transition(case, S.ASSIGNED, actor=town_staff.user, details=transitions.Assign(mediator.user.pk))
    assert exc.value.code == "MEDIATOR_RECUSED"


def test_an_unrelated_mediator_is_assigned(mediator, town_staff):
    _mediator_is(mediator.user, phone="13900000555", id_number=valid_id_number("33048319750505432"))
    case = _accepted(new_case(respondent_id=valid_id_number("33048319800101123")), town_staff)
    moved = transitions.transition(case, S.ASSIGNED, actor=town_staff.user, details=transitions.Assign(mediator.user.pk))
    assert moved.mediator_id == mediator.user.pk


def test_the_confirmation_refuses_a_mediator_found_related_after_assignment(mediator, town_staff):
    data = intake_data(applicant_phone="13800000001")
    data.respondents[0].phone = "13900000009"
    case = _accepted(intake.create_case(data, actor=None, channel="online"), town_staff)
    case = transitions.transition(case, S.ASSIGNED, actor=town_staff.user, details=transitions.Assign(mediator.user.pk))
    _mediator_is(mediator.user, phone="13900000009")
    with pytest.raises(Conflict) as exc:
        mediation.confirm_assignment(case, actor=mediator.user)
    assert exc.value.code == "MEDIATOR_RECUSED"
    assert Case.objects.get(pk=case.pk).mediator_confirmed_at is None


def test_a_mediator_declares_a_conflict_and_is_taken_off_for_good(mediator, colleague, town_staff):
    case = walk(new_case(), S.NOTICE_SERVED, mediator.user)
    with pytest.raises(Conflict) as exc:  # only the case's own mediator declares
        recusal.declare_conflict(case, actor=colleague.user, reason="与当事人系亲属")
    assert exc.value.code == "CANNOT_DECLARE_CONFLICT"
    with pytest.raises(ValidationFailed) as exc:
        recusal.declare_conflict(case, actor=mediator.user, reason="亲")
    assert exc.value.code == "REASON_REQUIRED"
    recusal.declare_conflict(case, actor=mediator.user, reason="本人与被申请人系表兄弟")
    case.refresh_from_db()
    assert case.stage == S.ACCEPTED and case.mediator_id is None and case.mediator_confirmed_at is None
    assert MediatorConflict.objects.filter(case=case, mediator=mediator.user).count() == 1
    kinds = list(TimelineEvent.objects.filter(case=case).order_by("-id").values_list("kind", "actor_id")[:2])
    assert kinds == [("transition", None), ("conflict_declared", mediator.user.pk)]  # the system takes them off
    with pytest.raises(Conflict) as exc:
        transitions.transition(case, S.ASSIGNED, actor=town_staff.user, details=transitions.Assign(mediator.user.pk))
    assert exc.value.code == "MEDIATOR_RECUSED"
    moved = transitions.transition(case, S.ASSIGNED, actor=town_staff.user, details=transitions.Assign(colleague.user.pk))
    assert moved.mediator_id == colleague.user.pk


def test_staff_cannot_take_a_mediator_off_themselves_by_moving_back(mediator, town_staff):
    """Back to "待指派" from the rights-notice stage and mediation is the system's move for a recused mediator only."""
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    with pytest.raises(Exception) as exc:  # noqa: PT011 - FORBIDDEN (XiangzhiError)
        transitions.transition(case, S.ACCEPTED, actor=town_staff.user)
    assert getattr(exc.value, "code", "") == "FORBIDDEN"


@pytest.fixture
def two_party_case(mediator):
    data = intake_data(applicant_phone="13800000001")
    data.respondents[0].phone = "13900000002"
    return walk(intake.create_case(data, actor=None, channel="online"), S.IN_MEDIATION, mediator.user)


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_party_asks_for_another_mediator_and_the_committee_refuses_with_a_reason(
        two_party_case, mediator, town_staff, villager_b):
    case = two_party_case
    _, respondent_client = villager_b
    r = _post(respondent_client, f"/api/v1/cases/party/{case.token}/recusal-request", {"reason": "调解员与申请人是同村亲戚"})
    assert r.status_code == 201 and r.json()["status"] == "pending"
    r = _post(respondent_client, f"/api/v1/cases/party/{case.token}/recusal-request", {"reason": "再次申请更换"})
    assert r.status_code == 409 and r.json()["code"] == "CANNOT_REQUEST_RECUSAL"  # one request at a time
    with pytest.raises(Conflict) as exc:  # the mediator objected to never decides
        recusal.decide_recusal(case, actor=mediator.user, grant=False, note="无回避事由")
    assert exc.value.code == "CANNOT_DECIDE_RECUSAL"
    with pytest.raises(ValidationFailed) as exc:
        recusal.decide_recusal(case, actor=town_staff.user, grant=False)
    assert exc.value.code == "REASON_REQUIRED"
    req = recusal.decide_recusal(case, actor=town_staff.user, grant=False, note="经核实调解员与申请人无亲属关系")
    assert (req.status, req.decided_by_id, req.decision_note) == ("refused", town_staff.user.pk, "经核实调解员与申请人无亲属关系")
    assert Case.objects.get(pk=case.pk).mediator_id == mediator.user.pk
    told = Notification.objects.filter(channel="sms", dedupe_key__contains=f"recusal:{req.pk}")
    assert told.count() == 2 and all("不予更换" in n.body for n in told)
    page = respondent_client.get(f"/cases/s/{case.token}/").content.decode()
    assert "不予更换" in page and "经核实调解员与申请人无亲属关系" in page


def test_a_granted_request_reassigns_through_the_state_machine(two_party_case, mediator, colleague, town_staff):
    case = two_party_case
    applicant = Party.objects.get(case=case, role="applicant")
    c = town_staff.client()
    r = _post(c, f"/api/v1/cases/{case.pk}/recusal-requests", {"party_id": applicant.pk, "reason": "电话中提出调解员处事不公"})
    assert r.status_code == 201
    r = _post(c, f"/api/v1/cases/{case.pk}/recusal-requests/decision", {"grant": True, "mediator_id": colleague.user.pk})
    assert r.status_code == 200 and r.json()["status"] == "granted"
    case.refresh_from_db()
    assert case.stage == S.ASSIGNED and case.mediator_id == colleague.user.pk
    assert RecusalRequest.objects.get(case=case).new_mediator_id == colleague.user.pk
    moves = list(TimelineEvent.objects.filter(case=case, kind="transition").order_by("-id")
                 .values_list("stage_from", "stage_to")[:2])
    assert moves == [(S.ACCEPTED, S.ASSIGNED), (S.IN_MEDIATION, S.ACCEPTED)]
    # the mediator taken off at a party's request may not come back to the case
    case = transitions.transition(case, S.ACCEPTED, actor=town_staff.user, reason="退回")
    with pytest.raises(Conflict) as exc:
        transitions.transition(case, S.ASSIGNED, actor=town_staff.user, details=transitions.Assign(mediator.user.pk))
    assert exc.value.code == "MEDIATOR_RECUSED"


def test_the_mediator_declares_through_the_api_and_the_page(mediator, colleague):
    case = walk(new_case(), S.ASSIGNED, mediator.user)
    r = _post(mediator.client(), f"/api/v1/cases/{case.pk}/conflicts", {"reason": "本人系申请人之子"})
    assert r.status_code == 200 and r.json()["stage"] == S.ACCEPTED and r.json()["mediator"] is None
    other = walk(new_case(applicant_phone="13800000088"), S.ASSIGNED, colleague.user)
    c = colleague.client()
    assert "申明回避" in c.get(f"/cases/workbench/{other.pk}/").content.decode()
    c.post(f"/cases/workbench/{other.pk}/act/", {"action": "conflict", "reason": "与被申请人有利害关系"})
    assert Case.objects.get(pk=other.pk).stage == S.ACCEPTED


def test_a_party_asks_on_their_status_page(two_party_case, villager_b):
    case = two_party_case
    _, client = villager_b
    page = client.get(f"/cases/s/{case.token}/").content.decode()
    assert "申请更换调解员" in page and 'value="recusal"' in page
    client.post(f"/cases/s/{case.token}/act/", {"action": "recusal", "reason": "调解员与对方是亲戚"})
    req = RecusalRequest.objects.get(case=case)
    assert (req.status, req.party.role, req.reason) == ("pending", "respondent", "调解员与对方是亲戚")
    assert 'value="recusal"' not in client.get(f"/cases/s/{case.token}/").content.decode()  # one at a time
