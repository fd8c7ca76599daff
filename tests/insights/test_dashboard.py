"""Dashboards: scoping (a town supervisor sees only their town), constant query counts, tables that equal the
drill-down lists, exports that open, the wall display."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.conftest import CHONGFU, COUNTY, WUZHEN
from tests.insights.conftest import bulk_cases
from xiangzhi.disputes.models import Case
from xiangzhi.insights import selectors, summary

pytestmark = pytest.mark.django_db


def test_the_county_dashboard_shows_every_chart_as_a_table(cases_2026, county_admin):
    r = county_admin.client().get("/insights/", {"region": COUNTY, "period": "2026"})
    assert r.status_code == 200
    html = r.content.decode()
    for title in ("各月纠纷数", "纠纷类型", "案件来源", "各镇（街道）纠纷数", "办理阶段分布", "五色管理分布", "各层级调处纠纷占比",
                  "结案用时分布", "超期与红色案件", "纠纷最多的十个村", "镇、村调解组织调处纠纷占比"):
        assert title in html, title
    assert 'data-table="type"' in html and "vendor/echarts/echarts.min.js" in html
    assert "<script>" not in html.replace('<script id="insights-charts" type="application/json">', "")


def test_local_share_is_town_and_village_share_of_successful_mediations(cases_2026):
    period = selectors.parse_period("2026")
    board = selectors.dashboard(None, region=selectors.region_for(COUNTY), period=period)
    accepted = Case.objects.filter(created_at__gte=period.start, created_at__lt=period.end).exclude(
        stage__in=["reported", "not_accepted"])
    success = accepted.filter(agreement_effective_at__isnull=False)  # no case of the fixture was ever reopened
    local = success.filter(level__in=["grid", "village", "town"]).count()
    assert 0 < local < success.count() < accepted.count()
    assert (board.cards["success"], board.cards["local"]) == (success.count(), local)
    assert board.cards["local_share"] == round(100 * local / success.count(), 2)
    assert board.cards["total"] == Case.objects.filter(created_at__gte=period.start, created_at__lt=period.end).count()


def test_a_town_supervisor_sees_only_their_town(cases_2026, town_staff, county_admin):
    client = town_staff.client()
    r = client.get("/insights/", {"period": "2026"})
    assert r.status_code == 200
    assert "乌镇镇" in r.content.decode()
    wuzhen = Case.objects.filter(region_code__startswith=WUZHEN, created_at__year=2026).count()
    board = selectors.dashboard(town_staff.user, region=selectors.region_for(WUZHEN),
                                period=selectors.parse_period("2026"))
    assert board.cards["total"] == wuzhen
    for path in ("/insights/", "/insights/wall/", "/insights/export.xlsx", "/insights/cases/", "/insights/report/",
                 "/api/v1/insights/dashboard", "/api/v1/insights/report"):
        assert client.get(path, {"region": CHONGFU, "period": "2026"}).status_code == 404, path
        assert client.get(path, {"region": COUNTY, "period": "2026"}).status_code == 404, path
    county = county_admin.client().get("/api/v1/insights/dashboard", {"region": COUNTY, "period": "2026"}).json()
    assert county["cards"]["total"] > wuzhen
    # no chart of the town dashboard leaks a 崇福镇 village
    html = r.content.decode()
    assert "崇福" not in html


def test_people_without_dispute_roles_get_nothing(cases_2026, bank_officer, client):
    assert bank_officer.client().get("/insights/").status_code == 404
    assert client.get("/insights/").status_code == 302


def test_dashboard_query_count_is_constant_in_the_number_of_cases(tongxiang, county_admin,
                                                                 django_assert_num_queries):
    from xiangzhi.disputes.services.routing import ensure_reference_data

    ensure_reference_data()
    bulk_cases(10, seed=3)
    client = county_admin.client()
    client.get("/insights/", {"period": "2026"})  # warm the session (and build the summary)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get("/insights/", {"period": "2026"}).status_code == 200
    bulk_cases(90, seed=4)
    summary.sync()  # what runperiodic does every minute (a page folds what is left, in batches of summary.CHUNK)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get("/insights/", {"period": "2026"}).status_code == 200
    # the selector alone: the summary check, its cells, the deadlines near now (today's, and the colours they change),
    # types, regions, the user's memberships
    with django_assert_num_queries(7):
        selectors.dashboard(county_admin.user, region=selectors.region_for(COUNTY),
                            period=selectors.parse_period("2026"))


@pytest.mark.parametrize("chart", ["type", "source", "stage", "colour", "level", "town", "village", "month", "days"])
def test_every_table_entry_drills_down_to_as_many_cases(cases_2026, county_admin, chart):
    user = county_admin.user
    board = selectors.dashboard(user, region=selectors.region_for(COUNTY), period=selectors.parse_period("2026"),
                                link_base="/insights/cases/")
    from django.http import QueryDict

    rows = board.chart(chart).rows
    assert rows
    for row in rows:
        params = QueryDict(row.href.split("?", 1)[1])
        qs, _ = selectors.drill_cases(user, params)
        expected = row.values[0]
        if chart == "level":
            expected = row.values[0]  # successful mediations at that level
        assert qs.count() == expected, (chart, row.label, row.href)


def test_the_drill_down_page_lists_the_cases(cases_2026, county_admin):
    board = selectors.dashboard(county_admin.user, region=selectors.region_for(COUNTY),
                                period=selectors.parse_period("2026"), link_base="/insights/cases/")
    row = board.chart("type").rows[0]
    r = county_admin.client().get(row.href)
    assert r.status_code == 200
    html = r.content.decode()
    assert f"<strong data-total>{row.values[0]}</strong>" in html
    assert "/cases/workbench/" in html


def test_exports_open_with_openpyxl(cases_2026, county_admin):
    client = county_admin.client()
    r = client.get("/insights/export.xlsx", {"period": "2026"})
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert "概览" in wb.sheetnames and "纠纷类型" in wb.sheetnames
    one = load_workbook(io.BytesIO(client.get("/insights/export.xlsx", {"period": "2026", "chart": "type"}).content))
    assert one.sheetnames == ["纠纷类型"]
    assert one["纠纷类型"]["A1"].value == "项目"
    assert client.get("/insights/export.xlsx", {"chart": "nope"}).status_code == 404


def test_the_wall_display_refreshes_itself(cases_2026, centre_staff):
    r = centre_staff.client().get("/insights/wall/", {"period": "2026"})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'http-equiv="refresh"' in html and 'data-refresh="300"' in html and "大屏" in html


def test_percentile_nearest_rank():
    assert selectors.percentile({1: 5, 10: 4, 100: 1}, 0.9) == 10
    assert selectors.percentile({}, 0.9) == 0
    assert selectors.percentile({3: 1}, 0.9) == 3


def test_the_export_writes_names_as_text(cases_2026, county_admin):
    from tests.core.test_xlsx import FORMULAS
    from xiangzhi.disputes.models import DisputeType

    types = list(DisputeType.objects.filter(pk__in=Case.objects.values("dispute_type")).order_by("pk")[:4])
    for t, name in zip(types, FORMULAS, strict=True):
        DisputeType.objects.filter(pk=t.pk).update(name=name)
    r = county_admin.client().get("/insights/export.xlsx", {"period": "2026", "chart": "type"})
    assert r.status_code == 200
    labels = {c.value: c.data_type for c in load_workbook(io.BytesIO(r.content))["纠纷类型"]["A"]}
    assert {name: labels.get(name) for name in FORMULAS} == dict.fromkeys(FORMULAS, "s")
