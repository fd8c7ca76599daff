"""待办 in a browser: the village mediator opens the workbench on the to-do view; each group's count is the direct
count of the cases the rules put in it, its rows link to the cases, and "全部案件" leads to the whole list."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import login_staff, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_mediator_sees_the_to_do_groups_with_their_counts(live_server, desktop_page, mediator, town_staff):
    from django.utils import timezone

    from tests.disputes.conftest import new_case, walk
    from tests.disputes.test_todo import expected_group
    from xiangzhi.disputes import selectors
    from xiangzhi.disputes.enums import CaseStage as S
    from xiangzhi.disputes.models import Case
    from xiangzhi.disputes.services import transitions

    cases = []
    for i, (to, days) in enumerate([(S.REPORTED, 0), (S.REPORTED, 9), (S.ACCEPTED, 0), (S.ACCEPTED, 1),
                                    (S.NOTICE_SERVED, 4), (S.NOTICE_SERVED, 0), (S.IN_MEDIATION, 40),
                                    (S.AGREEMENT_WRITTEN, 0), (S.AGREEMENT_WRITTEN, 10)]):
        case = walk(new_case(applicant_phone=f"1380000{i:04d}"), to, mediator.user)
        Case.objects.filter(pk=case.pk).update(stage_changed_at=timezone.now() - dt.timedelta(days=days))
        cases.append(case)
    assigned = walk(new_case(applicant_phone="13800009998"), S.ACCEPTED, mediator.user)
    cases.append(transitions.transition(assigned, S.ASSIGNED, actor=town_staff.user, reason="指派",
                                        details=transitions.Assign(mediator.user.pk)))
    closed = new_case(applicant_phone="13800009999")
    Case.objects.filter(pk=closed.pk).update(stage=S.CLOSED, stage_changed_at=timezone.now() - dt.timedelta(days=30))
    cases.append(closed)

    page = desktop_page
    login_staff(page, live_server.url, mediator.user.username, PASSWORD)
    page.goto(f"{live_server.url}/cases/workbench/")
    assert page.locator("h1").inner_text() == "待办"
    now = timezone.now()
    direct = dict.fromkeys(selectors.TODO_GROUPS, 0)
    for case in cases:
        key = expected_group(mediator.user, case, now)
        if key:
            direct[key] += 1
    shown = {key: int(page.locator(f"[data-count={key}]").inner_text()) for key in selectors.TODO_GROUPS}
    assert shown == direct
    assert all(direct[k] for k in ("overdue", "confirm", "accept", "assign", "waiting")), direct
    for key, n in direct.items():
        section = page.locator(f"section[data-group={key}]")
        assert section.count() == (1 if n else 0)
        if n:
            assert section.locator("tbody tr").count() == n
    assert page.get_by_role("link", name=closed.number).count() == 0  # finished: never in 待办
    screenshot(page, "disputes-todo")
    page.locator("section[data-group=confirm]").get_by_role("link", name=cases[-2].number).click()
    page.wait_for_url(f"**/cases/workbench/{cases[-2].pk}/")
    page.goto(f"{live_server.url}/cases/workbench/")
    page.click("#all-cases")
    page.wait_for_url("**/cases/workbench/?scope=all")
    assert page.locator("h1").inner_text() == "纠纷案件"
    assert page.get_by_role("link", name=closed.number).count() == 1
    assert page.errors == []
