"""桐解码 in a browser: a villager applies on a 360-px phone, scans the case code, a village mediator takes the case
to a signed and sealed agreement, and the villager sees it; a grid worker settles a dispute on the spot."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image

from tests.browser.conftest import assert_fits_width, login_staff, phone_context, screenshot, sms_code
from tests.conftest import PASSWORD, first_village

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_villager_applies_scans_the_code_and_sees_the_signed_agreement(live_server, browser, phone_page, mediator,
                                                                        settings):
    from xiangzhi.disputes.models import Case
    from xiangzhi.disputes.services.routing import ensure_reference_data

    ensure_reference_data()
    settings.XIANGZHI_PUBLIC_URL = live_server.url
    village = first_village("330483100")
    page = phone_page
    # 1. the villager scans the village code: the form opens with the village chosen, after a phone check
    page.goto(f"{live_server.url}/cases/apply/?v={village.code}")
    page.get_by_text("用手机号验证后申请").click()
    page.fill("#id_phone", "13800000001")
    page.get_by_role("button", name="获取验证码").click()
    page.fill("#id_code", sms_code())
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/cases/apply/**")
    assert page.locator("#id_region_code").input_value() == village.code
    page.fill("#id_applicant_name", "张三")
    page.fill("#id_respondent_name", "李四")
    page.fill("#id_description", "隔壁邻居翻建房屋，把围墙砌到我家院子里来了，占了一米多")
    page.fill("#id_request", "请求拆除占地部分的围墙")
    page.fill("#id_preferred_mediator", mediator.user.display_name)  # 人民调解法 第23条: the party names a mediator
    page.check("#id_consent")
    assert_fits_width(page)
    screenshot(page, "disputes-apply-360")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/cases/s/**")
    case = Case.objects.get()
    assert case.number in page.content()
    assert_fits_width(page)
    screenshot(page, "disputes-status-new-360")
    # 2. the QR code on the phone screen decodes to the case's public URL, which opens the status page
    png = page.locator("#case-code svg").screenshot()
    decoded = [b.text for b in zxingcpp.read_barcodes(np.asarray(Image.open(io.BytesIO(png)).convert("L")))]
    assert decoded == [case.public_url]
    page.goto(decoded[0])
    assert page.locator(".stage").inner_text() == "已申报"

    # 3. the village mediator takes the case through to a written agreement, signed and sealed
    ctx, staff = phone_context(browser)
    login_staff(staff, live_server.url, mediator.user.username, PASSWORD)
    staff.goto(f"{live_server.url}/cases/workbench/")
    assert_fits_width(staff)
    screenshot(staff, "disputes-workbench-360")
    staff.get_by_role("link", name=case.number).click()
    staff.locator("form.action-accepted button").click()
    assert staff.locator("form.action-assigned input[name=chosen_by_party]").is_checked()
    staff.locator("form.action-assigned button").click()
    assert "当事人选定" in staff.locator(".kv").first.inner_text()
    # the respondent has no phone: told by the grid worker (recorded), answers in person; both are served the
    # notice of rights and obligations (人民调解法 第17、23、24条) before the rights-notice stage
    assert "须以记录在案的方式通知" in staff.locator(".party-records").inner_text()
    staff.locator(".notice-form select[name=method]").select_option("grid_worker")
    staff.fill(".notice-form input[name=by]", "网格员王某")
    staff.locator(".notice-form button").click()
    staff.locator(".consent-form select[name=agree]").select_option("1")
    staff.locator(".consent-form select[name=method]").select_option("in_person")
    staff.locator(".consent-form button").click()
    staff.locator(".rights-form button").click()
    records = staff.locator(".party-records").inner_text()
    assert "网格员当面告知" in records and "当面表示" in records and records.count("已送达") == 2
    assert_fits_width(staff)
    staff.locator("form.action-notice_served button").click()
    staff.locator("form.action-in_mediation button").click()
    staff.fill(".session-form input[name=attendees]", "张三、李四、调解员钱建国")
    staff.fill(".session-form textarea[name=summary]", "双方陈述事实，经释法说理，李四同意拆除多砌的围墙")
    staff.get_by_role("button", name="保存调解记录").click()
    # both parties agreed to take longer: the form asks how and when each of them consented
    consented = timezone.localtime().strftime("%Y-%m-%dT%H:%M")  # since mediation began, not in the future
    times = staff.locator(".extend-form input[type=datetime-local]")
    assert times.count() == 2
    for i in range(times.count()):
        times.nth(i).fill(consented)
    staff.locator(".extend-form select").nth(1).select_option("phone")
    staff.fill("input[name=reason][aria-label=延长理由]", "双方同意再协商一个月")
    staff.get_by_role("button", name=re.compile("延长调解期限")).click()
    staff.locator(".extend-form").wait_for(state="detached")  # the POST's answer has replaced the page (slow CI)
    assert "已保存" in staff.content() and "调解期限延长" in staff.content()
    screenshot(staff, "disputes-case-extended-360")
    staff.fill("form.action-agreement_written textarea[name=agreement_text]",
               "一、李四于2026年12月10日前拆除多砌部分围墙；二、张三不再追究其他责任。")
    staff.locator("form.action-agreement_written button").click()
    assert_fits_width(staff)
    screenshot(staff, "disputes-case-signing-360")
    staff.get_by_role("button", name=re.compile("记录申请人")).click()
    staff.get_by_role("button", name=re.compile("记录被申请人")).click()
    staff.get_by_role("button", name="调解员签名").click()
    staff.get_by_role("button", name="加盖调解委员会印章").click()
    assert "协议已生效" in staff.locator(".stage").inner_text()
    screenshot(staff, "disputes-case-effective-360")
    ctx.close()

    # 4. the villager sees the agreement on the status page
    page.goto(case.public_url)
    assert "达成协议" in page.locator(".stage").inner_text()
    assert "李*" in page.content() and "李四" not in page.content()
    assert_fits_width(page)
    screenshot(page, "disputes-status-agreement-360")


def test_grid_worker_records_a_dispute_resolved_on_the_spot(live_server, phone_page, grid_worker):
    from xiangzhi.disputes.models import Case
    from xiangzhi.disputes.services.routing import ensure_reference_data

    ensure_reference_data()
    page = phone_page
    login_staff(page, live_server.url, grid_worker.user.username, PASSWORD)
    page.goto(f"{live_server.url}/cases/grid/new/")
    page.fill("#id_applicant_name", "王阿姨")
    page.fill("#id_applicant_phone", "13812345678")
    page.fill("#id_respondent_name", "赵师傅")
    page.select_option("#id_region_code", grid_worker.region.parent.code)
    page.fill("#id_description", "楼上赵师傅家空调外机滴水到王阿姨家晾衣架上")
    page.check("#id_consent")
    page.check("#id_on_spot")
    page.fill("#id_on_spot_agreement", "赵师傅当场加装接水管，王阿姨表示满意")
    assert_fits_width(page)
    screenshot(page, "disputes-grid-intake-360")
    page.get_by_role("button", name="登记").click()
    page.wait_for_url("**/cases/workbench/*/")
    case = Case.objects.get()
    assert case.stage == "closed" and case.level == "grid" and case.resolved_on_spot
    assert page.locator(".stage").inner_text() == "已结案"
    assert_fits_width(page)
    screenshot(page, "disputes-grid-closed-360")
