"""Consent (人民调解法 第17、23条): staff record a party's answer given in person, by phone or in writing (how, who,
when — not in the future, not before the case); a refusal ends mediation through the state machine (not accepted
before acceptance, terminated during mediation) and the parties are told; no mediation, no agreement and no
on-the-spot settlement while a party's consent is missing or refused — in the services, so calling them directly
cannot bypass it. A party without a phone is told by a recorded means, and the to-do shows who still needs it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.disputes.conftest import intake_data, new_case, walk
from xiangzhi.core.errors import Conflict, ValidationFailed
from xiangzhi.core.models import AuditLog
from xiangzhi.disputes import selectors
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import Case, Party, TimelineEvent
from xiangzhi.disputes.services import intake, mediation, transitions

pytestmark = pytest.mark.django_db


def _respondent(case) -> Party:
    return Party.objects.select_related("person").get(case=case, role="respondent")


def _serve_all(case, user):
    mediation.serve_rights(case, list(Party.objects.filter(case=case)), actor=user, method="in_person",
                           at=case.created_at)


def test_staff_record_a_consent_given_by_phone_with_who_and_when(mediator):
    case = walk(new_case(), S.ASSIGNED, mediator.user)
    said = case.created_at
    party = mediation.record_consent(case, _respondent(case), actor=mediator.user, agree=True, method="phone",
                                     at=said, note="电话中表示愿意调解")
    party.refresh_from_db()
    assert (party.consent, party.consent_method, party.consent_at, party.consent_recorded_by_id, party.consent_note) == (
        "agreed", "phone", said, mediator.user.pk, "电话中表示愿意调解")
    event = TimelineEvent.objects.filter(case=case, kind="consent").latest("id")
    assert "电话表示" in event.text and event.payload["method"] == "phone"
    assert AuditLog.objects.filter(action="case.consent_recorded", object_id=str(case.pk)).exists()


@pytest.mark.parametrize(("method", "at", "code"), [
    ("online", 0, "INVALID_CONSENT"),  # the party's own online answer is answer_consent's
    ("sms", 0, "INVALID_CONSENT"),
    ("phone", None, "DATE_REQUIRED"),
    ("phone", dt.timedelta(hours=1), "DATE_IN_FUTURE"),
    ("phone", -dt.timedelta(days=2), "DATE_BEFORE_CASE"),
])
def test_a_consent_needs_a_staff_method_and_a_real_time(mediator, method, at, code):
    case = walk(new_case(), S.ACCEPTED, mediator.user)
    when = None if at is None else timezone.now() + at if at else timezone.now()
    with pytest.raises(ValidationFailed) as exc:
        mediation.record_consent(case, _respondent(case), actor=mediator.user, agree=True, method=method, at=when)
    assert exc.value.code == code
    assert _respondent(case).consent == "pending"


def test_only_the_case_staff_record_a_consent_and_only_once(mediator, other_mediator, grid_worker):
    case = walk(new_case(), S.ACCEPTED, mediator.user)
    for outsider in (other_mediator.user, grid_worker.user):  # another town's mediator; a grid worker off the spot
        with pytest.raises(Conflict) as exc:
            mediation.record_consent(case, _respondent(case), actor=outsider, agree=True, method="phone",
                                     at=timezone.now())
        assert exc.value.code == "CANNOT_RECORD_CONSENT"
    mediation.record_consent(case, _respondent(case), actor=mediator.user, agree=True, method="phone",
                             at=timezone.now())
    with pytest.raises(Conflict) as exc:  # answered: a second "agree" is not a new answer
        mediation.record_consent(case, _respondent(case), actor=mediator.user, agree=True, method="in_person",
                                 at=timezone.now())
    assert exc.value.code == "CANNOT_RECORD_CONSENT"


def test_another_cases_party_is_refused(mediator):
    case, other = walk(new_case(), S.ACCEPTED, mediator.user), new_case(applicant_phone="13800000077")
    with pytest.raises(ValidationFailed) as exc:
        mediation.record_consent(case, _respondent(other), actor=mediator.user, agree=True, method="phone",
                                 at=timezone.now())
    assert exc.value.code == "INVALID_PARTY"


def _sms_bodies(case) -> list[str]:
    from xiangzhi.core.models import Notification

    return list(Notification.objects.filter(channel="sms", body__contains=case.number).values_list("body", flat=True))


def test_a_refusal_before_acceptance_means_not_accepted_and_the_parties_are_told(mediator):
    case = new_case()
    mediation.record_consent(case, _respondent(case), actor=mediator.user, agree=False, method="in_person",
                             at=timezone.now())
    case.refresh_from_db()
    assert case.stage == S.NOT_ACCEPTED and case.outcome_reason == "party_refuses"
    move = TimelineEvent.objects.filter(case=case, kind="transition").latest("id")
    assert move.actor_id is None and move.actor_label == "系统" and "明确拒绝调解" in move.payload["reason"]
    assert any("不予受理" in b and "仲裁" in b for b in _sms_bodies(case))  # the applicant is told the routes


def test_a_refusal_during_mediation_terminates_it(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    mediation.record_consent(case, _respondent(case), actor=mediator.user, agree=False, method="written",
                             at=timezone.now(), note="书面要求终止调解")
    case.refresh_from_db()
    assert case.stage == S.TERMINATED and case.outcome_reason == "party_refuses"
    assert "仲裁" in case.outcome_note
    assert any("调解终止" in b for b in _sms_bodies(case))


def test_a_respondents_own_refusal_on_their_page_ends_mediation(mediator, villager_b):
    data = intake_data(applicant_phone="13800000001")
    data.respondents[0].phone = "13900000002"
    case = walk(intake.create_case(data, actor=None, channel="online"), S.ACCEPTED, mediator.user)
    user, client = villager_b
    r = client.post(f"/api/v1/cases/party/{case.token}/consent", json.dumps({"agree": False}),
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["stage"] == S.TERMINATED
    assert _respondent(case).consent_method == "online"


def test_no_mediation_while_a_consent_is_missing(mediator):
    case = walk(new_case(), S.ASSIGNED, mediator.user)
    _serve_all(case, mediator.user)
    case = transitions.transition(case, S.NOTICE_SERVED, actor=mediator.user)
    with pytest.raises(Conflict) as exc:  # the service itself refuses, whoever calls it
        transitions.transition(case, S.IN_MEDIATION, actor=mediator.user)
    assert exc.value.code == "CONSENT_MISSING"
    assert Case.objects.get(pk=case.pk).stage == S.NOTICE_SERVED
    mediation.record_consent(case, _respondent(case), actor=mediator.user, agree=True, method="phone",
                             at=timezone.now())
    assert transitions.transition(case, S.IN_MEDIATION, actor=mediator.user).stage == S.IN_MEDIATION


@pytest.mark.parametrize("to", [S.AGREEMENT_WRITTEN, S.AGREEMENT_ORAL])
def test_no_agreement_while_a_consent_is_missing(mediator, to):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    Party.objects.filter(case=case, role="respondent").update(consent="pending")  # a case from before the rule
    with pytest.raises(Conflict) as exc:
        transitions.transition(case, to, actor=mediator.user, details=transitions.Agree("李四拆除围墙"))
    assert exc.value.code == "CONSENT_MISSING"


def test_no_session_while_a_consent_is_missing_or_refused(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    for consent, code in (("pending", "CONSENT_MISSING"), ("refused", "PARTY_REFUSED")):
        Party.objects.filter(case=case, role="respondent").update(consent=consent)
        with pytest.raises(Conflict) as exc:
            mediation.record_session(case, actor=mediator.user, held_at=timezone.now(), place="村调解室",
                                     attendees="张三、李四", summary="双方陈述意见")
        assert exc.value.code == code
    assert not case.sessions.exists()


def test_no_on_the_spot_settlement_while_a_consent_is_missing(town_staff):
    case = new_case()
    Case.objects.filter(pk=case.pk).update(resolved_on_spot=True)
    with pytest.raises(Conflict) as exc:
        transitions.transition(Case.objects.get(pk=case.pk), S.AGREEMENT_ORAL, actor=town_staff.user,
                               details=transitions.Agree("双方当场和解"))
    assert exc.value.code == "CONSENT_MISSING"


def test_an_on_the_spot_settlement_records_the_parties_consent_in_person(grid_worker):
    case = new_case(actor=grid_worker.user, channel="grid", on_spot="双方当场和解，互相谅解。")
    assert case.stage == S.CLOSED
    respondent = _respondent(case)
    assert (respondent.consent, respondent.consent_method, respondent.consent_recorded_by_id) == (
        "agreed", "in_person", grid_worker.user.pk)


def test_the_batch_path_refuses_an_agreement_without_consent_too(mediator):
    case = new_case()
    parties = list(Party.objects.filter(case=case).select_related("person"))
    Case.objects.filter(pk=case.pk).update(resolved_on_spot=True)
    row = Case.objects.get(pk=case.pk)
    with pytest.raises(Conflict) as exc:
        transitions.plan_move(row, S.AGREEMENT_ORAL, actor=mediator.user, memo={}, now=timezone.now(),
                              details=transitions.Agree("双方当场和解"), parties=parties)
    assert exc.value.code == "CONSENT_MISSING"


# --- notice of the application to a party an SMS cannot reach ---------------------------------------------------
def _served(case, user):
    """Assigned, every party served the rights notice, in the rights-notice stage: the respondent's answer awaited."""
    case = walk(case, S.ASSIGNED, user)
    _serve_all(case, user)
    return transitions.transition(case, S.NOTICE_SERVED, actor=user)


