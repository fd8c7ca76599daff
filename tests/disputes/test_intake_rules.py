"""Intake rules of 人民调解工作若干规定: cross-area disputes go to the common higher level's committee (第21条); a matter
already before a court, arbitration, an administrative body or the police is registered and proposed not to be
accepted, with where to turn (第22条)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from django.utils import timezone

from tests.conftest import first_village
from tests.disputes.conftest import CHONGFU, WUZHEN, intake_data, new_case
from xiangzhi.core.enums import RegionLevel
from xiangzhi.core.errors import ValidationFailed
from xiangzhi.core.models import Organisation, Region
from xiangzhi.disputes import rules
from xiangzhi.disputes.enums import CaseStage, NotAcceptedGround
from xiangzhi.disputes.models import Case
from xiangzhi.disputes.services import intake, routing, transitions


def second_village(town_code: str) -> Region:
    return Region.objects.filter(level=RegionLevel.VILLAGE, code__startswith=town_code).order_by("code")[1]


def with_respondent_in(data, region_code: str):
    data.respondents = [dataclasses.replace(data.respondents[0], region_code=region_code)]
    return data


def create(data, actor=None, channel="online"):
    routing.ensure_reference_data()
    return intake.create_case(data, actor=actor, channel=channel)


# Cross-area disputes (第21条) ---------------------------------------------------------------------------------------
def test_parties_in_one_village_stay_with_the_village_committee(tongxiang):
    case = create(with_respondent_in(intake_data(type_code="neighbour"), first_village(WUZHEN).code))
    assert case.cross_area == "" and case.organisation.kind == "village_committee" and case.level == "village"


def test_parties_in_two_villages_of_one_town_go_to_the_towns_committee(tongxiang):
    other = second_village(WUZHEN)
    case = create(with_respondent_in(intake_data(type_code="neighbour"), other.code))
    assert case.cross_area == "villages" and case.level == "town"
    assert case.organisation.kind == "town_committee" and case.organisation.region.code == WUZHEN
    created = case.timeline.get(kind="created")
    assert created.payload["cross_area"] == "villages" and "跨村（社区）纠纷" in created.text
    respondent = case.parties.get(role="respondent")
    assert respondent.person.region == other  # where the respondent lives is kept with the person


def test_parties_in_two_towns_go_to_the_county_centre(tongxiang):
    case = create(with_respondent_in(intake_data(type_code="neighbour"), first_village(CHONGFU).code))
    assert case.cross_area == "towns" and case.level == "county"
    assert case.organisation.kind == "county_centre"


def test_a_cross_area_dispute_routed_higher_by_its_type_keeps_that_route(tongxiang):
    """A medical dispute goes to the county's professional committee anyway: above the common town level."""
    case = create(with_respondent_in(intake_data(type_code="medical"), second_village(WUZHEN).code))
    assert case.cross_area == "villages" and case.organisation.specialty == "medical" and case.level == "county"


def test_a_respondents_place_outside_the_county_list_is_refused(tongxiang):
    with pytest.raises(ValidationFailed) as exc:
        create(with_respondent_in(intake_data(), "999999999999"))
    assert "respondents.0.region_code" in exc.value.detail
    with pytest.raises(ValidationFailed):  # a town is not where a person lives in the list
        create(with_respondent_in(intake_data(), WUZHEN))
    assert Case.objects.count() == 0


def test_retriage_keeps_a_cross_area_case_at_the_common_level(mediator, town_staff):
    case = create(with_respondent_in(intake_data(type_code="neighbour"), second_village(WUZHEN).code))
    case = intake.retriage(case, actor=town_staff.user, type_code="family", reason="更正类型")
    assert case.organisation.kind == "town_committee" and case.level == "town"


def test_the_batch_path_routes_a_cross_area_case_like_create_case(tongxiang):
    routing.ensure_reference_data()
    village = first_village(WUZHEN)
    neighbour = routing.reference_data()["types"]["neighbour"]
    org, level = routing.route(neighbour, village, "normal")  # as a bulk writer routes it, without the parties
    data = with_respondent_in(intake_data(type_code="neighbour"), first_village(CHONGFU).code)
    [case] = intake.create_cases([intake.CaseIn(data=data, channel="window", actor=None, at=timezone.now(),
                                                region=village, dispute_type=neighbour, organisation=org,
                                                level=level)])
    case = Case.objects.get(pk=case.pk)
    assert org.kind == "village_committee"
    assert case.cross_area == "towns" and case.organisation.kind == "county_centre" and case.level == "county"
    assert case.timeline.get(kind="created").payload["cross_area"] == "towns"
    assert case.parties.get(role="respondent").person.region.code == first_village(CHONGFU).code


