"""The staff case page is one page with one action dispatcher: the stage's actions, deadline and risk, joint
handling, judicial confirmation, follow-up visits, documents and the case file all sit on it, and every form that
changes the case posts to ``disputes:case_action``."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.disputes.conftest import MON, new_case, walk_at

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def test_every_section_is_on_the_case_page_and_every_form_posts_to_its_one_dispatcher(mediator):
    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    page = mediator.client().get(reverse("disputes:case", args=[case.pk])).content.decode()
    for heading in ("办理", "期限与风险", "联动联办", "司法确认", "回访", "文书与卷宗", "办理经过"):
        assert f"<h2>{heading}</h2>" in page, heading
    assert "本阶段期限" in page
    act = reverse("disputes:case_action", args=[case.pk])
    documents = reverse("disputes:case", args=[case.pk]) + "documents/"
    main = page[page.index("<h1>"):]  # the case, not the site's header (its sign-out form)
    posts = re.findall(r'<form method="post"(?: action="([^"]*)")?', main)
    assert len(posts) >= 8
    # the panels other apps add (insights' report flags) post to their own app
    assert [u for u in posts if u.startswith("/cases/") and u != act and not u.startswith(documents)] == []
    assert posts.count(act) >= 8
    actions = set(re.findall(r'name="action" value="(\w+)"', page))
    assert {"transition", "session", "risk", "extend", "invite", "handover"} <= actions
    assert "visit" not in actions  # the page offers what rules allow now: a visit follows an agreement
    agreed = walk_at(new_case(applicant_phone="13800000007"), "agreement_oral", mediator.user, MON,
                     agreement_text="李四拆除围墙")
    page = mediator.client().get(reverse("disputes:case", args=[agreed.pk])).content.decode()
    actions = set(re.findall(r'name="action" value="(\w+)"', page))
    assert {"visit", "handover", "invite"} <= actions and not {"extend", "risk", "session"} & actions


def test_the_follow_up_card_says_there_is_no_visit_yet_instead_of_standing_empty(mediator):
    """A case in mediation has no visit and offers no visit form: the card says so (at 360 px it was a bare
    heading)."""
    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    page = mediator.client().get(reverse("disputes:case", args=[case.pk])).content.decode()
    card = page[page.index("<h2>回访</h2>"):]
    card = card[:card.index("</div>")]
    assert "尚无回访记录" in card and "<ul></ul>" not in card


def test_the_dispatcher_raises_the_risk_records_a_visit_and_returns_to_the_case_page(mediator):
    from xiangzhi.disputes.models import Case, FollowUpVisit

    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    client, act = mediator.client(), reverse("disputes:case_action", args=[case.pk])
    r = client.post(act, {"action": "risk", "level": "major", "reason": "扬言报复", "recipient": "police",
                          "reported_to": "乌镇派出所", "method": "phone",
                          "reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 302 and r.url == reverse("disputes:case", args=[case.pk])
    assert Case.objects.get(pk=case.pk).risk_level == "major"
    agreed = walk_at(new_case(applicant_phone="13800000006"), "agreement_oral", mediator.user, MON,
                     agreement_text="李四拆除围墙")
    r = client.post(reverse("disputes:case_action", args=[agreed.pk]),
                    {"action": "visit", "performed": "1", "satisfaction": "5", "note": "已拆除围墙"})
    assert r.status_code == 302 and FollowUpVisit.objects.get(case=agreed).satisfaction == 5


def test_a_number_typed_wrong_on_the_case_page_is_a_message_not_a_server_error(mediator):
    from xiangzhi.disputes.models import FollowUpVisit, JointTask

    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    client, act = mediator.client(), reverse("disputes:case_action", args=[case.pk])
    r = client.post(act, {"action": "visit", "performed": "1", "satisfaction": "五星"})
    assert r.status_code == 302 and "输入有误。" in _messages(r)
    r = client.post(act, {"action": "invite", "organisation": "公安", "task": "核实情况", "contact_name": "王"})
    assert r.status_code == 302 and "输入有误。" in _messages(r)
    assert not FollowUpVisit.objects.filter(case=case).exists() and not JointTask.objects.filter(case=case).exists()
    r = client.post(act, {"action": "tools"})
    assert r.status_code == 302 and "未知操作。" in _messages(r)


def test_the_extension_form_asks_for_each_partys_consent_and_never_fills_it_in(mediator):
    """Before, a missing consent time became "now" in the view; now the form requires how and when each party
    consented and the service records them as given, one row per party."""
    from xiangzhi.disputes.models import ExtensionConsent, MediationExtension

    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    applicant, respondent = case.parties.order_by("order")
    client, act = mediator.client(), reverse("disputes:case_action", args=[case.pk])
    page = client.get(reverse("disputes:case", args=[case.pk])).content.decode()
    for p in (applicant, respondent):
        assert f'name="consent_{p.pk}_at" required' in page and f'name="consent_{p.pk}_method"' in page
    a_at, a_by, r_at, r_by = (f"consent_{applicant.pk}_at", f"consent_{applicant.pk}_method",
                              f"consent_{respondent.pk}_at", f"consent_{respondent.pk}_method")
    r = client.post(act, {"action": "extend", "reason": "双方同意延长", a_at: "2026-03-03T10:00", a_by: "in_person",
                          r_by: "phone"})
    assert r.status_code == 302 and "请填写被申请人" in " ".join(_messages(r))
    r = client.post(act, {"action": "extend", "reason": "双方同意延长", a_at: "2026-03-03T10:00", a_by: "in_person",
                          r_at: "三月四日", r_by: "phone"})
    assert r.status_code == 302 and "输入有误。" in " ".join(_messages(r))
    assert not MediationExtension.objects.filter(case=case).exists()
    r = client.post(act, {"action": "extend", "reason": "双方同意延长", a_at: "2026-03-03T10:00", a_by: "in_person",
                          r_at: "2026-03-04T16:30", r_by: "phone"})
    assert r.status_code == 302 and "已保存。" in _messages(r)
    rows = {c.party_id: c for c in ExtensionConsent.objects.filter(extension__case=case)}
    local = timezone.localtime(rows[respondent.pk].consented_at)
    assert (timezone.localtime(rows[applicant.pk].consented_at).day, local.day, local.hour) == (3, 4, 16)
    assert (rows[applicant.pk].method, rows[respondent.pk].method) == ("in_person", "phone")
    page = client.get(reverse("disputes:case", args=[case.pk])).content.decode()
    assert "2026-03-04 16:30 电话表示同意" in page


@pytest.mark.parametrize("data", [
    {"action": "transition", "to": "assigned", "mediator": "王调解"},
    {"action": "sign", "signer": "张三"},
    {"action": "judicial_step", "status": "accepted", "at": "昨天"},
    {"action": "invite", "organisation": "", "task": "核实情况", "contact_name": "王"},
])
def test_an_id_or_time_typed_wrong_in_any_action_is_a_chinese_message_not_a_server_error(mediator, data):
    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    client, act = mediator.client(), reverse("disputes:case_action", args=[case.pk])
    r = client.post(act, data)
    assert r.status_code == 302 and "输入有误。" in _messages(r), _messages(r)


@pytest.mark.parametrize("data", [
    {"to": "flying"},  # no stage
    {"to": "assigned", "mediator": "-3"},
    {"to": "assigned", "mediator": "99999999999999999999999"},  # beyond any id
    {"to": "not_accepted", "ground": "bored", "reason": "不属于民间纠纷"},
    {"to": "agreement_oral", "agreement_text": "李四赔偿张三", "agreement_amount": "五百元"},
    {"to": "agreement_oral", "agreement_text": "李四赔偿张三", "agreement_amount": "-1"},
    {"to": "terminated", "termination_reason": "bored", "reason": "双方分歧较大"},
], ids=["stage", "mediator-negative", "mediator-huge", "ground", "amount-words", "amount-negative", "reason-code"])
def test_a_transition_typed_wrong_is_a_chinese_message_and_moves_nothing(mediator, data):
    from xiangzhi.disputes.models import Case, TimelineEvent

    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    events = TimelineEvent.objects.filter(case=case).count()
    r = mediator.client().post(reverse("disputes:case_action", args=[case.pk]), {"action": "transition", **data})
    assert r.status_code == 302 and "输入有误。" in _messages(r), _messages(r)
    assert Case.objects.get(pk=case.pk).stage == "in_mediation"
    assert TimelineEvent.objects.filter(case=case).count() == events


def test_a_mediator_id_that_names_no_mediator_is_refused_on_the_case_page(mediator, town_staff):
    """Before, an id that named no one fell back to the user acting; now the service refuses it."""
    from xiangzhi.disputes.models import Case
    from xiangzhi.disputes.services import transitions

    case = transitions.transition(new_case(), "accepted", actor=mediator.user)
    act = reverse("disputes:case_action", args=[case.pk])
    for mediator_id in ("987654321", str(town_staff.user.pk)):
        r = mediator.client().post(act, {"action": "transition", "to": "assigned", "mediator": mediator_id})
        assert r.status_code == 302 and "所选人员不是本案承办调解组织或辖区内的人民调解员。" in _messages(r)
        assert Case.objects.get(pk=case.pk).mediator_id is None
    r = mediator.client().post(act, {"action": "transition", "to": "assigned", "mediator": str(mediator.user.pk),
                                     "chosen_by_party": "1"})
    case = Case.objects.get(pk=case.pk)
    assert r.status_code == 302 and case.mediator_id == mediator.user.pk and case.mediator_chosen_by_party


def test_a_session_or_visit_typed_wrong_is_a_message_and_records_nothing(mediator):
    from xiangzhi.disputes.models import FollowUpVisit, MediationSession

    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    client, act = mediator.client(), reverse("disputes:case_action", args=[case.pk])
    r = client.post(act, {"action": "session", "held_at": "昨天下午", "place": "村委会", "attendees": "张三、李四",
                          "summary": "双方陈述了各自意见"})
    assert r.status_code == 302 and "输入有误。" in _messages(r)
    assert not MediationSession.objects.filter(case=case).exists()
    agreed = walk_at(new_case(applicant_phone="13800000006"), "agreement_oral", mediator.user, MON,
                     agreement_text="李四拆除围墙")
    r = client.post(reverse("disputes:case_action", args=[agreed.pk]),
                    {"action": "visit", "performed": "也许", "satisfaction": "5"})
    assert r.status_code == 302 and "输入有误。" in _messages(r)
    r = client.post(reverse("disputes:case_action", args=[agreed.pk]), {"action": "visit", "performed": "0"})
    assert r.status_code == 302 and "已保存。" in _messages(r)  # no time given: the service takes now
    visit = FollowUpVisit.objects.get(case=agreed)
    assert visit.performed is False and visit.visited_at is not None


def test_a_material_without_a_file_is_refused_by_the_service(mediator):
    from xiangzhi.disputes.models import Attachment

    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    r = mediator.client().post(reverse("disputes:case_action", args=[case.pk]), {"action": "material"})
    assert r.status_code == 302 and "请选择要上传的文件。" in _messages(r)
    assert not Attachment.objects.filter(case=case).exists()


def test_intake_typed_wrong_at_the_window_or_by_a_grid_worker_is_422_and_registers_nothing(centre_staff, grid_worker):
    from tests.conftest import first_village
    from xiangzhi.disputes.models import Case

    base = {"applicant_name": "张三", "applicant_phone": "13800000001", "respondent_kind": "person",
            "respondent_name": "李四", "region_code": first_village("330483100").code, "consent": "on",
            "description": "两家因宅基地界线发生口角，派出所出警后移送调解"}
    for referral_org in ("公安", "987654321"):
        r = centre_staff.client().post(reverse("disputes:new"), {
            **base, "source": "referral_police", "referral_org": referral_org, "risk_level": "normal"})
        assert r.status_code == 422 and "移送单位无效" in r.content.decode()
    r = centre_staff.client().post(reverse("disputes:new"), {**base, "source": "hearsay", "risk_level": "normal"})
    assert r.status_code == 422 and "案件来源" in r.content.decode()
    r = grid_worker.client().post(reverse("disputes:grid_new"), {
        **base, "on_spot": "on", "on_spot_agreement": "  "})
    assert r.status_code == 422 and "请填写当场达成的内容。" in r.content.decode()
    assert not Case.objects.exists()