def test_a_respondent_without_a_phone_shows_as_needing_notice_until_a_means_is_recorded(mediator):
    case = _served(new_case(), mediator.user)
    assert _respondent(case).person.phone == ""
    groups = {g.key: {c.pk for c in g.rows} for g in selectors.todo(mediator.user)}
    assert case.pk in groups["notice"] and case.pk not in groups["waiting"]
    when = case.created_at
    mediation.record_notice(case, _respondent(case), actor=mediator.user, method="grid_worker", by="网格员王某",
                            at=when)
    p = _respondent(case)
    assert (p.notice_method, p.notice_by, p.notice_at, p.notice_recorded_by_id) == (
        "grid_worker", "网格员王某", when, mediator.user.pk)
    event = TimelineEvent.objects.filter(case=case, kind="notice").latest("id")
    assert "网格员当面告知" in event.text and event.payload["by"] == "网格员王某"
    groups = {g.key: {c.pk for c in g.rows} for g in selectors.todo(mediator.user)}
    assert case.pk not in groups["notice"] and case.pk in groups["waiting"]


def test_a_respondent_with_a_phone_needs_no_recorded_notice(mediator):
    data = intake_data(applicant_phone="13800000001")
    data.respondents[0].phone = "13900000002"
    case = _served(intake.create_case(data, actor=None, channel="online"), mediator.user)
    groups = {g.key: {c.pk for c in g.rows} for g in selectors.todo(mediator.user)}
    assert case.pk not in groups["notice"] and case.pk in groups["waiting"]


