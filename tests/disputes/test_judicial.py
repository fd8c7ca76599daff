"""司法确认: tracked from application to ruling, refused after 30 days, and the warning before the window closes."""

from __future__ import annotations

import pytest

from tests.disputes.conftest import MON, at, new_case, walk_at

pytestmark = pytest.mark.django_db


def effective_case(mediator, when=MON):
    return walk_at(new_case(), "agreement_oral", mediator.user, when, agreement_text="李四赔偿张三5000元")


def test_judicial_confirmation_is_tracked_from_application_to_ruling(mediator):
    from xiangzhi.core.errors import Conflict
    from xiangzhi.disputes import rules
    from xiangzhi.disputes.services import judicial

    case = effective_case(mediator)
    assert rules.can_offer(case, now=at(2026, 3, 10), applied=False)
    jc = judicial.apply(case, actor=mediator.user, court="桐乡市人民法院", applied_at=at(2026, 3, 10))
    with pytest.raises(Conflict):
        judicial.record_court(case, actor=mediator.user, status="confirmed", at=at(2026, 3, 11))
    judicial.record_court(case, actor=mediator.user, status="accepted", at=at(2026, 3, 12),
                          court_case_number="(2026)浙0483民特12号")
    jc = judicial.record_court(case, actor=mediator.user, status="confirmed", at=at(2026, 3, 20))
    assert (jc.status, jc.accepted_at, jc.decided_at) == ("confirmed", at(2026, 3, 12), at(2026, 3, 20))


def test_judicial_application_after_30_days_is_refused(mediator):
    from xiangzhi.core.errors import Conflict
    from xiangzhi.disputes import rules
    from xiangzhi.disputes.services import judicial

    case = effective_case(mediator)
    assert not rules.can_offer(case, now=at(2026, 4, 2), applied=False)
    with pytest.raises(Conflict, match="30日"):
        judicial.apply(case, actor=mediator.user, court="桐乡市人民法院", applied_at=at(2026, 4, 2))


def test_the_30_day_warning_is_sent_once_before_the_window_closes(mediator):
    from xiangzhi.core.models import Notification
    from xiangzhi.disputes.services import deadlines

    case = effective_case(mediator)
    assert deadlines.judicial_warnings(now=at(2026, 3, 20)) == 0
    assert deadlines.judicial_warnings(now=at(2026, 3, 28)) >= 2  # mediator + applicant SMS
    assert deadlines.judicial_warnings(now=at(2026, 3, 29)) == 0
    keys = set(Notification.objects.filter(dedupe_key__startswith=f"case:{case.pk}:jc-window").values_list(
        "dedupe_key", flat=True))
    assert f"case:{case.pk}:jc-window:mediator" in keys
