"""合法性审查 end to end: the town's justice office submits a document and assigns a lawyer on an office screen; the
lawyer reviews it on a 360-px phone, citing articles; issuing is refused until the review passes; the dashboard."""

import pytest

from tests.browser.conftest import assert_fits_width, login_staff, phone_context, screenshot
from tests.conftest import PASSWORD, WUZHEN
from tests.legality.conftest import TEXT, law_articles  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_submit_assign_review_on_a_phone_and_issue(live_server, browser, desktop_page, tongxiang, town_staff, lawyer,
                                                   law_articles):  # noqa: F811
    from xiangzhi.legality.models import Submission

    office = desktop_page
    login_staff(office, live_server.url, town_staff.user.username, PASSWORD)
    office.goto(f"{live_server.url}/legality/staff/submit/")
    office.select_option("select[name=region]", WUZHEN)
    office.select_option("select[name=kind]", "normative")
    office.fill("input[name=title]", "乌镇镇农村生活垃圾分类管理办法")
    office.fill("textarea[name=text]", TEXT)
    office.get_by_role("button", name="报送").click()
    office.wait_for_selector("text=指定审查人")
    office.check(f"input[name=reviewer][value='{lawyer.user.pk}']")
    office.get_by_role("button", name="指定").click()
    office.wait_for_selector("#legality-state:has-text('审查中')")
    sub = Submission.objects.get()
    assert sub.state == "under_review" and sub.due_date is not None

    ctx, phone = phone_context(browser)
    login_staff(phone, live_server.url, lawyer.user.username, PASSWORD)
    phone.goto(f"{live_server.url}/legality/staff/{sub.pk}/")
    phone.check("input[name=conclusion][value=lawful_if_revised]")
    phone.fill("textarea[name=reasons]", "第五条设定的罚款超出上位法规定的幅度，修改后合法。")
    phone.fill("input[name=citations]", "民法典-99999")
    phone.get_by_role("button", name="出具意见").click()
    phone.wait_for_selector("[role=alert]:has-text('引用的法条不存在')")
    phone.check("input[name=conclusion][value=lawful_if_revised]")
    phone.fill("textarea[name=reasons]", "第五条设定的罚款超出上位法规定的幅度，修改后合法。")
    phone.fill("input[name=citations]", "重大行政决策程序暂行条例-25")
    phone.get_by_role("button", name="出具意见").click()
    phone.wait_for_selector("#legality-state:has-text('待修改')")
    assert_fits_width(phone)
    screenshot(phone, "legality-opinion-phone")

    office.reload()
    assert office.locator("button", has_text="标记为已印发").count() == 0
    office.locator("summary", has_text="提交修改稿").click()
    office.fill("textarea[name=text]", TEXT + "\n第五条 罚款依照上位法的种类和幅度执行。")
    office.get_by_role("button", name="提交修改稿").click()
    office.wait_for_selector("#legality-state:has-text('审查中')")

    phone.reload()
    phone.check("input[name=conclusion][value=lawful]")
    phone.fill("textarea[name=reasons]", "已按意见修改，合法。")
    phone.fill("input[name=citations]", "重大行政决策程序暂行条例-25")
    phone.get_by_role("button", name="出具意见").click()
    phone.wait_for_selector("#legality-state:has-text('审查通过')")
    ctx.close()

    office.reload()
    office.get_by_role("button", name="标记为已印发").click()
    office.wait_for_selector("#legality-state:has-text('已印发')")
    screenshot(office, "legality-submission-issued")
    office.goto(f"{live_server.url}/legality/staff/dashboard/")
    row = office.locator("#legality-dashboard tr", has_text="乌镇镇").first.inner_text()
    assert "100%" in row
    screenshot(office, "legality-dashboard")
    assert office.errors == []
