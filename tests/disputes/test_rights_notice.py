"""The notice of rights and obligations (权利义务告知书; 人民调解法 第23、24条, 若干规定 第30条): served on each
party — how, when, recorded by whom — before mediation; the rights-notice stage, the start of mediation and every
session refuse while a party has not been served (``RIGHTS_NOT_SERVED``, in the services); the 告知书 is made out to
each party."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.disputes.conftest import docx_text, new_case, walk
from xiangzhi.core.errors import Conflict, ValidationFailed
from xiangzhi.core.models import AuditLog
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import Case, Party, TimelineEvent
from xiangzhi.disputes.services import documents as case_documents
from xiangzhi.disputes.services import mediation, transitions

pytestmark = pytest.mark.django_db


def _parties(case) -> list[Party]:
    return list(Party.objects.filter(case=case).select_related("person").order_by("order"))


def _agree_all(case, user):
    pending = [mediation.ConsentIn(p, True, "phone", case.created_at) for p in _parties(case) if p.consent == "pending"]
    mediation.record_consents(case, pending, actor=user)


def test_each_party_is_served_with_how_when_and_by_whom(mediator):
    case = walk(new_case(), S.ASSIGNED, mediator.user)
    applicant, respondent = _parties(case)
    at = case.created_at
    mediation.serve_rights(case, [applicant], actor=mediator.user, method="in_person", at=at)
    mediation.serve_rights(case, [respondent], actor=mediator.user, method="post", at=at)
    applicant, respondent = _parties(case)
    assert (applicant.rights_method, applicant.rights_served_at, applicant.rights_recorded_by_id) == (
        "in_person", at, mediator.user.pk)
    assert respondent.rights_method == "post"
    events = TimelineEvent.objects.filter(case=case, kind="rights_served").order_by("id")
    assert [e.payload["method"] for e in events] == ["in_person", "post"] and "邮寄送达" in events[1].text
    assert AuditLog.objects.filter(action="case.rights_served", object_id=str(case.pk)).count() == 2


def test_the_rights_notice_stage_waits_for_every_party(mediator):
    case = walk(new_case(), S.ASSIGNED, mediator.user)
    applicant, respondent = _parties(case)
    with pytest.raises(Conflict) as exc:
        transitions.transition(case, S.NOTICE_SERVED, actor=mediator.user)
    assert exc.value.code == "RIGHTS_NOT_SERVED"
    mediation.serve_rights(case, [applicant], actor=mediator.user, method="in_person", at=case.created_at)
    with pytest.raises(Conflict) as exc:  # one party served is not every party
        transitions.transition(case, S.NOTICE_SERVED, actor=mediator.user)
    assert exc.value.code == "RIGHTS_NOT_SERVED"
    mediation.serve_rights(case, [respondent], actor=mediator.user, method="oral", at=case.created_at)
    assert transitions.transition(case, S.NOTICE_SERVED, actor=mediator.user).stage == S.NOTICE_SERVED


def test_mediation_does_not_start_and_no_session_is_recorded_before_every_party_is_served(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    Party.objects.filter(case=case, role="respondent").update(rights_served_at=None)  # a case from before the rule
    with pytest.raises(Conflict) as exc:
        mediation.record_session(case, actor=mediator.user, held_at=timezone.now(), place="村调解室",
                                 attendees="张三、李四", summary="双方陈述意见")
    assert exc.value.code == "RIGHTS_NOT_SERVED"
    assert not case.sessions.exists()
    back = walk(new_case(applicant_phone="13800000055"), S.NOTICE_SERVED, mediator.user)
    Party.objects.filter(case=back, role="respondent").update(rights_served_at=None)
    with pytest.raises(Conflict) as exc:
        transitions.transition(back, S.IN_MEDIATION, actor=mediator.user)
    assert exc.value.code == "RIGHTS_NOT_SERVED"
    assert Case.objects.get(pk=back.pk).stage == S.NOTICE_SERVED


def test_a_party_is_served_once_by_the_case_staff(mediator, other_mediator):
    case = walk(new_case(), S.ASSIGNED, mediator.user)
    applicant, _ = _parties(case)
    with pytest.raises(Conflict) as exc:
        mediation.serve_rights(case, [applicant], actor=other_mediator.user, method="in_person", at=case.created_at)
    assert exc.value.code == "CANNOT_SERVE_RIGHTS"
    mediation.serve_rights(case, [applicant], actor=mediator.user, method="in_person", at=case.created_at)
    with pytest.raises(Conflict) as exc:
        mediation.serve_rights(case, [applicant], actor=mediator.user, method="post", at=case.created_at)
    assert exc.value.code == "CANNOT_SERVE_RIGHTS"


def test_not_before_acceptance(mediator):
    case = new_case()
    with pytest.raises(Conflict) as exc:
        mediation.serve_rights(case, _parties(case), actor=mediator.user, method="in_person", at=case.created_at)
    assert exc.value.code == "CANNOT_SERVE_RIGHTS"


@pytest.mark.parametrize(("method", "shift", "code"), [
    ("sms", dt.timedelta(0), "INVALID_RIGHTS_NOTICE"),
    ("in_person", dt.timedelta(hours=2), "DATE_IN_FUTURE"),
    ("in_person", -dt.timedelta(days=1), "DATE_BEFORE_CASE"),
])
def test_a_service_needs_a_method_and_a_real_time(mediator, method, shift, code):
    case = walk(new_case(), S.ASSIGNED, mediator.user)
    with pytest.raises(ValidationFailed) as exc:
        mediation.serve_rights(case, _parties(case), actor=mediator.user, method=method,
                               at=timezone.now() + shift if shift else case.created_at)
    assert exc.value.code == code
    assert not any(p.rights_served_at for p in _parties(case))


def test_nothing_is_half_written_when_one_party_of_the_call_is_refused(mediator):
    case = walk(new_case(), S.ASSIGNED, mediator.user)
    applicant, respondent = _parties(case)
    mediation.serve_rights(case, [respondent], actor=mediator.user, method="in_person", at=case.created_at)
    with pytest.raises(Conflict):
        mediation.serve_rights(case, [applicant, respondent], actor=mediator.user, method="in_person",
                               at=case.created_at)
    assert _parties(case)[0].rights_served_at is None


def test_the_rights_notice_is_made_out_to_each_party(mediator):
    case = walk(new_case(), S.ASSIGNED, mediator.user)
    applicant, respondent = _parties(case)
    mediation.serve_rights(case, [respondent], actor=mediator.user, method="post", at=case.created_at)
    to_respondent = docx_text(case_documents.download(case, "rights", actor=mediator.user,
                                                      party=case_documents.addressed_to(case, "rights",
                                                                                        respondent.pk)))
    assert f"被申请人：{respondent.masked_name}" in to_respondent and "邮寄送达" in to_respondent
    issued = case_documents.generate(case, "rights", actor=mediator.user, party=applicant)
    assert f"申请人：{applicant.masked_name}" in docx_text(issued) and "送达方式" not in docx_text(issued)
    event = TimelineEvent.objects.filter(case=case, kind="document").latest("id")
    assert event.payload["party"] == applicant.pk and "申请人" in event.text
    other = new_case(applicant_phone="13800000066")
    with pytest.raises(ValidationFailed) as exc:  # another case's party, or a kind not made out per party
        case_documents.addressed_to(case, "rights", _parties(other)[0].pk)
    assert exc.value.code == "INVALID_PARTY"
    with pytest.raises(ValidationFailed):
        case_documents.addressed_to(case, "register", applicant.pk)


def test_the_page_and_the_api_serve_and_download_per_party(mediator):
    case = walk(new_case(), S.ASSIGNED, mediator.user)
    applicant, respondent = _parties(case)
    c = mediator.client()
    at = timezone.localtime(case.created_at).strftime("%Y-%m-%dT%H:%M")
    c.post(f"/cases/workbench/{case.pk}/act/", {"action": "rights", "parties": [applicant.pk], "method": "oral",
                                                "at": at})
    assert _parties(case)[0].rights_method == "oral"
    r = c.post(f"/api/v1/cases/{case.pk}/rights-notices", json.dumps({
        "party_ids": [respondent.pk], "method": "in_person",
        "at": (timezone.now() + dt.timedelta(hours=1)).isoformat(timespec="seconds")}),
        content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "DATE_IN_FUTURE"
    r = c.get(f"/api/v1/cases/{case.pk}/documents/rights", {"party_id": respondent.pk})
    assert r.status_code == 200 and f"被申请人：{respondent.masked_name}" in docx_text(r.content)
    page = c.get(f"/cases/workbench/{case.pk}/documents/rights.docx", {"party": applicant.pk})
    from urllib.parse import quote

    assert page.status_code == 200 and quote("申请人1.docx") in page["Content-Disposition"]
    assert f"申请人：{applicant.masked_name}" in docx_text(page.content)
