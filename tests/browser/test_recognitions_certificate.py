"""法治荣誉 on a 360-px phone: anyone who scans a certificate sees it is valid (and an edited one forged); the holder
signs in, makes an e法贷 consent code, a bank checks it through the API, and the check shows on the holder's page."""

import pytest
from django.test import Client

from tests.browser.conftest import assert_fits_width, screenshot, sms_code
from tests.recognitions.conftest import nominate, register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_scanned_certificate_and_an_e_fadai_check_on_a_phone(live_server, phone_page, tongxiang, mediator,
                                                              town_staff, county_admin, bank_officer):
    from xiangzhi.core import services
    from xiangzhi.recognitions import certificates

    holder = register(nominate(mediator.user, phone="13800000001"), town_staff, county_admin)
    token = certificates.token_of(holder)

    page = phone_page
    page.goto(f"{live_server.url}/r/{token}")
    assert page.locator(".verdict").get_attribute("data-status") == "valid"
    assert "张**" in page.inner_text("body") and holder.serial in page.inner_text("body")
    assert_fits_width(page)
    screenshot(page, "recognitions-verify-valid")

    statement, signature = token.split(".")
    page.goto(f"{live_server.url}/r/{statement[:-2]}AA.{signature}")
    assert page.locator(".verdict").get_attribute("data-status") == "forged"
    screenshot(page, "recognitions-verify-forged")

    page.goto(f"{live_server.url}/recognitions/me/")
    page.fill("#id_phone", "13800000001")
    page.get_by_role("button", name="获取验证码").click()
    page.fill("#id_code", sms_code())
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/recognitions/me/**")
    page.get_by_role("button", name="生成授权码").click()
    code = page.locator(".consent-code").get_attribute("data-code")
    assert len(code) == 8
    assert_fits_width(page)
    screenshot(page, "recognitions-consent-code")

    raw = services.issue_api_token(bank_officer.user, name="农商银行e法贷", actor=None, scopes=["recognitions:write"])
    answer = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        "/api/v1/recognitions/efadai/check", {"code": code}, content_type="application/json").json()
    assert answer["eligible"] is True and answer["masked_name"] == "张**"

    page.goto(f"{live_server.url}/recognitions/me/")
    assert "符合（法律明白人）" in page.inner_text("body")
    screenshot(page, "recognitions-checks-shown")
