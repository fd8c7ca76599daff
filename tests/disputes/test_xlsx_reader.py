"""The importer's streaming .xlsx reader gives the same values as openpyxl's read-only mode (shared and inline strings,
numbers, dates from number formats, the 1904 calendar, gaps), and spills a large shared-string table to disk."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook, load_workbook

from xiangzhi.disputes import import_format

ROWS = [
    ["登记日期", "纠纷类型", "金额", "备注", None, "手机号"],
    [dt.datetime(2024, 3, 5), "邻里纠纷", 100, "第一行 & <特殊> 字符", None, "13800000001"],
    [dt.date(2023, 12, 31), "婚姻家庭", 2.5, None, "隔一列", 13800000002],
    [None, None, None, None, None, None],
    ["2024-01-02", "合同", 1e15, "  前后空格  ", True, "=SUM(1,2)"],
]


def openpyxl_rows(path):
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(row) for row in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def ours(path):
    return [values for _, values in import_format.xlsx_rows(path)]


def trimmed(rows):
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        out.append(row)
    return [r for r in out if r]


@pytest.mark.parametrize("write_only", [True, False], ids=["inline-strings", "shared-strings"])
@pytest.mark.parametrize("epoch_1904", [False, True])
def test_the_reader_matches_openpyxl(tmp_path, write_only, epoch_1904):
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("历史案件") if write_only else wb.active
    if epoch_1904:
        wb.epoch = dt.datetime(1904, 1, 1)
    for row in ROWS:
        ws.append(row)
    if not write_only:
        ws["C6"] = dt.date(2020, 2, 29)
        ws["C6"].number_format = 'yyyy"年"m"月"d"日"'
    path = tmp_path / "t.xlsx"
    wb.save(path)
    assert trimmed(ours(path)) == trimmed(openpyxl_rows(path))
    if not write_only:
        assert ours(path)[-1] == [None, None, dt.datetime(2020, 2, 29)]


def test_row_numbers_are_the_spreadsheet_rows_even_with_blank_rows_between(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "h"
    ws["A4"] = "x"
    ws["B7"] = "y"
    path = tmp_path / "t.xlsx"
    wb.save(path)
    assert list(import_format.xlsx_rows(path)) == [(1, ["h"]), (4, ["x"]), (7, [None, "y"])]


def test_a_large_shared_string_table_is_spilled_to_disk_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setattr(import_format, "SPILL_STRINGS", 10)
    wb = Workbook()
    ws = wb.active
    for i in range(50):
        ws.append([f"第{i}号", f"张{i}", "重复" if i % 2 else "", i])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    assert trimmed(ours(path)) == trimmed(openpyxl_rows(path))
    strings = import_format._SharedStrings()
    for i in range(30):
        strings.add(f"串{i}")
    strings.freeze()
    assert strings.file is not None and strings.items == [] and strings[0] == "串0" and strings[29] == "串29"
    strings.close()
