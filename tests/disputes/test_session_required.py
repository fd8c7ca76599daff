"""人民调解法 第27条: a record of the mediation exists before an agreement or a termination after an attempt
(SESSION_REQUIRED), in the service path — the one transition, the batch ``advance``, the page and the API — while a
withdrawal, a refusal, an unreachable party and an on-the-spot settlement need none."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.disputes.conftest import new_case, session, walk
from xiangzhi.core.errors import Conflict
from xiangzhi.disputes import rules
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import MediationSession
from xiangzhi.disputes.services import records, transitions

pytestmark = pytest.mark.django_db
AGREE = transitions.Agree("李四拆除占地围墙，张三不再追究")


@pytest.mark.parametrize(("before", "to", "reason", "needed"), [
    (S.IN_MEDIATION, S.AGREEMENT_WRITTEN, "", True),
    (S.IN_MEDIATION, S.AGREEMENT_ORAL, "", True),
    (S.REPORTED, S.AGREEMENT_ORAL, "", False),  # 一米调解: the on-the-spot record is the record
    (S.IN_MEDIATION, S.TERMINATED, "no_agreement", True),
    (S.IN_MEDIATION, S.TERMINATED, "timeout", True),
    (S.IN_MEDIATION, S.TERMINATED, "refuses_to_sign", True),
    (S.ACCEPTED, S.TERMINATED, "no_agreement", True),
    (S.AGREEMENT_WRITTEN, S.TERMINATED, "refuses_to_sign", False),  # the agreement already needed one
    (S.IN_MEDIATION, S.TERMINATED, "party_refuses", False),  # 第17条: no mediation took place
    (S.NOTICE_SERVED, S.TERMINATED, "withdrawn", False),
    (S.IN_MEDIATION, S.TERMINATED, "unreachable", False),
    (S.IN_MEDIATION, S.TERMINATED, "other", False),
    (S.IN_MEDIATION, S.ESCALATED, "", False),
    (S.NOTICE_SERVED, S.IN_MEDIATION, "", False),
])
def test_session_required_truth_table(before, to, reason, needed):
    assert rules.session_required(before, to, reason) is needed
    assert rules.session_missing(before, to, reason, has_session=False) is needed
    assert rules.session_missing(before, to, reason, has_session=True) is False


def test_no_written_agreement_without_a_session_record(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    with pytest.raises(Conflict) as exc:
        transitions.transition(case, S.AGREEMENT_WRITTEN, actor=mediator.user, details=AGREE)
    assert exc.value.code == "SESSION_REQUIRED"
    case.refresh_from_db()
    assert case.stage == S.IN_MEDIATION and case.agreement_text == ""
    session(case, mediator.user)
    assert transitions.transition(case, S.AGREEMENT_WRITTEN, actor=mediator.user, details=AGREE).stage == \
        S.AGREEMENT_WRITTEN


def test_no_oral_agreement_nor_failed_termination_without_a_session(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    with pytest.raises(Conflict, match="调解") as exc:
        transitions.transition(case, S.AGREEMENT_ORAL, actor=mediator.user, details=AGREE)
    assert exc.value.code == "SESSION_REQUIRED"
    with pytest.raises(Conflict) as exc:
        transitions.transition(case, S.TERMINATED, actor=mediator.user, reason="双方分歧较大",
                               details=transitions.Terminate("no_agreement"))
    assert exc.value.code == "SESSION_REQUIRED"


def test_a_refusal_ends_mediation_without_a_session(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    case = transitions.transition(case, S.TERMINATED, actor=mediator.user, reason="被申请人拒绝继续调解",
                                  details=transitions.Terminate("party_refuses"))
    assert case.stage == S.TERMINATED and not MediationSession.objects.filter(case=case).exists()


def test_an_on_the_spot_settlement_needs_no_session(grid_worker):
    case = new_case(actor=grid_worker.user, channel="grid", on_spot="双方当场和解")
    assert case.stage in (S.AGREEMENT_ORAL, S.CLOSED)


def test_the_batch_advance_is_guarded_too(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    with pytest.raises(Conflict) as exc:
        transitions.advance([case], S.AGREEMENT_ORAL, actor=mediator.user, now=timezone.now(), details=AGREE)
    assert exc.value.code == "SESSION_REQUIRED"
    session(case, mediator.user)
    moved = transitions.advance([case], S.AGREEMENT_ORAL, actor=mediator.user, now=timezone.now(), details=AGREE)
    assert moved[0].stage == S.AGREEMENT_ORAL


def test_a_batch_holds_the_sessions_of_new_cases_and_writes_them(mediator):
    """The batch form of record_session (the demo year's): a session held for a case not saved yet counts for the
    guard, and its row and event are written with the batch."""
    from xiangzhi.disputes.services import mediation

    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    batch = records.Batch()
    made = mediation.record_sessions([case], actor=mediator.user, held_at=timezone.now(), place="调解室",
                                     attendees="双方", summary="组织双方协商", batch=batch)
    batch.write()
    assert MediationSession.objects.filter(case=case, pk=made[0].pk).exists()
    event = case.timeline.filter(kind="session").latest("id")
    assert event.payload["session"] == made[0].pk


def test_the_page_and_the_api_refuse_the_same(client, mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    client.force_login(mediator.user)
    r = client.post(f"/cases/workbench/{case.pk}/act/", {"action": "transition", "to": S.AGREEMENT_WRITTEN,
                                                           "agreement_text": "李四拆除围墙"}, follow=True)
    assert "请先记录调解情况" in r.content.decode()
    r = client.post(f"/api/v1/cases/{case.pk}/transitions", {"to": S.AGREEMENT_WRITTEN, "agreement_text": "李四拆除围墙"},
                    content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "SESSION_REQUIRED"
