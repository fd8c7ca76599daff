"""联动联办 and 诉调对接: what a liaison sees, answering or handing a task back, and hand-overs in and out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404

from tests.disputes.conftest import TZ, new_case

pytestmark = pytest.mark.django_db


def test_the_liaison_sees_only_cases_shared_with_their_department(mediator, liaison):
    from xiangzhi.disputes import selectors
    from xiangzhi.disputes.services import joint

    shared, other = new_case(), new_case(applicant_phone="13800000007")
    assert not selectors.cases_visible_to(liaison.user).filter(pk=shared.pk).exists()
    task = joint.invite(shared, actor=mediator.user, organisation_id=liaison.organisation.pk, task="核实报警记录",
                        due_at=dt.datetime.now(TZ) + dt.timedelta(days=3), contact_name="王警官")
    assert selectors.access_case(liaison.user, shared.pk).pk == shared.pk
    with pytest.raises(Http404):
        selectors.access_case(liaison.user, other.pk)
    assert selectors.access_task(liaison.user, task.pk) == task
    c = liaison.client()
    assert c.get(f"/cases/joint/{task.pk}/").status_code == 200
    assert c.get("/cases/joint/").status_code == 200


def test_the_liaison_answers_or_hands_back_and_the_lead_sees_who_is_late(mediator, liaison):
    from xiangzhi.core.errors import Conflict
    from xiangzhi.disputes import selectors
    from xiangzhi.disputes.services import joint
    from xiangzhi.disputes.services.uploads import Upload

    case = new_case()
    due = dt.datetime.now(TZ) + dt.timedelta(days=2)
    task = joint.invite(case, actor=mediator.user, organisation_id=liaison.organisation.pk, task="提供出警记录",
                        due_at=due, contact_name="王警官")
    rows = selectors.overview(case, now=due + dt.timedelta(hours=1))
    assert rows[0].late and rows[0].replies == 0
    joint.reply(task, actor=liaison.user, text="出警记录已上传", upload=Upload("记录.pdf", b"%PDF-1.4 test"))
    rows = selectors.overview(case, now=due + dt.timedelta(hours=1))
    assert not rows[0].late and rows[0].replies == 1 and rows[0].task.status == "answered"
    with pytest.raises(Conflict):
        joint.hand_back(task, actor=liaison.user, reason="非本单位职责")
    second = joint.invite(case, actor=mediator.user, organisation_id=liaison.organisation.pk, task="协助劝导",
                          due_at=due, contact_name="王警官")
    joint.hand_back(second, actor=liaison.user, reason="非本单位职责")
    second.refresh_from_db()
    assert second.status == "returned" and second.return_reason == "非本单位职责"


def test_the_liaison_list_marks_late_the_tasks_rules_call_late(mediator, liaison):
    from xiangzhi.disputes.models import JointTask
    from xiangzhi.disputes.services import joint

    due = dt.datetime.now(TZ) + dt.timedelta(days=2)
    late = joint.invite(new_case(), actor=mediator.user, organisation_id=liaison.organisation.pk, task="提供出警记录",
                        due_at=due, contact_name="王警官")
    answered = joint.invite(new_case(applicant_phone="13800000008"), actor=mediator.user,
                            organisation_id=liaison.organisation.pk, task="协助劝导", due_at=due, contact_name="王警官")
    joint.reply(answered, actor=liaison.user, text="已劝导")
    # Both deadlines passed (moved back in the table: the service refuses a deadline in the past).
    JointTask.objects.filter(pk__in=[late.pk, answered.pk]).update(due_at=dt.datetime.now(TZ) - dt.timedelta(hours=1))
    html = liaison.client().get("/cases/joint/").content.decode()
    rows = {row.split("</td>", 2)[1]: row for row in html.split("<tr>")[2:]}
    late_row = next(r for k, r in rows.items() if "提供出警记录" in k)
    answered_row = next(r for k, r in rows.items() if "协助劝导" in k)
    assert "已超期" in late_row and "已超期" not in answered_row


def test_an_outsider_cannot_open_a_joint_task(mediator, liaison, other_mediator):
    from xiangzhi.disputes import selectors
    from xiangzhi.disputes.services import joint

    task = joint.invite(new_case(), actor=mediator.user, organisation_id=liaison.organisation.pk, task="核实情况",
                        due_at=dt.datetime.now(TZ) + dt.timedelta(days=3), contact_name="王警官")
    with pytest.raises(Http404):
        selectors.access_task(other_mediator.user, task.pk)
    assert other_mediator.client().get(f"/cases/joint/{task.pk}/").status_code == 404


def test_referral_in_and_handover_out_are_recorded(mediator):
    from xiangzhi.disputes.services import joint

    case = new_case()
    joint.record_handover(case, actor=mediator.user, direction="in", counterpart="桐乡市人民法院", reference="诉前调")
    joint.record_handover(case, actor=mediator.user, direction="out", counterpart="桐乡市人民法院", reference="诉调对接")
    assert list(case.handovers.values_list("direction", flat=True)) == ["in", "out"]
    assert case.timeline.filter(kind="handover").count() == 2


def test_an_invited_department_may_raise_the_risk_only_while_its_task_is_active(mediator, liaison):
    """The fact ``rules.can_raise_risk`` decides on (which departments hold an active task) is read by the service."""
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.disputes import selectors
    from xiangzhi.disputes.services import deadlines, joint

    case = new_case()
    with pytest.raises(XiangzhiError) as exc:
        deadlines.raise_risk(case, "elevated", actor=liaison.user, reason="扬言报复")
    assert exc.value.code == "FORBIDDEN"
    task = joint.invite(case, actor=mediator.user, organisation_id=liaison.organisation.pk, task="核实报警记录",
                        due_at=dt.datetime.now(TZ) + dt.timedelta(days=3), contact_name="王警官")
    assert selectors.active_task_orgs(case) == {liaison.organisation.pk}
    assert deadlines.raise_risk(case, "elevated", actor=liaison.user, reason="扬言报复").risk_level == "elevated"
    joint.hand_back(task, actor=liaison.user, reason="非本单位职责")
    assert selectors.active_task_orgs(case) == set()
    with pytest.raises(XiangzhiError) as exc:
        deadlines.raise_risk(case, "major", actor=liaison.user, reason="再次扬言")
    assert exc.value.code == "FORBIDDEN"


def test_the_invite_and_reply_guards_live_in_the_services(mediator, liaison, other_mediator):
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.disputes.models import Case
    from xiangzhi.disputes.services import joint

    case = new_case()
    due = dt.datetime.now(TZ) + dt.timedelta(days=3)
    with pytest.raises(XiangzhiError) as exc:
        joint.invite(case, actor=other_mediator.user, organisation_id=liaison.organisation.pk, task="核实报警记录",
                     due_at=due, contact_name="王警官")
    assert exc.value.code == "FORBIDDEN"
    task = joint.invite(case, actor=mediator.user, organisation_id=liaison.organisation.pk, task="核实报警记录",
                        due_at=due, contact_name="王警官")
    with pytest.raises(XiangzhiError) as exc:
        joint.reply(task, actor=mediator.user, text="由牵头单位代答")  # the lead does not answer for the department
    assert exc.value.code == "FORBIDDEN"
    Case.objects.filter(pk=case.pk).update(stage="closed")
    with pytest.raises(XiangzhiError) as exc:
        joint.invite(case, actor=mediator.user, organisation_id=liaison.organisation.pk, task="再核实一次",
                     due_at=due, contact_name="王警官")
    assert exc.value.code == "FORBIDDEN"