@pytest.mark.parametrize(("method", "by", "code"), [("sms", "网格员王某", "INVALID_NOTICE"),
                                                    ("letter", "", "INVALID_NOTICE")])
def test_a_notice_needs_a_means_and_who(mediator, method, by, code):
    case = new_case()
    with pytest.raises(ValidationFailed) as exc:
        mediation.record_notice(case, _respondent(case), actor=mediator.user, method=method, by=by,
                                at=timezone.now())
    assert exc.value.code == code


def test_no_notice_is_recorded_once_the_party_answered(mediator):
    case = walk(new_case(), S.ACCEPTED, mediator.user)
    mediation.record_consent(case, _respondent(case), actor=mediator.user, agree=True, method="in_person",
                             at=timezone.now())
    with pytest.raises(Conflict) as exc:
        mediation.record_notice(case, _respondent(case), actor=mediator.user, method="letter", by="调解员",
                                at=timezone.now())
    assert exc.value.code == "CANNOT_RECORD_NOTICE"


# --- the API and the case page call the same services ------------------------------------------------------------
def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_api_records_a_refusal_and_answers_errors_in_the_envelope(mediator):
    case = new_case()
    c = mediator.client()
    base = f"/api/v1/cases/{case.pk}"
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat(timespec="seconds")
    r = _post(c, base + "/consents", {"party_id": _respondent(case).pk, "agree": False, "method": "phone",
                                      "at": future})
    assert r.status_code == 422 and r.json()["code"] == "DATE_IN_FUTURE" and r.json()["message"]
    now = timezone.now().isoformat(timespec="seconds")
    r = _post(c, base + "/consents", {"party_id": _respondent(case).pk, "agree": False, "method": "phone", "at": now})
    assert r.status_code == 200 and r.json()["stage"] == S.NOT_ACCEPTED
    assert r.json()["parties"][1]["consent"] == "refused"


def test_the_case_page_records_a_consent_and_a_notice(mediator):
    case = walk(new_case(), S.ACCEPTED, mediator.user)
    c = mediator.client()
    page = c.get(f"/cases/workbench/{case.pk}/").content.decode()
    assert "当事人意愿与告知" in page and "须以记录在案的方式通知" in page and 'value="notice"' in page
    at = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    party = _respondent(case).pk
    c.post(f"/cases/workbench/{case.pk}/act/", {"action": "notice", "party": party, "method": "letter",
                                                   "by": "村委会", "at": at})
    c.post(f"/cases/workbench/{case.pk}/act/", {"action": "consent", "party": party, "agree": "1",
                                                   "method": "written", "at": at})
    p = _respondent(case)
    assert (p.notice_method, p.consent, p.consent_method) == ("letter", "agreed", "written")


def test_the_case_page_records_no_answer_the_mediator_did_not_choose(mediator):
    """The answer select starts blank: one tap on 记录答复 recorded "同意调解" for a party who had not answered."""
    import re

    case = walk(new_case(), S.ACCEPTED, mediator.user)
    c = mediator.client()
    page = c.get(f"/cases/workbench/{case.pk}/").content.decode()
    form = re.search(r'<form[^>]*class="row consent-form".*?</form>', page, re.S).group(0)
    select = re.search(r'<select name="agree"[^>]*>(.*?)</select>', form, re.S)
    assert select and "required" in select.group(0)
    assert re.match(r'\s*<option value="">', select.group(1)), select.group(1)
    at = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    r = c.post(f"/cases/workbench/{case.pk}/act/", {"action": "consent", "party": _respondent(case).pk, "agree": "",
                                                       "method": "in_person", "at": at}, follow=True)
    assert "请选择当事人的答复" in r.content.decode()
    assert _respondent(case).consent == "pending"
