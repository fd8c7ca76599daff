"""Feedback and follow-up, reopening after "not performed", judicial confirmation, joint handling and hand-overs."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404

from tests.disputes.conftest import new_case
from tests.disputes.test_part2_deadlines import MON, at, walk_at

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def closed_case(mediator):
    from xiangzhi.disputes import services
    from xiangzhi.disputes.enums import CaseStage as S

    case = walk_at(new_case(), S.AGREEMENT_ORAL, mediator.user, MON, agreement_text="李四于3月31日前拆除围墙")
    return services.transition(case, S.CLOSED, actor=mediator.user, reason="已履行", now=MON)


def applicant(case):
    return case.parties.get(role="applicant")


def test_each_party_rates_once_after_closing(mediator, villager_a):
    from xiangzhi.core.errors import Conflict
    from xiangzhi.disputes import feedback

    case = closed_case(mediator)
    fb = feedback.rate(case, applicant(case), actor=villager_a[0], rating=5, comment="调解员很耐心")
    assert fb.rating == 5
    with pytest.raises(Conflict):
        feedback.rate(case, applicant(case), actor=villager_a[0], rating=4)


def test_rating_is_refused_before_closing_and_outside_1_to_5(mediator, villager_a):
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.disputes import feedback

    case = new_case()
    with pytest.raises(XiangzhiError):
        feedback.rate(case, applicant(case), actor=villager_a[0], rating=5)
    case = closed_case(mediator)
    with pytest.raises(XiangzhiError, match="1 至 5"):
        feedback.rate(case, applicant(case), actor=villager_a[0], rating=6)


def test_not_performed_reopens_the_case_for_its_mediator(mediator, town_staff, villager_a):
    from xiangzhi.core.models import Notification
    from xiangzhi.disputes import feedback

    case = closed_case(mediator)
    case = feedback.report_not_performed(case, applicant(case), actor=villager_a[0], note="围墙至今未拆",
                                         now=at(2026, 4, 5, 10))
    assert case.stage == "assigned" and case.mediator_id == mediator.user.pk and case.closed_at is None
    kinds = list(case.timeline.filter(kind="transition").order_by("id").values_list("stage_to", flat=True))
    assert kinds[-2:] == ["reopened", "assigned"]
    told = set(Notification.objects.filter(dedupe_key__contains=f"case:{case.pk}:not-performed").values_list(
        "recipient_user_id", flat=True))
    assert {mediator.user.pk, town_staff.user.pk} <= told


def test_a_follow_up_visit_records_performance_satisfaction_visitor_and_time(mediator):
    from xiangzhi.disputes import feedback

    case = closed_case(mediator)
    visit = feedback.record_visit(case, actor=mediator.user, performed=True, satisfaction=5, note="已拆除",
                                  visited_at=at(2026, 4, 1, 15))
    assert (visit.performed, visit.satisfaction, visit.visitor_id) == (True, 5, mediator.user.pk)


def test_the_status_page_offers_the_rating_after_closing_and_records_it(mediator, villager_a):
    from xiangzhi.disputes.models import Feedback

    case = closed_case(mediator)
    user, client = villager_a
    page = client.get(f"/cases/s/{case.token}/feedback/")
    assert page.status_code == 200 and "满意度" in page.content.decode() and "已结案" in page.content.decode()
    r = client.post(f"/cases/s/{case.token}/feedback/", {"action": "rate", "rating": "4", "comment": "满意"})
    assert r.status_code == 302
    assert Feedback.objects.get(case=case).rating == 4


def test_an_outsider_cannot_rate_through_the_token(mediator, villager_b):
    from xiangzhi.disputes.models import Feedback

    case = closed_case(mediator)
    r = villager_b[1].post(f"/cases/s/{case.token}/feedback/", {"action": "rate", "rating": "1"})
    assert r.status_code in (302, 404) and not Feedback.objects.exists()


# --- judicial confirmation -------------------------------------------------------------------------------------
def effective_case(mediator, when=MON):
    return walk_at(new_case(), "agreement_oral", mediator.user, when, agreement_text="李四赔偿张三5000元")


def test_judicial_confirmation_is_tracked_from_application_to_ruling(mediator):
    from xiangzhi.core.errors import Conflict
    from xiangzhi.disputes import judicial

    case = effective_case(mediator)
    assert judicial.can_offer(case, now=at(2026, 3, 10))
    jc = judicial.apply(case, actor=mediator.user, court="桐乡市人民法院", applied_at=at(2026, 3, 10))
    with pytest.raises(Conflict):
        judicial.record_court(case, actor=mediator.user, status="confirmed", at=at(2026, 3, 11))
    judicial.record_court(case, actor=mediator.user, status="accepted", at=at(2026, 3, 12),
                          court_case_number="(2026)浙0483民特12号")
    jc = judicial.record_court(case, actor=mediator.user, status="confirmed", at=at(2026, 3, 20))
    assert (jc.status, jc.accepted_at, jc.decided_at) == ("confirmed", at(2026, 3, 12), at(2026, 3, 20))


def test_judicial_application_after_30_days_is_refused(mediator):
    from xiangzhi.core.errors import Conflict
    from xiangzhi.disputes import judicial

    case = effective_case(mediator)
    assert not judicial.can_offer(case, now=at(2026, 4, 2))
    with pytest.raises(Conflict, match="30日"):
        judicial.apply(case, actor=mediator.user, court="桐乡市人民法院", applied_at=at(2026, 4, 2))


def test_the_30_day_warning_is_sent_once_before_the_window_closes(mediator):
    from xiangzhi.core.models import Notification
    from xiangzhi.disputes import deadlines

    case = effective_case(mediator)
    assert deadlines.judicial_warnings(now=at(2026, 3, 20)) == 0
    assert deadlines.judicial_warnings(now=at(2026, 3, 28)) >= 2  # mediator + applicant SMS
    assert deadlines.judicial_warnings(now=at(2026, 3, 29)) == 0
    keys = set(Notification.objects.filter(dedupe_key__startswith=f"case:{case.pk}:jc-window").values_list(
        "dedupe_key", flat=True))
    assert f"case:{case.pk}:jc-window:mediator" in keys


# --- joint handling --------------------------------------------------------------------------------------------
def test_the_liaison_sees_only_cases_shared_with_their_department(mediator, liaison):
    from xiangzhi.disputes import joint, selectors

    shared, other = new_case(), new_case(applicant_phone="13800000007")
    assert not selectors.cases_visible_to(liaison.user).filter(pk=shared.pk).exists()
    task = joint.invite(shared, actor=mediator.user, organisation_id=liaison.organisation.pk, task="核实报警记录",
                        due_at=dt.datetime.now(TZ) + dt.timedelta(days=3), contact_name="王警官")
    assert selectors.access_case(liaison.user, shared.pk).pk == shared.pk
    with pytest.raises(Http404):
        selectors.access_case(liaison.user, other.pk)
    assert joint.access_task(liaison.user, task.pk) == task
    c = liaison.client()
    assert c.get(f"/cases/joint/{task.pk}/").status_code == 200
    assert c.get("/cases/joint/").status_code == 200


def test_the_liaison_answers_or_hands_back_and_the_lead_sees_who_is_late(mediator, liaison):
    from xiangzhi.core.errors import Conflict
    from xiangzhi.disputes import joint
    from xiangzhi.disputes.services import Upload

    case = new_case()
    due = dt.datetime.now(TZ) + dt.timedelta(days=2)
    task = joint.invite(case, actor=mediator.user, organisation_id=liaison.organisation.pk, task="提供出警记录",
                        due_at=due, contact_name="王警官")
    rows = joint.overview(case, now=due + dt.timedelta(hours=1))
    assert rows[0].late and rows[0].replies == 0
    joint.reply(task, actor=liaison.user, text="出警记录已上传", upload=Upload("记录.pdf", b"%PDF-1.4 test"))
    rows = joint.overview(case, now=due + dt.timedelta(hours=1))
    assert not rows[0].late and rows[0].replies == 1 and rows[0].task.status == "answered"
    with pytest.raises(Conflict):
        joint.hand_back(task, actor=liaison.user, reason="非本单位职责")
    second = joint.invite(case, actor=mediator.user, organisation_id=liaison.organisation.pk, task="协助劝导",
                          due_at=due, contact_name="王警官")
    joint.hand_back(second, actor=liaison.user, reason="非本单位职责")
    second.refresh_from_db()
    assert second.status == "returned" and second.return_reason == "非本单位职责"


def test_an_outsider_cannot_open_a_joint_task(mediator, liaison, other_mediator):
    from xiangzhi.disputes import joint

    task = joint.invite(new_case(), actor=mediator.user, organisation_id=liaison.organisation.pk, task="核实情况",
                        due_at=dt.datetime.now(TZ) + dt.timedelta(days=3), contact_name="王警官")
    with pytest.raises(Http404):
        joint.access_task(other_mediator.user, task.pk)
    assert other_mediator.client().get(f"/cases/joint/{task.pk}/").status_code == 404


def test_referral_in_and_handover_out_are_recorded(mediator):
    from xiangzhi.disputes import joint

    case = new_case()
    joint.record_handover(case, actor=mediator.user, direction="in", counterpart="桐乡市人民法院", reference="诉前调")
    joint.record_handover(case, actor=mediator.user, direction="out", counterpart="桐乡市人民法院", reference="诉调对接")
    assert list(case.handovers.values_list("direction", flat=True)) == ["in", "out"]
    assert case.timeline.filter(kind="handover").count() == 2
