"""Deadlines, 五色管理, the holiday calendar, reminders and escalation offers — with a frozen clock (``now=``)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.disputes.conftest import MON, at, new_case, risk_report, walk_at
from xiangzhi.disputes.services import transitions

pytestmark = pytest.mark.django_db
def colour(case, now):
    from xiangzhi.disputes.colours import colour_of
    from xiangzhi.disputes.models import Case

    return colour_of(Case.objects.get(pk=case.pk), now)


def notes(fragment: str):
    from xiangzhi.core.models import Notification

    return list(Notification.objects.filter(dedupe_key__contains=fragment))


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """The working-day calendar is cached per process; a rolled-back test must not leave its holidays behind."""
    from xiangzhi.core import workdays

    workdays.forget_calendar()
    yield
    workdays.forget_calendar()


@pytest.fixture
def calendar_loaded(db):
    from xiangzhi.core import workdays
    from xiangzhi.disputes.services import deadlines

    deadlines.load_holidays(deadlines.bundled_holidays(), actor=None)
    yield
    workdays.forget_calendar()


def every_party(case, *times, method="in_person"):
    """Each party's consent to extend (ExtensionConsentIn), in the parties' order, at ``times`` (the last time for
    the parties after it)."""
    from xiangzhi.disputes.services.deadlines import ExtensionConsentIn

    parties = list(case.parties.order_by("order", "id"))
    return [ExtensionConsentIn(party_id=p.pk, method=method, consented_at=times[min(i, len(times) - 1)])
            for i, p in enumerate(parties)]


def test_blue_orange_red_while_waiting_for_acceptance(mediator):
    from xiangzhi.disputes.enums import CaseStage as S

    case = transitions.transition(new_case(), S.ACCEPTED, actor=mediator.user, reason="受理", now=MON)
    # 3 working days → due Thursday 5 March 23:59:59
    assert colour(case, MON) == "blue"
    assert colour(case, at(2026, 3, 3, 9)) == "orange"  # due within 3 days
    assert colour(case, at(2026, 3, 5, 23, 59)) == "orange"
    assert colour(case, at(2026, 3, 6, 0, 0, 1)) == "red"  # overdue


def test_yellow_in_mediation_then_orange_then_red_and_extension_moves_the_deadline(mediator):
    from xiangzhi.disputes.services import deadlines

    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    assert colour(case, at(2026, 3, 10, 9)) == "yellow"
    assert colour(case, at(2026, 3, 30, 9)) == "orange"
    assert colour(case, at(2026, 4, 2, 10)) == "red"  # one month from 2 March
    deadlines.extend_mediation(case, actor=mediator.user, consents=every_party(case, MON), reason="双方同意延长")
    assert colour(case, at(2026, 4, 2, 10)) == "yellow"
    assert colour(case, at(2026, 5, 2, 10)) == "red"
    with pytest.raises(Exception, match="只能延长一次"):
        deadlines.extend_mediation(case, actor=mediator.user, consents=every_party(case, MON), reason="再次延长")


def test_major_risk_is_red_escalated_is_orange_finished_is_green(mediator, town_staff):
    from xiangzhi.disputes.enums import CaseStage as S
    from xiangzhi.disputes.services import deadlines

    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    deadlines.raise_risk(case, "major", actor=mediator.user, reason="扬言报复", report=risk_report())
    assert colour(case, at(2026, 3, 3, 9)) == "red"
    assert notes(f"case:{case.pk}:risk:major:{town_staff.user.pk}")  # supervisor told at once (Art. 25)
    other = transitions.transition(new_case(applicant_phone="13800000005"), S.ESCALATED, actor=mediator.user,
                                reason="疑难复杂", now=MON)
    assert colour(other, at(2026, 3, 2, 10)) == "orange"
    oral = walk_at(new_case(applicant_phone="13800000006"), "agreement_oral", mediator.user, MON,
                   agreement_text="当场达成口头协议")
    assert colour(oral, at(2026, 6, 1)) == "green"


def test_the_colour_is_always_shown_with_its_word_and_countdown(mediator):
    from django.template import Context, Template

    from xiangzhi.disputes.enums import CaseStage as S

    case = transitions.transition(new_case(), S.ACCEPTED, actor=mediator.user, reason="受理", now=MON)
    html = Template("{% load case_colour %}{% case_colour case now %}").render(
        Context({"case": case, "now": at(2026, 3, 3, 9)}))
    assert "橙色" in html and "剩 2 天 14 小时" in html
    html = Template("{% load case_colour %}{% case_colour case now %}").render(
        Context({"case": case, "now": at(2026, 3, 8, 0)}))
    assert "红色" in html and "已超期 2 天" in html


def test_working_days_skip_the_national_day_holiday_and_count_the_make_up_saturday(mediator, calendar_loaded):
    from xiangzhi.disputes import colours
    from xiangzhi.disputes.enums import CaseStage as S

    case = transitions.transition(new_case(), S.ACCEPTED, actor=mediator.user, reason="受理",
                               now=at(2026, 9, 30, 9))
    # 1–7 Oct off; Thu 8, Fri 9, Sat 10 (调休上班) are the three working days
    assert colours.due(case) == at(2026, 10, 10, 23, 59, 59)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["years"][0]["festivals"].pop(3), "缺少劳动节"),
    (lambda d: d["years"][0]["festivals"][4].update(off=["2026-05-05", "2026-05-06"]), "重叠或矛盾"),
    (lambda d: d["years"][0]["festivals"][0]["workdays"].append("2026-01-05"), "本来就是工作日"),
    (lambda d: d["years"].append({**d["years"][0], "year": 2029}), "不连续"),
])
def test_a_calendar_with_gaps_or_overlaps_is_refused_and_nothing_changes(db, mutate, message):
    import copy
    import json

    from xiangzhi.core.errors import ValidationFailed
    from xiangzhi.core.models import CalendarDay
    from xiangzhi.disputes.services import deadlines

    data = copy.deepcopy(json.loads((deadlines.BUNDLED / "2026.json").read_text(encoding="utf-8")))
    data["years"].append(json.loads((deadlines.BUNDLED / "2027.json").read_text(encoding="utf-8"))["years"][0])
    deadlines.load_holidays(copy.deepcopy(data), actor=None)
    before = CalendarDay.objects.count()
    mutate(data)
    with pytest.raises(ValidationFailed, match=message):
        deadlines.load_holidays(data, actor=None)
    assert CalendarDay.objects.count() == before


def test_load_holidays_command_loads_the_bundled_schedules_and_says_2027_is_provisional(db):
    from io import StringIO

    from django.core.management import call_command

    from xiangzhi.core.models import CalendarDay

    out = StringIO()
    call_command("load_holidays", stdout=out)
    assert "2027" in out.getvalue() and "暂定" in out.getvalue()
    assert CalendarDay.objects.get(date=dt.date(2026, 2, 14)).is_workday  # 春节调休上班
    assert not CalendarDay.objects.get(date=dt.date(2026, 2, 16)).is_workday


def test_deadline_reminder_fires_once_even_when_the_job_runs_twice(mediator):
    from xiangzhi.disputes.services import deadlines

    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    due = at(2026, 4, 2, 9)
    assert deadlines.colour_pass(now=due - dt.timedelta(days=5)).reminders == 0
    first = deadlines.colour_pass(now=due - dt.timedelta(hours=12))
    second = deadlines.colour_pass(now=due - dt.timedelta(hours=11))
    assert first.reminders == 1 and second.reminders == 0
    sent = notes(f"case:{case.pk}:due-soon:")
    assert len(sent) == 1 and sent[0].recipient_user_id == mediator.user.pk


def test_supervisor_is_told_once_when_a_case_turns_red(mediator, town_staff):
    from xiangzhi.disputes.models import CaseClock
    from xiangzhi.disputes.services import deadlines

    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    deadlines.colour_pass(now=at(2026, 3, 10))
    assert CaseClock.objects.get(case=case).colour == "yellow"
    deadlines.colour_pass(now=at(2026, 4, 3))
    deadlines.colour_pass(now=at(2026, 4, 3, 1))
    assert CaseClock.objects.get(case=case).colour == "red"
    red = notes(f"case:{case.pk}:red:")
    assert [n.recipient_user_id for n in red] == [town_staff.user.pk]


def test_an_overdue_village_case_is_offered_escalation_once(mediator, town_staff):
    from xiangzhi.disputes.enums import CaseStage as S
    from xiangzhi.disputes.services import deadlines

    case = transitions.transition(new_case(), S.ACCEPTED, actor=mediator.user, reason="受理", now=MON)
    assert case.level == "village"
    deadlines.colour_pass(now=at(2026, 3, 4))
    assert not notes(f"case:{case.pk}:escalate-offer:")
    deadlines.colour_pass(now=at(2026, 3, 9))
    deadlines.colour_pass(now=at(2026, 3, 10))
    offers = notes(f"case:{case.pk}:escalate-offer:village:")
    assert {n.recipient_user_id for n in offers} >= {town_staff.user.pk}
    assert len(offers) == len({n.recipient_user_id for n in offers})
    assert "可上报乡镇" in offers[0].subject


def test_the_periodic_job_is_registered_and_runs(mediator):
    from xiangzhi.core.periodic import discover_jobs, run_due

    assert "disputes.colour_pass" in {j.name for j in discover_jobs()}
    new_case()
    result = run_due(only={"disputes.colour_pass"}, force=True)
    assert result["disputes.colour_pass"].startswith("ok scanned=")


def test_risk_can_be_raised_only_by_someone_handling_the_case(mediator, other_mediator):
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.disputes.services import deadlines

    case = new_case()
    with pytest.raises(XiangzhiError):
        deadlines.raise_risk(case, "major", actor=other_mediator.user, reason="越权")
    deadlines.raise_risk(case, "elevated", actor=mediator.user, reason="情绪激动")
    with pytest.raises(XiangzhiError, match="只能提高"):
        deadlines.raise_risk(case, "normal", actor=mediator.user, reason="降低")


def test_two_overlapping_runs_take_the_colour_job_once_and_reminders_stay_single(mediator):
    from xiangzhi.core.periodic import discover_jobs, release, try_lease
    from xiangzhi.disputes.services import deadlines

    job = next(j for j in discover_jobs() if j.name == "disputes.colour_pass")
    assert try_lease(job, force=True) and not try_lease(job, force=True)  # the second runner skips
    release(job, "ok")
    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    when = at(2026, 4, 1, 22)
    deadlines.colour_pass(now=when)
    deadlines.colour_pass(now=when)  # had the lease been lost, the dedupe keys still send each reminder once
    assert len(notes(f"case:{case.pk}:due-soon:")) == 1


def test_the_status_page_promises_the_deadline_the_colour_rule_gives(mediator, villager_a):
    """The party's "预计…前" is the stage's real deadline (colours.due): one month of mediation from 2 March is 2 April,
    not the 22 working days the old estimate counted (1 April)."""
    from xiangzhi.disputes import colours
    from xiangzhi.disputes.enums import CaseStage as S
    from xiangzhi.disputes.models import Case

    user, client = villager_a
    case = walk_at(new_case(actor=user), S.IN_MEDIATION, mediator.user, MON)
    case = Case.objects.get(pk=case.pk)
    assert colours.due(case) == at(2026, 4, 2, 9, 0)
    body = client.get(f"/cases/s/{case.token}/").content.decode()
    assert "调解一般在一个月内结束（预计 2026年4月2日 前）" in body


@pytest.mark.parametrize("applicant_at, respondent_at, code", [
    (None, MON, "CONSENT_REQUIRED"),
    (MON, None, "CONSENT_REQUIRED"),
    (MON, "missing", "CONSENT_REQUIRED"),
    (MON, "future", "CONSENT_IN_FUTURE"),
    (MON, "before", "CONSENT_BEFORE_MEDIATION"),
])
def test_the_extension_service_refuses_a_missing_future_or_earlier_consent(mediator, applicant_at, respondent_at,
                                                                             code):
    """Both parties' consent, each at a time already past and not before mediation began: decided in the service,
    whatever the caller sends."""
    import datetime as dt

    from django.utils import timezone

    from xiangzhi.core.errors import ValidationFailed
    from xiangzhi.disputes.models import MediationExtension
    from xiangzhi.disputes.services import deadlines

    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    if respondent_at == "future":
        respondent_at = timezone.now() + dt.timedelta(hours=1)
    elif respondent_at == "before":
        respondent_at = MON - dt.timedelta(days=1)
    consents = every_party(case, applicant_at, respondent_at)
    if respondent_at == "missing":
        consents = consents[:1]
    with pytest.raises(ValidationFailed) as exc:
        deadlines.extend_mediation(case, actor=mediator.user, consents=consents, reason="双方同意延长")
    assert exc.value.code == code
    assert not MediationExtension.objects.filter(case=case).exists()


def test_the_extension_guard_lives_in_the_service(mediator, other_mediator):
    from xiangzhi.core.errors import Conflict
    from xiangzhi.disputes.services import deadlines

    assigned = walk_at(new_case(), "assigned", mediator.user, MON)
    with pytest.raises(Conflict) as exc:  # not in mediation yet
        deadlines.extend_mediation(assigned, actor=mediator.user, consents=every_party(assigned, MON),
                                   reason="双方同意再谈一次")
    assert exc.value.code == "CANNOT_EXTEND"
    case = walk_at(new_case(applicant_phone="13800000009"), "in_mediation", mediator.user, MON)
    consent = {"consents": every_party(case, MON), "reason": "双方同意再谈一次"}
    with pytest.raises(Conflict) as exc:  # not the case's mediator
        deadlines.extend_mediation(case, actor=other_mediator.user, **consent)
    assert exc.value.code == "CANNOT_EXTEND"
    assert deadlines.extend_mediation(case, actor=mediator.user, **consent).months >= 1
