"""民主法治村 creation in the workbench, on an office screen: the town's justice office plans, sets a task, uploads a
photo as evidence, completes it and applies; the bureau assigns an assessor, who scores the checklist; the bureau
names the village; the dashboard shows the title."""

import pytest

from tests.browser.conftest import login_staff, screenshot
from tests.conftest import PASSWORD, WUZHEN, first_village
from tests.villages.conftest import _evidence_dir, assessor, png_bytes, standards  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def submit(page, name: str) -> None:  # noqa: ANN001
    """Click a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def test_an_office_cultivates_and_applies_an_assessor_scores_and_the_bureau_names(
        live_server, browser, tongxiang, standards, county_admin, town_staff, assessor):  # noqa: F811
    from xiangzhi.villages.models import Application, CreationRecord

    village = first_village(WUZHEN)

    def desk():  # noqa: ANN202
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        return context, context.new_page()

    ctx, office = desk()
    login_staff(office, live_server.url, town_staff.user.username, PASSWORD)
    office.goto(f"{live_server.url}/villages/staff/")
    office.get_by_role("link", name=village.name).click()
    office.locator("summary", has_text="制定创建规划").click()
    office.fill("textarea[name=targets]", "修订村规民约并公示\n村民代表会议按季召开")
    submit(office, "保存规划")
    office.locator("summary", has_text="布置培育任务").click()
    office.fill("input[name=title]", "修订村规民约并公示")
    submit(office, "布置")
    office.set_input_files("input[type=file][name=file]",
                           files=[{"name": "村规民约公示栏.png", "mimeType": "image/png", "buffer": png_bytes()}])
    submit(office, "上传")
    office.wait_for_selector("text=村规民约公示栏.png")
    submit(office, "完成")
    office.locator("form:has(input[value=apply]) select[name=level]").select_option("county")
    submit(office, "提交申报")
    office.wait_for_selector("text=已申报")
    screenshot(office, "villages_record_applied")
    app = Application.objects.get()
    ctx.close()

    ctx, bureau = desk()
    login_staff(bureau, live_server.url, county_admin.user.username, PASSWORD)
    bureau.goto(f"{live_server.url}/villages/staff/applications/{app.pk}/")
    bureau.fill("input[name=usernames]", assessor.user.username)
    submit(bureau, "指派")
    ctx_a, judge = desk()
    login_staff(judge, live_server.url, assessor.user.username, PASSWORD)
    judge.goto(f"{live_server.url}/villages/staff/")
    judge.get_by_role("link", name=f"{village.name} · 县级（桐乡市级）").click()
    for i, field in enumerate(judge.locator("input[type=number]").all()):
        field.fill(["38", "27", "26"][i])
    screenshot(judge, "villages_score_sheet")
    submit(judge, "提交评分")
    judge.wait_for_selector("text=考核通过")
    ctx_a.close()
    bureau.reload()
    submit(bureau, "命名")
    bureau.wait_for_selector("text=已命名")
    assert CreationRecord.objects.get(region=village).highest_level == "county"
    bureau.goto(f"{live_server.url}/villages/staff/dashboard/")
    row = bureau.locator("tr", has_text="乌镇镇")
    assert "1" in row.inner_text()
    screenshot(bureau, "villages_dashboard")
    ctx.close()
