"""Exports and generated files hold what people typed as text, and one bad row in the database never breaks them:
the case list (.xlsx), the documents (.docx) and the case-file ZIP (its 目录.csv)."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from tests.core.test_xlsx import FORMULAS
from tests.disputes.conftest import new_case
from tests.disputes.test_documents import docx_text

pytestmark = pytest.mark.django_db


def _respondent_named(case, name: str) -> None:
    from xiangzhi.disputes.models import Party

    Party.objects.filter(case=case, role="respondent").update(kind="organisation", org_name=name)


def test_the_case_export_writes_every_party_name_as_text(mediator):
    numbers = {}
    for name in FORMULAS:
        case = new_case()
        _respondent_named(case, name)
        numbers[case.number] = name
    r = mediator.client().get("/cases/export.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    rows = {row[0].value: row for row in ws.iter_rows(min_row=2)}
    for number, name in numbers.items():
        respondent = rows[number][13]
        assert (respondent.value, respondent.data_type) == (name, "s")



def test_a_control_character_already_in_the_database_breaks_no_document_and_no_export(mediator):
    from xiangzhi.disputes.models import Case

    case = new_case()
    _respondent_named(case, "桐乡\x07某\x1b公司")
    Case.objects.filter(pk=case.pk).update(description="围墙\x07占地\x1b[31m一米多", request="拆除\x0b围墙")
    c = mediator.client()
    doc = c.get(f"/cases/workbench/{case.pk}/documents/register.docx")
    assert doc.status_code == 200
    text = docx_text(doc.content)
    assert "围墙占地[31m一米多" in text and "桐乡某公司" in text and "拆除围墙" in text
    zip_response = c.get(f"/cases/workbench/{case.pk}/casefile.zip")
    assert zip_response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(zip_response.content)) as z:
        assert z.testzip() is None
    export = c.get("/cases/export.xlsx")
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    assert [row[13] for row in rows if row[0] == case.number] == ["桐乡某公司"]


def test_the_export_masks_personal_data_and_shows_colour_words(mediator):
    from openpyxl import load_workbook

    case = new_case()
    r = mediator.client().get("/cases/export.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    mine = [row for row in rows if row[0] == case.number][0]
    flat = " ".join(str(v) for v in mine if v is not None)
    assert "13800000001" not in flat and "张三" not in flat and "138****0001" in flat
    assert mine[8] in ("蓝色", "橙色", "红色", "黄色", "绿色")
