"""Import of historical cases from .xlsx/.csv: all-or-nothing or only the valid rows, the header check, and the
import pages for town staff only."""

from __future__ import annotations

import csv

import pytest

pytestmark = pytest.mark.django_db


def write_xlsx(path, rows):
    from openpyxl import Workbook

    from xiangzhi.disputes.import_format import COLUMNS

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("历史案件")
    ws.append(COLUMNS)
    for r in rows:
        ws.append(r)
    wb.save(path)


def good_row(i: int, village: str):
    return ["2024-03-05", "邻里纠纷", village, f"张{i}", f"138{i:08d}", f"李{i}", f"第{i}号纠纷：围墙占地",
            "调解成功", "拆除围墙", "100", "2024-03-20"]


def test_a_10000_row_file_with_one_bad_row_imports_nothing_and_names_the_row(tmp_path, tongxiang):
    from tests.conftest import WUZHEN, first_village
    from xiangzhi.disputes.models import Case
    from xiangzhi.disputes.services import importing

    village = first_village(WUZHEN).code
    rows = [good_row(i, village) for i in range(10_000)]
    rows[4321][0] = "2024-13-45"  # spreadsheet row 4323 (header is row 1)
    path = tmp_path / "history.xlsx"
    write_xlsx(path, rows)
    before = Case.objects.count()
    job, report = importing.import_file(path, actor=None)
    assert job.status == "refused" and report.total == 10_000 and Case.objects.count() == before
    assert [e.as_dict() for e in report.errors] == [{"row": 4323, "column": "登记日期", "problem": "日期格式应为 YYYY-MM-DD"}]


def test_only_valid_rows_are_imported_when_chosen_and_csv_works(tmp_path, tongxiang):
    from tests.conftest import WUZHEN, first_village
    from xiangzhi.disputes import import_format
    from xiangzhi.disputes.models import Case
    from xiangzhi.disputes.services import importing

    village = first_village(WUZHEN).code
    rows = [good_row(i, village) for i in range(5)]
    rows[2][1] = "不存在的类型"
    rows[3][7] = "调解成功"
    rows[3][8] = ""
    path = tmp_path / "h.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(import_format.COLUMNS)
        w.writerows(rows)
    job, report = importing.import_file(path, actor=None, mode="valid")
    assert job.status == "done" and report.imported == 3
    assert {(e["row"], e["column"]) for e in job.errors} == {(4, "纠纷类型"), (5, "协议内容")}
    imported = Case.objects.filter(outcome_note="历史案件导入").order_by("id")
    assert imported.count() == 3 and imported[0].stage == "closed" and imported[0].parties.count() == 2
    assert imported[0].number.startswith("桐解〔2024〕")


def test_a_wrong_header_is_refused(tmp_path, tongxiang):
    from xiangzhi.disputes.services import importing

    path = tmp_path / "h.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    job, report = importing.import_file(path, actor=None)
    assert job.status == "refused" and "表头" in report.errors[0].column


def test_import_pages_and_template_for_town_staff_only(town_staff, mediator, tmp_path):
    c = town_staff.client()
    r = c.get("/cases/import/template.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert mediator.client().get("/cases/import/").status_code == 404
