"""咨询需求分析 in a browser: the justice bureau's view of what villagers ask — the town × topic table and the weekly
chart (ECharts from local static files, Chinese legend), and its Excel export."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import login_staff, screenshot
from tests.conftest import CHONGFU, PASSWORD, WUZHEN
from tests.consultation.test_demand_dashboard import _ask, _weekly

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_bureau_reads_demand_by_town_and_week_and_exports_it(live_server, desktop_page, county_admin,
                                                                  tmp_path):
    _weekly("借贷纠纷", 4, 10)
    _weekly("劳动争议", 2, 6)
    _weekly("相邻关系", 3, 2, town=CHONGFU)
    _weekly("婚姻家庭", 2, 3, town=CHONGFU)
    _ask("土地承包", 2, n=5)
    _ask("物业服务", 45, town=WUZHEN, n=6)
    page = desktop_page
    login_staff(page, live_server.url, county_admin.user.username, PASSWORD)
    page.goto(f"{live_server.url}/consult/workbench/dashboard/")
    page.wait_for_selector("#demand-weekly canvas")
    assert page.locator(".heat-table tbody tr").count() == 2
    assert page.locator(".heat-table td.heat-4").count() >= 1
    screenshot(page, "consult-demand-dashboard")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    path = tmp_path / "demand.xlsx"
    download.value.save_as(path)
    assert load_workbook(path).sheetnames == ["概览", "各镇主题", "按周", "上升主题", "热门问题"]
    assert page.errors == []
