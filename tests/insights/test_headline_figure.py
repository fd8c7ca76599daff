"""The county's headline figure and the cards next to it, each checked against a direct count of rows.

"全市各调解组织成功调处矛盾纠纷5334件，其中镇、村调解组织调处纠纷占比70.83%" (domain.md A): ``success`` counts the
successful mediations (an agreement in effect that was not reopened as not performed since), ``local`` those of town
and village organisations (a grid's on-the-spot settlement is the village's), ``local_share`` = 100 × local / success.
The 红色 card counts every open case the colour rule (``disputes.colours``) shows red, the overdue ones included; the
report's 排查发现纠纷 is its own column's total.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import COUNTY, WUZHEN, first_village
from tests.disputes.conftest import intake_data, new_case, prepare_mediation, session
from xiangzhi.disputes import colours
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import Case
from xiangzhi.disputes.services import agreement, feedback, intake, mediation, transitions
from xiangzhi.insights import selectors

pytestmark = pytest.mark.django_db
SOURCES = ("summary", "cases")


def _year():
    return selectors.parse_period(str(timezone.localdate().year))


def _assigned_to_mediation(case, user, assigner=None):
    """From accepted (at whatever level; ``assigner`` assigns, by default the mediator) or assigned to in mediation,
    the mediator acting from then on."""
    if case.stage != S.ASSIGNED:
        case = transitions.transition(case, S.ASSIGNED, actor=assigner or user,
                                      details=transitions.Assign(mediator_id=user.pk))
    if case.mediator_confirmed_at is None:
        case = mediation.confirm_assignment(case, actor=user)
    prepare_mediation(case, user)  # every party's consent and rights notice recorded (人民调解法 第17、23、24条)
    case = transitions.transition(case, S.NOTICE_SERVED, actor=user)
    case = transitions.transition(case, S.IN_MEDIATION, actor=user)
    session(case, user)  # the record of the session (人民调解法 第27条) an agreement needs
    return case


def _in_mediation(case, user):
    """A fresh village case, accepted and in mediation."""
    return _assigned_to_mediation(transitions.transition(case, S.ACCEPTED, actor=user), user)


def _mediate(case, user, *, assigner=None, oral="李四拆除占地围墙，张三不再追究", close=True):
    """From accepted (at whatever level) to an oral agreement; then closed."""
    case = _assigned_to_mediation(case, user, assigner)
    case = transitions.transition(case, S.AGREEMENT_ORAL, actor=user, details=transitions.Agree(oral))
    return transitions.transition(case, S.CLOSED, actor=user, reason="已履行") if close else case


def _success_from_history(case: Case) -> bool:
    """Whether a case is a successful mediation, read from its history alone (not from the fields the dashboard
    reads): accepted, and the last of its agreement events is one that made an agreement take effect."""
    if case.stage in (S.REPORTED, S.NOT_ACCEPTED):
        return False
    in_effect = False
    for kind, stage_to in case.timeline.order_by("at", "id").values_list("kind", "stage_to"):
        if kind == "agreement_effective" or (kind == "transition" and stage_to == S.AGREEMENT_ORAL):
            in_effect = True
        elif kind == "transition" and stage_to in (S.AGREEMENT_WRITTEN, S.REOPENED):
            in_effect = False
    return in_effect


@pytest.fixture
def year_of_outcomes(mediator, town_staff, centre_staff, grid_worker, villager_a):
    """Cases taken through the services to every outcome that matters, at grid, village, town and county level;
    returns {name: case}."""
    phones = iter(f"1390000{i:04d}" for i in range(100))
    made = {}
    # a grid worker's on-the-spot settlement (一米调解): the village's
    made["spot"] = intake.create_case(intake_data(on_spot="李四当场同意拆除多砌的围墙", applicant_phone=next(phones)),
                                      actor=grid_worker.user, channel="grid")
    # village: oral agreement, closed
    made["village_oral"] = _mediate(transitions.transition(new_case(applicant_phone=next(phones)), S.ACCEPTED,
                                                           actor=mediator.user), mediator.user)
    # town: escalated by the village, accepted by the town, mediated to an agreement
    case = transitions.transition(new_case(applicant_phone=next(phones)), S.ACCEPTED, actor=mediator.user)
    case = transitions.transition(case, S.ESCALATED, actor=mediator.user, reason="跨村纠纷，情况复杂")
    made["town_oral"] = _mediate(transitions.transition(case, S.ACCEPTED, actor=town_staff.user), mediator.user,
                                 assigner=town_staff.user)
    # county: escalated twice, mediated to an agreement at the county centre
    case = transitions.transition(new_case(applicant_phone=next(phones)), S.ACCEPTED, actor=mediator.user)
    case = transitions.transition(case, S.ESCALATED, actor=mediator.user, reason="跨村纠纷，情况复杂")
    case = transitions.transition(case, S.ACCEPTED, actor=town_staff.user)
    case = transitions.transition(case, S.ESCALATED, actor=town_staff.user, reason="重大风险")
    made["county_oral"] = _mediate(transitions.transition(case, S.ACCEPTED, actor=centre_staff.user), mediator.user,
                                   assigner=centre_staff.user)
    # county, agreement in effect but not closed yet (still a success)
    case = transitions.transition(new_case(applicant_phone=next(phones)), S.ACCEPTED, actor=mediator.user)
    case = transitions.transition(case, S.ESCALATED, actor=mediator.user, reason="跨村纠纷，情况复杂")
    case = transitions.transition(case, S.ACCEPTED, actor=town_staff.user)
    case = transitions.transition(case, S.ESCALATED, actor=town_staff.user, reason="重大风险")
    made["county_open_oral"] = _mediate(transitions.transition(case, S.ACCEPTED, actor=centre_staff.user),
                                        mediator.user, assigner=centre_staff.user, close=False)
    # village: a written agreement, signed by everyone and sealed (in effect), and one still unsigned
    case = _in_mediation(new_case(applicant_phone=next(phones)), mediator.user)
    written = transitions.transition(case, S.AGREEMENT_WRITTEN, actor=mediator.user,
                                     details=transitions.Agree("李四赔偿张三500元"))
    for party in written.parties.all():
        agreement.sign_agreement(written, actor=mediator.user, party=party)
    agreement.sign_agreement(written, actor=mediator.user, as_mediator=True)
    agreement.apply_seal(written, actor=mediator.user)
    made["written_effective"] = Case.objects.get(pk=written.pk)
    case = _in_mediation(new_case(applicant_phone=next(phones)), mediator.user)
    made["written_unsigned"] = transitions.transition(case, S.AGREEMENT_WRITTEN, actor=mediator.user,
                                                      details=transitions.Agree("李四赔偿张三800元"))
    # village: terminated, and not accepted
    case = transitions.transition(new_case(applicant_phone=next(phones)), S.ACCEPTED, actor=mediator.user)
    made["terminated"] = transitions.transition(case, S.TERMINATED, actor=mediator.user, reason="被申请人拒绝调解",
                                                details=transitions.Terminate("party_refuses"))
    made["not_accepted"] = transitions.transition(new_case(applicant_phone=next(phones)), S.NOT_ACCEPTED,
                                                  actor=mediator.user, reason="已由法院受理",
                                                  details=transitions.NotAccept("already_handled"))
    # agreements reported not performed: reopened and mediated again (open), then terminated and closed, and one
    # mediated to a new agreement (a success again)
    for name in ("reopened_open", "reopened_terminated", "reopened_agreed_again"):
        closed = _mediate(transitions.transition(new_case(), S.ACCEPTED, actor=mediator.user), mediator.user)
        party = closed.parties.get(role="applicant")
        case = feedback.report_not_performed(closed, party, actor=villager_a[0], note="围墙至今未拆")
        assert case.stage == S.ASSIGNED
        if name == "reopened_terminated":
            case = transitions.transition(case, S.TERMINATED, actor=mediator.user, reason="对方拒不履行，拒绝再调解",
                                          details=transitions.Terminate("party_refuses"))
            case = transitions.transition(case, S.CLOSED, actor=mediator.user, reason="告知诉讼途径")
        elif name == "reopened_agreed_again":
            case = _assigned_to_mediation(case, mediator.user)
            case = transitions.transition(case, S.AGREEMENT_ORAL, actor=mediator.user,
                                          details=transitions.Agree("李四十日内拆除"))
        made[name] = case
    # reported only
    made["reported"] = new_case(applicant_phone=next(phones))
    return {name: Case.objects.get(pk=c.pk) for name, c in made.items()}


def test_the_headline_figure_counts_successful_mediations_by_town_and_village(year_of_outcomes, county_admin):
    cases = year_of_outcomes
    assert cases["spot"].level == "grid" and cases["town_oral"].level == "town"
    assert cases["county_oral"].level == "county" and cases["written_effective"].agreement_effective_at is not None
    # what the test built, by construction
    expected = {"spot", "village_oral", "town_oral", "county_oral", "county_open_oral", "written_effective",
                "reopened_agreed_again"}
    # and the same read from each case's history, independently of the fields the figures read
    from_history = {name for name, c in cases.items() if _success_from_history(c)}
    assert from_history == expected
    local = {name for name in expected if cases[name].level in ("grid", "village", "town")}
    assert local == expected - {"county_oral", "county_open_oral"}
    period = _year()
    for source in SOURCES:
        board = selectors.dashboard(None, region=selectors.region_for(COUNTY), period=period, source=source)
        assert board.cards["success"] == len(expected), source
        assert board.cards["local"] == len(local), source
        assert board.cards["local_share"] == round(100 * len(local) / len(expected), 2), source
        assert board.cards["accepted"] == len(cases) - 2, source  # all but the reported and the not accepted
        level = {row.label: row.values[0] for row in board.chart("level").rows}
        assert level["网格"] + level["村（社区）"] + level["乡镇（街道）"] == len(local), source
    report = selectors.mediation_report(None, period=period, region_code=COUNTY)
    assert report.totals["success"] == len(expected)
    # the API keeps the names, with the report's meaning
    api = county_admin.client().get("/api/v1/insights/dashboard", {"region": COUNTY, "period": period.key}).json()
    cards = api["cards"]
    assert (cards["success"], cards["local"]) == (len(expected), len(local))
    assert cards["local_share"] == round(100 * cards["local"] / cards["success"], 2)
    html = county_admin.client().get("/insights/", {"region": COUNTY, "period": period.key}).content.decode()
    assert "镇、村调解组织调处纠纷占比" in html and f'data-card="local">{len(local)}<' in html


def test_the_red_card_counts_the_open_cases_the_colour_rule_shows_red_the_overdue_included(mediator, town_staff):
    now = timezone.now()
    long_ago = now - dt.timedelta(days=40)
    village = first_village(WUZHEN).code
    intake_now = {"actor": None, "channel": "online"}
    # overdue (not accepted within 3 working days), normal risk: red because overdue
    overdue = [intake.create_case(intake_data(village, applicant_phone=f"1370000000{i}"), now=long_ago, **intake_now)
               for i in range(3)]
    # major risk, on time: red because of the risk
    major = intake.create_case(intake_data(village, applicant_phone="13700000011", risk_level="major"), **intake_now)
    # overdue in mediation at the town level
    case = transitions.transition(new_case(applicant_phone="13700000012"), S.ACCEPTED, actor=mediator.user,
                                  now=long_ago)
    escalated = transitions.transition(case, S.ESCALATED, actor=mediator.user, reason="情况复杂", now=long_ago)
    # on time, normal risk; and a major-risk dispute settled on the spot (finished: green)
    fresh = new_case(applicant_phone="13700000013")
    all_cases = [*overdue, major, escalated, fresh]
    shown = {c.pk: colours.colour_of(Case.objects.get(pk=c.pk), now) for c in all_cases}
    late = {c.pk for c in all_cases if colours.status(colours.due(Case.objects.get(pk=c.pk)), now) == "overdue"}
    assert late == {c.pk for c in overdue} | {escalated.pk}
    red = {pk for pk, colour in shown.items() if colour == "red"}
    assert red == late | {major.pk}
    for source in SOURCES:
        board = selectors.dashboard(None, region=selectors.region_for(COUNTY), period=_year(), now=now, source=source)
        assert board.cards["overdue"] == len(late), source
        assert board.cards["red"] == len(red), source
    html = town_staff.client().get("/insights/", {"period": _year().key}).content.decode()
    assert "重大风险或已超期" in html


def test_the_reports_screening_figure_is_its_own_columns_total(cases_2026, town_staff):
    from xiangzhi.insights import services
    from xiangzhi.insights.models import CaseFlags

    period = selectors.parse_period("2026")
    services.record_screening(first_village(WUZHEN), actor=None, held_at=period.start + dt.timedelta(days=40),
                              disputes_found=4)
    found = CaseFlags.objects.filter(found_by_screening=True, case__created_at__gte=period.start,
                                     case__created_at__lt=period.end).exclude(
        case__stage__in=["reported", "not_accepted"]).count()
    assert found > 0
    report = selectors.mediation_report(None, period=period, region_code=COUNTY)
    assert report.screening_disputes == report.totals["screened"] == found
    assert (report.screenings, report.screening_reported) == (1, 4)
    for section in report.sections:
        assert sum(row["screened"] for _, row in section.rows) == found, section.title
    api = town_staff.client().get("/api/v1/insights/report", {"period": "2026"}).json()
    wuzhen = CaseFlags.objects.filter(found_by_screening=True, case__region_code__startswith=WUZHEN,
                                      case__created_at__gte=period.start, case__created_at__lt=period.end).exclude(
        case__stage__in=["reported", "not_accepted"]).count()
    assert api["screening_disputes"] == api["totals"]["screened"] == wuzhen
    html = town_staff.client().get("/insights/report/", {"period": "2026"}).content.decode()
    assert f'data-figure="screened">{wuzhen}<' in html
