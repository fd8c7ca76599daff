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


def test_the_extension_form_asks_for_both_consent_times_and_never_fills_them_in(mediator):
    """Before, a missing consent time became "now" in the view; now the form requires both and the service records
    them as given."""
    from xiangzhi.disputes.models import MediationExtension

    case = walk_at(new_case(), "in_mediation", mediator.user, MON)
    client, act = mediator.client(), reverse("disputes:case_action", args=[case.pk])
    page = client.get(reverse("disputes:case", args=[case.pk])).content.decode()
    assert 'name="applicant_at" required' in page and 'name="respondent_at" required' in page
    r = client.post(act, {"action": "extend", "reason": "双方同意延长", "applicant_at": "2026-03-03T10:00"})
    assert r.status_code == 302 and "请填写被申请人同意的时间" in " ".join(_messages(r))
    r = client.post(act, {"action": "extend", "reason": "双方同意延长", "applicant_at": "2026-03-03T10:00",
                          "respondent_at": "三月四日"})
    assert r.status_code == 302 and "输入有误。" in " ".join(_messages(r))
    assert not MediationExtension.objects.filter(case=case).exists()
    r = client.post(act, {"action": "extend", "reason": "双方同意延长", "applicant_at": "2026-03-03T10:00",
                          "respondent_at": "2026-03-04T16:30"})
    assert r.status_code == 302 and "已保存。" in _messages(r)
    ext = MediationExtension.objects.get(case=case)
    local = timezone.localtime(ext.respondent_consent_at)
    assert (timezone.localtime(ext.applicant_consent_at).day, local.day, local.hour) == (3, 4, 16)


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
