"""一案一码 on a 360-px phone: a party scans the case code, proves their phone with an SMS code, reads the written
agreement and signs it for themselves (「确认并签名」); an outsider who opens the same code sees only the stage."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.browser.conftest import assert_fits_width, screenshot, sms_code
from tests.conftest import first_village
from xiangzhi.disputes.services import intake, routing, transitions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TEXT = "李四于2026年12月31日前自费拆除占用张三宅基地的围墙（约一米），并恢复原状；张三不再追究其他责任。"


def _agreement_case(mediator_user):
    from tests.disputes.conftest import session, walk
    from xiangzhi.disputes.enums import CaseStage as S

    routing.ensure_reference_data()
    case = intake.create_case(intake.IntakeIn(
        applicant=intake.PartyIn(name="张三", phone="13800000001"),
        respondents=[intake.PartyIn(name="李四", phone="13900000002")],
        region_code=first_village("330483100").code, description="隔壁邻居把围墙砌到我家院子里来了，占了一米多",
        request="拆除围墙", consent=True), actor=None, channel="online")
    case = walk(case, S.IN_MEDIATION, mediator_user)
    session(case, mediator_user)
    return transitions.transition(case, S.AGREEMENT_WRITTEN, actor=mediator_user, reason="达成协议", details=transitions.Agree(TEXT, Decimal("300.00")))


def _login_by_phone(page, phone: str) -> None:
    page.get_by_text("验证手机号").click()
    page.fill("#id_phone", phone)
    page.get_by_role("button", name="获取验证码").click()
    page.fill("#id_code", sms_code())
    page.get_by_role("button", name="登录").click()


def test_a_party_signs_the_agreement_on_a_phone(live_server, phone_page, browser, mediator):
    from xiangzhi.disputes.models import Signature

    case = _agreement_case(mediator.user)
    page = phone_page
    page.goto(f"{live_server.url}/cases/s/{case.token}/")
    assert TEXT not in page.content()  # before the phone check: the stage only
    _login_by_phone(page, "13800000001")
    page.wait_for_url(f"**/cases/s/{case.token}/")
    card = page.locator("#agreement")
    card.scroll_into_view_if_needed()
    assert TEXT in card.inner_text() and "未签名" in card.inner_text()
    assert_fits_width(page)
    screenshot(page, "disputes-party-sign-before-360")
    page.get_by_role("button", name="确认并签名").click()  # the confirmation box is required first
    assert Signature.objects.count() == 0
    page.check("input[name=confirm]")
    page.get_by_role("button", name="确认并签名").click()
    page.wait_for_selector("#signed-note")
    assert "您已在调解协议上签名" in page.content()
    assert page.get_by_role("button", name="确认并签名").count() == 0
    assert_fits_width(page)
    screenshot(page, "disputes-party-sign-after-360")
    sig = Signature.objects.get()
    assert sig.party.role == "applicant" and sig.method == "electronic"

    # someone else who opens the same code (another phone) sees the stage, not the agreement
    other = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN", is_mobile=True)
    try:
        stranger = other.new_page()
        stranger.goto(f"{live_server.url}/cases/s/{case.token}/")
        _login_by_phone(stranger, "13700000077")
        stranger.wait_for_url(f"**/cases/s/{case.token}/")
        assert TEXT not in stranger.content() and stranger.get_by_role("button", name="确认并签名").count() == 0
        assert "不是本案当事人" in stranger.locator("#not-a-party").inner_text()
        screenshot(stranger, "disputes-party-sign-outsider-360")
    finally:
        other.close()
    assert Signature.objects.count() == 1
