"""The party's status page on a 360-px phone: stage, colour word and countdown while the case runs; after closing,
the satisfaction rating."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_fits_width, screenshot
from tests.conftest import make_citizen
from tests.disputes.conftest import new_case, session, walk
from xiangzhi.disputes.services import transitions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(context, live_server_url: str, phone: str) -> None:
    from django.conf import settings

    _, client = make_citizen(phone)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server_url}])


def test_status_page_shows_stage_colour_word_and_countdown_then_the_rating(live_server, browser, mediator, settings):
    from xiangzhi.disputes.enums import CaseStage as S
    from xiangzhi.disputes.models import Feedback

    settings.XIANGZHI_PUBLIC_URL = live_server.url
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=1, locale="zh-CN",
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    _sign_in(context, live_server.url, "13800000001")
    page.goto(f"{live_server.url}/cases/s/{case.token}/")
    state = page.locator(".card").first.inner_text()
    assert "调解中" in state and "黄色" in state and "剩 " in state and "天" in state, state
    assert_fits_width(page)
    screenshot(page, "disputes-status-countdown-360")

    session(case, mediator.user)
    case = transitions.transition(case, S.AGREEMENT_ORAL, actor=mediator.user, reason="达成", details=transitions.Agree("李四拆除围墙"))
    transitions.transition(case, S.CLOSED, actor=mediator.user, reason="已履行")
    page.goto(f"{live_server.url}/cases/s/{case.token}/")
    assert "绿色" in page.locator(".card").first.inner_text()
    page.click("#feedback-link")
    page.wait_for_url("**/feedback/")
    assert "已结案" in page.inner_text("#case-state") and "绿色" in page.inner_text("#case-state")
    page.check("input[name=rating][value='5']")
    page.fill("textarea[name=comment]", "调解员很耐心")
    assert_fits_width(page)
    screenshot(page, "disputes-status-rating-360")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url("**/feedback/")
    assert "满意度 5 星" in page.content()
    screenshot(page, "disputes-status-rated-360")
    assert Feedback.objects.get(case=case).rating == 5
    context.close()
