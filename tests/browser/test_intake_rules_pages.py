"""The intake rules on the pages, on a phone: the window form asks where the respondent lives and whether another body
already has the matter; the case page shows a cross-area case, the proposal not to accept it with ground and route
filled in, and the extension form asking each party's consent."""

from __future__ import annotations

import dataclasses

import pytest
from django.utils import timezone

from tests.browser.conftest import assert_fits_width, login_staff, phone_context, screenshot
from tests.conftest import PASSWORD, first_village
from tests.disputes.conftest import CHONGFU, WUZHEN, intake_data, walk_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_window_form_case_page_proposal_and_per_party_extension(live_server, browser, mediator, centre_staff):
    from xiangzhi.disputes.models import Case
    from xiangzhi.disputes.services import intake
    from xiangzhi.disputes.services.intake import PartyIn
    from xiangzhi.disputes.services.routing import ensure_reference_data

    ensure_reference_data()
    ctx, page = phone_context(browser)
    login_staff(page, live_server.url, centre_staff.user.username, PASSWORD)
    page.goto(f"{live_server.url}/cases/workbench/new/")
    page.fill("#id_applicant_name", "张三")
    page.fill("#id_applicant_phone", "13800000001")
    page.fill("#id_respondent_name", "李四")
    page.select_option("#id_respondent_region_code", first_village(CHONGFU).code)
    page.select_option("#id_region_code", first_village(WUZHEN).code)
    page.check("input[name=other_proceeding][value=court]")
    page.fill("#id_description", "两家因宅基地界线发生争执，对方住在崇福镇，已向法院起诉")
    assert_fits_width(page)
    screenshot(page, "disputes-intake-window-cross-area-360")
    page.get_by_role("button", name="登记").click()
    case = Case.objects.get()
    assert case.cross_area == "towns" and case.other_proceeding == "court"
    page.wait_for_url(f"**/cases/workbench/{case.pk}/")
    assert "跨乡镇（街道）纠纷" in page.locator(".cross-area").inner_text()
    assert "建议不予受理" in page.locator(".proposal").inner_text()
    assert page.locator("form.action-not_accepted select[name=ground]").input_value() == "already_handled"
    assert "人民法院" in page.locator("form.action-not_accepted input[name=redirect_to]").input_value()
    assert_fits_width(page)
    screenshot(page, "disputes-case-cross-area-proposal-360")
    ctx.close()

    data = dataclasses.replace(intake_data(), respondents=[PartyIn(name="李四"), PartyIn(name="王五")])
    three = walk_at(intake.create_case(data, actor=None, channel="online"), "in_mediation", mediator.user,
                    timezone.now())
    ctx, page = phone_context(browser)
    login_staff(page, live_server.url, mediator.user.username, PASSWORD)
    page.goto(f"{live_server.url}/cases/workbench/{three.pk}/")
    times = page.locator(".extend-form input[type=datetime-local]")
    assert times.count() == 3
    for i in range(3):
        times.nth(i).fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    page.locator(".extend-form select").nth(2).select_option("written")
    page.fill(".extend-form input[name=reason]", "三方同意再协商一个月")
    screenshot(page, "disputes-case-extension-form-360")
    page.get_by_role("button", name="记录各方同意，延长调解期限一次").click()
    page.locator(".extend-form").wait_for(state="detached")  # the POST's answer has replaced the page (once per case)
    assert "已保存" in page.content()
    assert page.locator(".extension-consents li").count() == 3
    assert "书面表示同意" in page.locator(".extension-consents").inner_text()
    assert page.locator(".extend-form").count() == 0  # once per case
    assert_fits_width(page)
    screenshot(page, "disputes-case-extension-per-party-360")
    ctx.close()
