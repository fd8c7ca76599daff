"""Dates cannot be made up (a judicial application, a court step, a mediation session: not in the future, not before
what they follow), and the extension of mediation needs each party's consent, recorded per party (人民调解工作若干规定
第33条; a case may have several respondents)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.disputes.conftest import intake_data, walk_at
from xiangzhi.core.errors import ValidationFailed
from xiangzhi.disputes.models import (
    ExtensionConsent,
    JudicialConfirmation,
    MediationExtension,
    MediationSession,
)
from xiangzhi.disputes.services import deadlines, intake, judicial, mediation, routing
from xiangzhi.disputes.services.deadlines import ExtensionConsentIn
from xiangzhi.disputes.services.intake import PartyIn


def registered(*, respondents: int = 1):
    routing.ensure_reference_data()
    data = intake_data()
    data = dataclasses.replace(data, respondents=[PartyIn(name=n) for n in ("李四", "王五", "赵六")[:respondents]])
    return intake.create_case(data, actor=None, channel="online")


def agreed_now(mediator):
    """A case whose oral agreement took effect a moment ago."""
    return walk_at(registered(), "agreement_oral", mediator.user, timezone.now(), agreement_text="李四赔偿张三5000元")


# Judicial confirmation ------------------------------------------------------------------------------------------
def test_a_judicial_application_is_neither_future_dated_nor_before_the_agreement(mediator):
    case = agreed_now(mediator)
    with pytest.raises(ValidationFailed) as exc:
        judicial.apply(case, actor=mediator.user, court="桐乡市人民法院", applied_at=timezone.now() + dt.timedelta(hours=1))
    assert exc.value.code == "DATE_IN_FUTURE"
    with pytest.raises(ValidationFailed) as exc:
        judicial.apply(case, actor=mediator.user, court="桐乡市人民法院",
                       applied_at=case.agreement_effective_at - dt.timedelta(minutes=2))
    assert exc.value.code == "DATE_BEFORE_AGREEMENT" and "协议生效" in exc.value.message
    assert not JudicialConfirmation.objects.filter(case=case).exists()
    jc = judicial.apply(case, actor=mediator.user, court="桐乡市人民法院")
    assert jc.applied_at >= case.agreement_effective_at


def test_the_api_takes_the_application_time_and_refuses_a_future_one(mediator):
    case = agreed_now(mediator)
    c, url = mediator.client(), f"/api/v1/cases/{case.pk}/judicial"
    future = (timezone.now() + dt.timedelta(days=1)).isoformat(timespec="seconds")
    r = c.post(url, json.dumps({"court": "桐乡市人民法院", "applied_at": future}), content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "DATE_IN_FUTURE"
    r = c.post(url, json.dumps({"court": "桐乡市人民法院"}), content_type="application/json")
    assert r.status_code == 201


def test_a_court_step_is_neither_future_dated_nor_before_the_application(mediator):
    case = agreed_now(mediator)
    judicial.apply(case, actor=mediator.user, court="桐乡市人民法院")
    with pytest.raises(ValidationFailed) as exc:
        judicial.record_court(case, actor=mediator.user, status="accepted", at=timezone.now() + dt.timedelta(days=2))
    assert exc.value.code == "DATE_IN_FUTURE"
    with pytest.raises(ValidationFailed) as exc:
        judicial.record_court(case, actor=mediator.user, status="accepted", at=timezone.now() - dt.timedelta(days=2))
    assert exc.value.code == "INVALID_DATE"
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)  # the page gives a date
    jc = judicial.record_court(case, actor=mediator.user, status="accepted", at=today)
    assert jc.status == "accepted"
    with pytest.raises(ValidationFailed) as exc:
        judicial.record_court(case, actor=mediator.user, status="confirmed", at=timezone.now() + dt.timedelta(days=1))
    assert exc.value.code == "DATE_IN_FUTURE"


# Mediation sessions ---------------------------------------------------------------------------------------------
def test_a_session_is_neither_future_dated_nor_before_the_case(mediator):
    case = walk_at(registered(), "in_mediation", mediator.user, timezone.now())
    record = {"place": "村调解室", "attendees": "张三、李四", "summary": "双方陈述意见"}
    with pytest.raises(ValidationFailed) as exc:
        mediation.record_session(case, actor=mediator.user, held_at=timezone.now() + dt.timedelta(hours=2), **record)
    assert exc.value.code == "DATE_IN_FUTURE" and exc.value.detail == {"held_at": ["调解时间不能晚于现在。"]}
    with pytest.raises(ValidationFailed) as exc:
        mediation.record_session(case, actor=mediator.user, held_at=case.created_at - dt.timedelta(days=3), **record)
    assert exc.value.code == "DATE_BEFORE_CASE"
    assert not MediationSession.objects.filter(case=case).exists()
    assert mediation.record_session(case, actor=mediator.user, held_at=timezone.now(), **record).pk


def test_the_api_refuses_a_back_dated_session(mediator):
    case = walk_at(registered(), "in_mediation", mediator.user, timezone.now())
    r = mediator.client().post(f"/api/v1/cases/{case.pk}/sessions", json.dumps({
        "held_at": (case.created_at - dt.timedelta(days=30)).isoformat(timespec="seconds"), "place": "村调解室",
        "attendees": "张三、李四", "summary": "双方陈述意见"}), content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "DATE_BEFORE_CASE"


# Extension: every party's consent -------------------------------------------------------------------------------
def consents(parties, at, method="phone"):
    return [ExtensionConsentIn(party_id=p.pk, method=method, consented_at=at) for p in parties]


def test_every_respondent_must_consent_before_mediation_is_extended(mediator):
    case = walk_at(registered(respondents=2), "in_mediation", mediator.user, timezone.now())
    parties = list(case.parties.order_by("order"))
    assert [p.role for p in parties] == ["applicant", "respondent", "respondent"]
    now = timezone.now()
    with pytest.raises(ValidationFailed) as exc:  # the second respondent has not agreed
        deadlines.extend_mediation(case, actor=mediator.user, consents=consents(parties[:2], now), reason="再协商")
    assert exc.value.code == "CONSENT_REQUIRED" and exc.value.detail == {"parties": [parties[2].pk]}
    assert "被申请人王*" in exc.value.message
    assert not MediationExtension.objects.filter(case=case).exists()
    ext = deadlines.extend_mediation(case, actor=mediator.user, consents=consents(parties, now, "written"),
                                     reason="三方同意再协商一个月")
    rows = list(ExtensionConsent.objects.filter(extension=ext).order_by("party__order"))
    assert [(r.party_id, r.method, r.recorded_by_id) for r in rows] == [(p.pk, "written", mediator.user.pk)
                                                                       for p in parties]
    event = case.timeline.get(kind="extension")
    assert [c["party"] for c in event.payload["consents"]] == [p.pk for p in parties]


def test_a_consent_names_a_party_of_this_case_once_and_says_how_it_was_given(mediator):
    case = walk_at(registered(), "in_mediation", mediator.user, timezone.now())
    other = walk_at(registered(), "in_mediation", mediator.user, timezone.now())
    parties, now = list(case.parties.order_by("order")), timezone.now()
    stranger = other.parties.first()
    for given, code in [
        (consents(parties, now) + consents([stranger], now), "INVALID_PARTY"),
        (consents(parties, now) + consents(parties[:1], now), "INVALID_PARTY"),
        (consents(parties, now, method=""), "CONSENT_METHOD_REQUIRED"),
        (consents(parties, now, method="online"), "CONSENT_METHOD_REQUIRED"),  # staff record what was told them
    ]:
        with pytest.raises(ValidationFailed) as exc:
            deadlines.extend_mediation(case, actor=mediator.user, consents=given, reason="双方同意")
        assert exc.value.code == code
    assert not MediationExtension.objects.exists()


def test_the_mediation_record_lists_each_partys_consent_to_the_extension(mediator):
    from tests.disputes.conftest import docx_text
    from xiangzhi.disputes import documents

    case = walk_at(registered(respondents=2), "in_mediation", mediator.user, timezone.now())
    assert "延长调解期限" not in docx_text(documents.render(case, "record"))
    parties = list(case.parties.order_by("order"))
    deadlines.extend_mediation(case, actor=mediator.user, consents=consents(parties, timezone.now(), "written"),
                               reason="三方同意再协商一个月")
    text = docx_text(documents.render(type(case).objects.get(pk=case.pk), "record"))
    assert "延长调解期限" in text and "三方同意再协商一个月" in text
    assert text.count("同意") >= 3 and text.count("书面") == 3
    assert all(f"当事人{p.masked_name}同意" in text for p in parties)


def test_the_api_records_the_extension_per_party(mediator):
    case = walk_at(registered(respondents=2), "in_mediation", mediator.user, timezone.now())
    parties = list(case.parties.order_by("order"))
    at = timezone.now().isoformat(timespec="seconds")
    body = {"reason": "各方同意延长", "consents": [{"party_id": p.pk, "method": "in_person", "consented_at": at}
                                               for p in parties[:2]]}
    c, url = mediator.client(), f"/api/v1/cases/{case.pk}/extension"
    r = c.post(url, json.dumps(body), content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "CONSENT_REQUIRED"
    body["consents"].append({"party_id": parties[2].pk, "method": "phone", "consented_at": at})
    r = c.post(url, json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    out = r.json()
    assert [(x["party_id"], x["role"], x["method"]) for x in out["consents"]] == [
        (parties[0].pk, "applicant", "in_person"), (parties[1].pk, "respondent", "in_person"),
        (parties[2].pk, "respondent", "phone")]
    assert out["months"] >= 1
