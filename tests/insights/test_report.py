"""The people's-mediation report: every cell equals a direct ORM count over the same filters; constant queries;
the .xlsx opens with openpyxl and holds the same numbers; the command line writes it."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Q, Sum
from openpyxl import load_workbook

from tests.conftest import CHONGFU, COUNTY, WUZHEN
from tests.insights.conftest import bulk_cases
from xiangzhi.core.enums import OrgKind
from xiangzhi.core.xlsx import to_bytes
from xiangzhi.disputes.enums import Level
from xiangzhi.disputes.models import Case, DisputeType
from xiangzhi.insights import selectors, summary, xlsx

pytestmark = pytest.mark.django_db


def direct(qs, key):
    """Each column, counted the plain way: one filter, one count."""
    accepted = qs.exclude(stage__in=["reported", "not_accepted"])
    success = accepted.filter(agreement_effective_at__isnull=False)
    if key == "accepted":
        return accepted.count()
    if key == "success":
        return success.count()
    if key == "rate":
        a = accepted.count()
        return round(success.count() / a, 4) if a else 0.0
    if key == "amount":
        return (success.aggregate(s=Sum("agreement_amount"))["s"] or Decimal(0)).quantize(Decimal("0.01"))
    if key == "performed":
        return accepted.filter(insight_flags__agreement_performed=True).count()
    if key == "screened":
        return accepted.filter(insight_flags__found_by_screening=True).count()
    if key == "criminal":
        return accepted.filter(insight_flags__prevented_criminal=True).count()
    if key == "petition":
        return accepted.filter(insight_flags__prevented_petition=True).count()
    if key == "criminal_people":
        return sum(c.insight_flags.prevented_criminal_people for c in accepted.filter(insight_flags__prevented_criminal=True))
    if key == "petition_people":
        return sum(c.insight_flags.prevented_petition_people for c in accepted.filter(insight_flags__prevented_petition=True))
    if key == "judicial":
        return accepted.filter(selectors.judicial_q()).distinct().count()
    raise AssertionError(key)


def row_filters(section_index):
    if section_index == 0:
        return [(t.name, Q(dispute_type=t)) for t in DisputeType.objects.order_by("order", "code")]
    if section_index == 1:
        return [(str(label), Q(level=v)) for v, label in Level.choices]
    kinds = [OrgKind.VILLAGE_COMMITTEE, OrgKind.TOWN_COMMITTEE, OrgKind.PROFESSIONAL_COMMITTEE, OrgKind.COUNTY_CENTRE]
    out = [(str(OrgKind(k).label), Q(organisation__kind=k)) for k in kinds]
    return out


@pytest.mark.parametrize(("period_key", "region"), [("2026", COUNTY), ("2026Q4", WUZHEN), ("2026-10", COUNTY),
                                                     ("2026-03", CHONGFU)])
def test_every_cell_equals_a_direct_count(cases_2026, period_key, region):
    period = selectors.parse_period(period_key)
    report = selectors.mediation_report(None, period=period, region_code=region)
    base = Case.objects.filter(region_code__startswith=region, created_at__gte=period.start, created_at__lt=period.end)
    assert base.count() > 0
    checked = 0
    for i, section in enumerate(report.sections):
        expected_rows = row_filters(i)
        for (label, q), (got_label, row) in zip(expected_rows, section.rows, strict=False):
            assert label == got_label
            for col in report.columns:
                assert row[col.key] == direct(base.filter(q), col.key), (section.title, label, col.header)
                checked += 1
        # the kind section may end with 未确定承办组织 (cases not yet routed)
        if i == 2 and len(section.rows) > len(expected_rows):
            label, row = section.rows[-1]
            assert label == "未确定承办组织"
            for col in report.columns:
                assert row[col.key] == direct(base.filter(organisation__isnull=True), col.key)
                checked += 1
    for col in report.columns:
        assert report.totals[col.key] == direct(base, col.key), col.header
    assert checked > 100


def test_a_town_supervisor_gets_only_their_town_in_the_report(cases_2026, town_staff):
    period = selectors.parse_period("2026")
    mine = selectors.mediation_report(town_staff.user, period=period, region_code=WUZHEN)
    everything = selectors.mediation_report(None, period=period, region_code=WUZHEN)
    assert mine.totals == everything.totals
    assert town_staff.client().get("/insights/report/", {"region": CHONGFU, "period": "2026"}).status_code == 404
    assert town_staff.client().get("/insights/report.xlsx", {"region": COUNTY, "period": "2026"}).status_code == 404


def test_report_query_count_does_not_depend_on_the_number_of_cases(cases_2026, django_assert_num_queries):
    period = selectors.parse_period("2026")
    summary.sync()
    # the region, the types, the summary check, the cells, the screenings
    with django_assert_num_queries(5):
        selectors.mediation_report(None, period=period, region_code=COUNTY)
    bulk_cases(300, seed=9)
    summary.sync()
    with django_assert_num_queries(5):
        selectors.mediation_report(None, period=period, region_code=COUNTY)


def test_the_xlsx_opens_and_holds_the_same_numbers_with_a_totals_row(cases_2026):
    report = selectors.mediation_report(None, period=selectors.parse_period("2026Q4"), region_code=COUNTY)
    wb = load_workbook(io.BytesIO(to_bytes(xlsx.report_workbook(report))))
    assert wb.sheetnames == ["按纠纷类型", "按调解组织层级", "按调解组织类型"]
    ws = wb["按纠纷类型"]
    headers = [c.value for c in ws[3]]
    assert headers[0] == "纠纷类型" and "受理纠纷（件）" in headers and "防止民转刑（人）" in headers
    last = [c.value for c in ws[ws.max_row]]
    assert last[0] == "合计"
    assert last[headers.index("受理纠纷（件）")] == report.totals["accepted"]
    assert last[headers.index("调解成功（件）")] == report.totals["success"]
    assert abs(last[headers.index("协议涉及金额（元）")] - float(report.totals["amount"])) < 0.01
    body = [[c.value for c in r] for r in ws.iter_rows(min_row=4, max_row=ws.max_row - 1)]
    assert sum(r[headers.index("受理纠纷（件）")] for r in body) == report.totals["accepted"]


def test_the_command_writes_the_report(cases_2026, tmp_path):
    out = tmp_path / "r.xlsx"
    stdout = io.StringIO()
    call_command("report", "mediation", "--period", "2026-10", "--region", WUZHEN, "-o", str(out), stdout=stdout)
    wb = load_workbook(out)
    assert "乌镇镇人民调解工作统计表（2026年10月）" in wb["按纠纷类型"]["A1"].value
    assert "受理" in stdout.getvalue()


@pytest.mark.parametrize(("raw", "label"), [("2026-10", "2026年10月"), ("2026Q4", "2026年第4季度"), ("2026", "2026年")])
def test_periods(raw, label):
    p = selectors.parse_period(raw)
    assert p.label == label
    assert p.end > p.start


@pytest.mark.parametrize("raw", ["2026-13", "2026Q5", "26", "abc"])
def test_bad_periods_are_refused(raw):
    with pytest.raises(ValueError):
        selectors.parse_period(raw)


def test_report_page_and_api(cases_2026, county_admin):
    client = county_admin.client()
    page = client.get("/insights/report/", {"period": "2026", "region": COUNTY})
    assert page.status_code == 200
    assert "人民调解工作统计表" in page.content.decode() and "合计" in page.content.decode()
    api = client.get("/api/v1/insights/report", {"period": "2026", "region": COUNTY})
    assert api.status_code == 200
    report = selectors.mediation_report(None, period=selectors.parse_period("2026"), region_code=COUNTY)
    assert api.json()["totals"]["accepted"] == report.totals["accepted"]
    assert client.get("/api/v1/insights/report", {"period": "20X6"}).status_code == 422