def test_window_intake_asks_where_the_respondent_lives_and_the_case_page_shows_the_cross_area(centre_staff):
    other = second_village(WUZHEN)
    c = centre_staff.client()
    assert 'name="respondent_region_code"' in c.get("/cases/workbench/new/").content.decode()
    r = c.post("/cases/workbench/new/", {
        "source": "application", "risk_level": "normal", "applicant_name": "张三", "applicant_phone": "13800000001",
        "respondent_kind": "person", "respondent_name": "李四", "respondent_region_code": other.code,
        "region_code": first_village(WUZHEN).code, "type_code": "neighbour", "other_proceeding": "none",
        "description": "两家因宅基地界线发生口角，双方住在相邻的两个村",
    })
    case = Case.objects.get()
    assert r.status_code == 302 and case.cross_area == "villages" and case.organisation.kind == "town_committee"
    page = c.get(f"/cases/workbench/{case.pk}/").content.decode()
    assert "跨地区纠纷" in page and "跨村（社区）纠纷，由乡镇（街道）人民调解委员会调处" in page
    assert f"住{other.display_name}" in page


def test_api_intake_takes_the_respondents_place(mediator):
    r = mediator.client().post("/api/v1/cases/", json.dumps({
        "applicant": {"name": "张三", "phone": "13800000001"},
        "respondents": [{"name": "李四", "region_code": first_village(CHONGFU).code}],
        "region_code": first_village(WUZHEN).code, "description": "两家因宅基地界线发生口角，双方住在不同的镇",
        "type_code": "neighbour"}), content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["cross_area"] == "towns" and body["level"] == "county"
    r = mediator.client().post("/api/v1/cases/", json.dumps({
        "applicant": {"name": "张三", "phone": "13800000001"}, "respondents": [{"name": "李四", "region_code": "abc"}],
        "region_code": first_village(WUZHEN).code, "description": "两家因宅基地界线发生口角，双方住在不同的镇"}),
        content_type="application/json")
    assert r.status_code == 422


# Non-acceptance at intake (第22条) ---------------------------------------------------------------------------------
def test_a_matter_before_a_court_is_registered_and_proposed_not_to_be_accepted(mediator):
    case = create(dataclasses.replace(intake_data(), other_proceeding="court"))
    assert case.stage == CaseStage.REPORTED and case.other_proceeding == "court"
    ground, redirect = rules.proposed_non_acceptance(case)
    assert ground == NotAcceptedGround.ALREADY_HANDLED and "人民法院" in redirect
    assert case.timeline.get(kind="created").payload["other_proceeding"] == "court"
    assert rules.proposed_non_acceptance(new_case(applicant_phone="13800000009")) is None


def test_accepting_a_matter_before_another_body_takes_a_reason_through_the_service(mediator):
    case = create(dataclasses.replace(intake_data(), other_proceeding="arbitration"))
    with pytest.raises(ValidationFailed) as exc:
        transitions.transition(case, CaseStage.ACCEPTED, actor=mediator.user)
    assert exc.value.code == "OTHER_BODY_SEIZED" and "仲裁机构" in exc.value.message
    case = transitions.transition(case, CaseStage.ACCEPTED, actor=mediator.user, reason="当事人已撤回仲裁申请")
    assert case.stage == CaseStage.ACCEPTED and rules.proposed_non_acceptance(case) is None


def test_the_committee_does_not_accept_with_the_proposed_ground_and_route(mediator):
    case = create(dataclasses.replace(intake_data(), other_proceeding="public_security"))
    ground, redirect = rules.proposed_non_acceptance(case)
    case = transitions.transition(case, CaseStage.NOT_ACCEPTED, actor=mediator.user, reason="派出所已受理",
                                  details=transitions.NotAccept(ground=ground, redirect_to=redirect))
    assert case.outcome_reason == "already_handled" and "公安机关" in case.outcome_note


def test_the_referring_body_itself_is_no_ground_not_to_accept(tongxiang, centre_staff):
    court = Organisation.objects.filter(specialty="court").first() or Organisation.objects.filter(
        kind="department").first()
    data = dataclasses.replace(intake_data(), other_proceeding="court", source="referral_court", referral_org=court)
    case = create(data, actor=centre_staff.user, channel="window")
    assert rules.proposed_non_acceptance(case) is None
    case = transitions.transition(case, CaseStage.ACCEPTED, actor=centre_staff.user)
    assert case.stage == CaseStage.ACCEPTED


def test_an_unknown_answer_is_refused(tongxiang):
    with pytest.raises(ValidationFailed) as exc:
        create(dataclasses.replace(intake_data(), other_proceeding="tv_station"))
    assert "other_proceeding" in exc.value.detail


def test_the_case_page_shows_the_proposal_with_ground_and_route_prefilled(mediator):
    case = create(dataclasses.replace(intake_data(), other_proceeding="court"))
    page = mediator.client().get(f"/cases/workbench/{case.pk}/").content.decode()
    assert "建议不予受理" in page and "其他机关受理" in page
    assert '<option value="already_handled" selected>' in page
    assert 'value="本纠纷已由人民法院受理' in page
    assert "仍受理的理由" in page


def test_the_online_applicant_is_told_where_to_turn(villager_a, tongxiang):
    user, c = villager_a
    form = c.get("/cases/apply/").content.decode()
    assert 'name="other_proceeding"' in form and "公安机关" in form
    r = c.post("/cases/apply/", {
        "applicant_name": "张三", "respondent_kind": "person", "respondent_name": "李四",
        "region_code": first_village(WUZHEN).code, "description": "隔壁邻居把围墙砌到我家院子里来了",
        "request": "拆除围墙", "consent": "on", "other_proceeding": "public_security"}, follow=True)
    case = Case.objects.get()
    assert case.stage == CaseStage.REPORTED and case.other_proceeding == "public_security"
    page = r.content.decode()
    assert "人民调解委员会一般不再受理" in page and "请向受理的公安机关（派出所）了解办理进度" in page


def test_api_intake_answers_the_proposal(villager_a, mediator):
    body = {"applicant": {"name": "张三", "phone": "13800000001"}, "respondents": [{"name": "李四"}],
            "region_code": first_village(WUZHEN).code, "description": "隔壁邻居把围墙砌到我家院子里来了",
            "request": "拆除围墙", "consent": True, "other_proceeding": "administrative"}
    r = villager_a[1].post("/api/v1/cases/", json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    proposal = r.json()["proposed_non_acceptance"]
    assert proposal["ground"] == "already_handled" and "行政机关" in proposal["redirect_to"]
    body["other_proceeding"] = "maybe"
    r = mediator.client().post("/api/v1/cases/", json.dumps(body), content_type="application/json")
    assert r.status_code == 422


def test_the_proposal_as_a_truth_table():
    """rules.proposed_non_acceptance over every answer, source and stage (a pure predicate: no database)."""
    from xiangzhi.disputes.enums import PROCEEDING_REFERRAL, CaseSource, OtherProceeding

    for proceeding in OtherProceeding.values:
        for source in CaseSource.values:
            for stage in CaseStage.values:
                proposal = rules.proposed_non_acceptance(Case(other_proceeding=proceeding, source=source, stage=stage))
                expected = (proceeding != OtherProceeding.NONE and stage in (CaseStage.REPORTED, CaseStage.ESCALATED)
                            and PROCEEDING_REFERRAL.get(proceeding) != source)
                assert (proposal is not None) == expected, (proceeding, source, stage)
                if proposal:
                    assert proposal[0] == NotAcceptedGround.ALREADY_HANDLED and proposal[1].startswith("本纠纷已")


def test_the_register_form_says_the_case_is_cross_area_and_what_the_applicant_answered(tongxiang):
    from tests.disputes.conftest import docx_text
    from xiangzhi.disputes import documents

    data = with_respondent_in(intake_data(type_code="neighbour"), second_village(WUZHEN).code)
    data.other_proceeding = "court"
    text = docx_text(documents.render(create(data), "register"))
    assert "跨地区纠纷" in text and "跨村（社区）" in text
    assert "是否已由其他机关受理" in text and "人民法院" in text
    plain = docx_text(documents.render(create(intake_data(type_code="neighbour", applicant_phone="13800000009")),
                                       "register"))
    assert "跨地区纠纷" not in plain and "是否已由其他机关受理" in plain and "没有" in plain
