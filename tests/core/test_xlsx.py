"""The one spreadsheet writer (core.xlsx): text is text, whatever it starts with, and characters XML cannot hold
never break a workbook."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from xiangzhi.core import xlsx

# What a spreadsheet program would run as a formula if the cell were not stored as text.
FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(1)"]


@pytest.mark.parametrize("write_only", [False, True])
def test_typed_text_is_stored_as_text_never_as_a_formula(write_only):
    wb = xlsx.workbook(write_only=write_only)
    ws = wb.create_sheet("表")
    xlsx.append(ws, ["标题"], font=xlsx.BOLD)
    xlsx.append(ws, [*FORMULAS, "#N/A", 3, 2.5, None])
    cells = list(load_workbook(io.BytesIO(xlsx.to_bytes(wb)))["表"].iter_rows(min_row=2))[0]
    assert [(c.value, c.data_type) for c in cells[:5]] == [(f, "s") for f in [*FORMULAS, "#N/A"]]
    assert all(c.quotePrefix for c in cells[:4])  # editing the cell in Excel or WPS keeps it text
    assert [c.value for c in cells[5:7]] == [3, 2.5] and cells[5].data_type == "n"


def test_control_characters_are_left_out_instead_of_failing():
    wb = xlsx.workbook()
    ws = wb.create_sheet("表")
    xlsx.append(ws, ["张\x07三\x00", "李\x1b四\n第二行"])
    row = next(load_workbook(io.BytesIO(xlsx.to_bytes(wb)))["表"].iter_rows(values_only=True))
    assert row == ("张三", "李四\n第二行")

