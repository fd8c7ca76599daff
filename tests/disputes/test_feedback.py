"""Feedback and follow-up: the party's rating after closing, follow-up visits, and reopening after "not performed"."""

from __future__ import annotations

import pytest

from tests.disputes.conftest import MON, at, new_case, walk_at
from xiangzhi.disputes.services import transitions

pytestmark = pytest.mark.django_db


def closed_case(mediator):
    from xiangzhi.disputes.enums import CaseStage as S

    case = walk_at(new_case(), S.AGREEMENT_ORAL, mediator.user, MON, agreement_text="李四于3月31日前拆除围墙")
    return transitions.transition(case, S.CLOSED, actor=mediator.user, reason="已履行", now=MON)


def applicant(case):
    return case.parties.get(role="applicant")


def test_each_party_rates_once_after_closing(mediator, villager_a):
    from xiangzhi.core.errors import Conflict
    from xiangzhi.disputes.services import feedback

    case = closed_case(mediator)
    fb = feedback.rate(case, applicant(case), actor=villager_a[0], rating=5, comment="调解员很耐心")
    assert fb.rating == 5
    with pytest.raises(Conflict):
        feedback.rate(case, applicant(case), actor=villager_a[0], rating=4)


def test_rating_is_refused_before_closing_and_outside_1_to_5(mediator, villager_a):
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.disputes.services import feedback

    case = new_case()
    with pytest.raises(XiangzhiError):
        feedback.rate(case, applicant(case), actor=villager_a[0], rating=5)
    case = closed_case(mediator)
    with pytest.raises(XiangzhiError, match="1 至 5"):
        feedback.rate(case, applicant(case), actor=villager_a[0], rating=6)


def test_not_performed_reopens_the_case_for_its_mediator(mediator, town_staff, villager_a):
    from xiangzhi.core.models import Notification
    from xiangzhi.disputes.services import feedback

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
    from xiangzhi.disputes.services import feedback

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


def test_the_visit_guard_lives_in_the_service(mediator, other_mediator):
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.disputes.services import feedback

    closed = closed_case(mediator)
    with pytest.raises(XiangzhiError) as exc:
        feedback.record_visit(closed, actor=other_mediator.user, performed=True, visited_at=at(2026, 4, 1, 15))
    assert exc.value.code == "FORBIDDEN"
    in_mediation = walk_at(new_case(applicant_phone="13800000008"), "in_mediation", mediator.user, MON)
    with pytest.raises(XiangzhiError) as exc:  # no agreement yet: nothing to follow up
        feedback.record_visit(in_mediation, actor=mediator.user, performed=True, visited_at=at(2026, 4, 1, 15))
    assert exc.value.code == "FORBIDDEN"


def test_a_rating_typed_wrong_on_the_feedback_page_is_a_message_not_a_server_error(mediator, villager_a):
    from xiangzhi.disputes.models import Feedback

    case = closed_case(mediator)
    client = villager_a[1]
    for rating in ("五星", "9" * 30, "6"):
        r = client.post(f"/cases/s/{case.token}/feedback/", {"action": "rate", "rating": rating}, follow=True)
        assert r.status_code == 200
        text = r.content.decode()
        assert "输入有误。" in text or "请选择 1 至 5 星的满意度。" in text, rating
    assert not Feedback.objects.exists()
