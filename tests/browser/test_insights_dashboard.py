"""研判 in a browser: the county dashboard on a demo-like year (ECharts drawn from local static files, Chinese
labels), a table entry clicked through to its cases, and the mediation report exported to Excel."""

from __future__ import annotations

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.browser.conftest import login_staff, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_dashboard_drill_down_and_report_export(live_server, desktop_page, centre_staff, tmp_path):
    from xiangzhi.insights import demo

    year = timezone.localdate().year
    demo.build_year(seed=11, cases=400, say=lambda s: None, service_cases=2)
    page = desktop_page
    errors = page.errors
    login_staff(page, live_server.url, centre_staff.user.username, PASSWORD)
    page.goto(f"{live_server.url}/insights/?period={year}")
    page.wait_for_selector('[data-chart="type"] canvas')
    assert "镇、村调解组织调处纠纷占比" in page.inner_text("body")
    share = page.inner_text('[data-card="local_share"]')
    # the figure the page shows is the direct count's: successful mediations by town and village organisations
    from xiangzhi.disputes import selectors as dsel
    from xiangzhi.disputes.models import Case

    done = Case.objects.filter(dsel.successful_q(), created_at__year=year)
    local = done.filter(dsel.local_q()).count()
    assert share == f"{round(100 * local / done.count(), 2)}%" and 69 <= float(share[:-1]) <= 73
    assert int(page.inner_text('[data-card="success"]')) == done.count()
    assert int(page.inner_text('[data-card="local"]')) == local
    screenshot(page, "insights-county-dashboard")
    assert not errors, errors
    # a table entry → the list of its cases
    first = page.locator('[data-table="type"] tbody tr').first
    label = first.locator("th a").inner_text()
    expected = int(first.locator("td").first.inner_text())
    first.locator("th a").click()
    page.wait_for_url("**/insights/cases/**")
    assert int(page.inner_text("[data-total]")) == expected
    assert page.locator("table.cases tbody tr").count() == min(expected, 50)
    assert label in page.inner_text("table.cases")
    screenshot(page, "insights-drilldown")
    # the report, exported
    page.goto(f"{live_server.url}/insights/report/?period={year}")
    assert "人民调解工作统计表" in page.inner_text("h1")
    with page.expect_download() as dl:
        page.click("#report-export")
    path = tmp_path / "report.xlsx"
    dl.value.save_as(path)
    wb = load_workbook(path)
    ws = wb["按纠纷类型"]
    assert ws.cell(row=3, column=2).value == "受理纠纷（件）"
    assert ws.cell(row=ws.max_row, column=1).value == "合计"
