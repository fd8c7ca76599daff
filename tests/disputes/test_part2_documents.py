"""Generated .docx documents, the case-file ZIP, the import of historical cases and the masked export."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile

import pytest

from tests.disputes.conftest import new_case
from tests.disputes.test_part2_deadlines import MON, walk_at

pytestmark = pytest.mark.django_db


def docx_text(data: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def agreed_case(mediator):
    from xiangzhi.disputes import services

    case = walk_at(new_case(applicant_id="330483199001011234"[:17] + "X" if False else ""), "agreement_written",
                   mediator.user, MON, agreement_text="李四于2026年3月31日前拆除占地围墙；张三不再追究。",
                   agreement_amount="500")
    services.record_session(case, actor=mediator.user, held_at=MON, place="东苑社区调解室", attendees="张三、李四",
                            summary="双方陈述，达成一致") if case.stage == "in_mediation" else None
    return case


LAW_FIELDS = {
    "agreement": ["当事人基本情况", "纠纷主要事实", "责任", "权利义务", "履行方式、地点、期限", "人民调解委员会（印章）",
                  "李四于2026年3月31日前拆除占地围墙"],
    "register": ["纠纷类型", "案件来源", "受理时间", "纠纷简要情况"],
    "rights": ["自愿、平等、合法", "司法确认"],
    "judicial": ["请求事项", "确认", "调解协议", "申请人承诺"],
    "closing": ["承办调解委员会", "调解员", "受案时间", "结案时间", "案件来源"],
    "termination": ["终止调解", "仲裁、行政、司法"],
    "not_accepted": ["不予受理"],
    "record": ["调解记录"],
    "oral": ["达成协议内容", "履行方式"],
    "visit": ["回访"],
}


@pytest.mark.parametrize("kind", list(LAW_FIELDS))
def test_every_document_opens_and_holds_the_case_number_the_qr_code_and_the_required_fields(mediator, kind):
    from xiangzhi.disputes import documents

    case = agreed_case(mediator)
    data = documents.render(case, kind)
    text = docx_text(data)
    assert case.number in text and case.archive_number in text
    for needle in LAW_FIELDS[kind]:
        assert needle in text, (kind, needle)
    with zipfile.ZipFile(io.BytesIO(data)) as z:  # the QR code is embedded as a PNG
        assert any(n.startswith("word/media/") and n.endswith(".png") for n in z.namelist())


def test_the_agreement_names_the_parties_in_full_for_signature(mediator):
    from xiangzhi.disputes import documents

    case = agreed_case(mediator)
    disclosure = documents.disclose(case, actor=mediator.user, reason="交当事人签署")
    text = docx_text(documents.render(case, "agreement", disclosure))
    assert "张三" in text and "李四" in text and "13800000001" in text


def test_the_case_file_zip_lists_every_file_with_its_sha256(mediator):
    from xiangzhi.disputes import casefile, services

    png = b"\x89PNG\r\n\x1a\n" + b"\x01" * 80
    case = new_case(files=[services.Upload("现场.png", png, "image/png")])
    case = walk_at(case, "in_mediation", mediator.user, MON)
    data = casefile.build(case, actor=mediator.user)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = set(z.namelist())
        listing = list(csv.reader(io.StringIO(z.read("目录.csv").decode("utf-8-sig"))))
        rows = [r for r in listing[1:] if r and r[0].isdigit()]
        assert {r[2] for r in rows} == names - {"目录.csv", "SHA256SUMS"}
        for _, _, path, size, digest in rows:
            body = z.read(path)
            assert hashlib.sha256(body).hexdigest() == digest and len(body) == int(size)
        sums = z.read("SHA256SUMS").decode().splitlines()
        assert len(sums) == len(rows)
        attachment = [r for r in rows if "证据材料" in r[1]]
        assert attachment and z.read(attachment[0][2]) == png
    titles = [r[1] for r in rows]
    assert titles[0] == "受理登记表" and titles.index("权利义务告知书") < titles.index("调解记录") < titles.index("结案报告表")


def test_documents_and_case_file_are_404_for_an_outsider(mediator, other_mediator):
    case = new_case()
    c = other_mediator.client()
    assert c.get(f"/cases/workbench/{case.pk}/documents/agreement.docx").status_code == 404
    assert c.get(f"/cases/workbench/{case.pk}/casefile.zip").status_code == 404
    ok = mediator.client().get(f"/cases/workbench/{case.pk}/documents/register.docx")
    assert ok.status_code == 200 and case.number in docx_text(ok.content)


# --- import ----------------------------------------------------------------------------------------------------
def write_xlsx(path, rows):
    from openpyxl import Workbook

    from xiangzhi.disputes.importer import COLUMNS

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
    from xiangzhi.disputes import importer
    from xiangzhi.disputes.models import Case

    village = first_village(WUZHEN).code
    rows = [good_row(i, village) for i in range(10_000)]
    rows[4321][0] = "2024-13-45"  # spreadsheet row 4323 (header is row 1)
    path = tmp_path / "history.xlsx"
    write_xlsx(path, rows)
    before = Case.objects.count()
    job, report = importer.import_file(path, actor=None)
    assert job.status == "refused" and report.total == 10_000 and Case.objects.count() == before
    assert [e.as_dict() for e in report.errors] == [{"row": 4323, "column": "登记日期", "problem": "日期格式应为 YYYY-MM-DD"}]


def test_only_valid_rows_are_imported_when_chosen_and_csv_works(tmp_path, tongxiang):
    from tests.conftest import WUZHEN, first_village
    from xiangzhi.disputes import importer
    from xiangzhi.disputes.models import Case

    village = first_village(WUZHEN).code
    rows = [good_row(i, village) for i in range(5)]
    rows[2][1] = "不存在的类型"
    rows[3][7] = "调解成功"
    rows[3][8] = ""
    path = tmp_path / "h.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(importer.COLUMNS)
        w.writerows(rows)
    job, report = importer.import_file(path, actor=None, mode="valid")
    assert job.status == "done" and report.imported == 3
    assert {(e["row"], e["column"]) for e in job.errors} == {(4, "纠纷类型"), (5, "协议内容")}
    imported = Case.objects.filter(outcome_note="历史案件导入").order_by("id")
    assert imported.count() == 3 and imported[0].stage == "closed" and imported[0].parties.count() == 2
    assert imported[0].number.startswith("桐解〔2024〕")


def test_a_wrong_header_is_refused(tmp_path, tongxiang):
    from xiangzhi.disputes import importer

    path = tmp_path / "h.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    job, report = importer.import_file(path, actor=None)
    assert job.status == "refused" and "表头" in report.errors[0].column


def test_import_pages_and_template_for_town_staff_only(town_staff, mediator, tmp_path):
    c = town_staff.client()
    r = c.get("/cases/import/template.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert mediator.client().get("/cases/import/").status_code == 404


# --- export ----------------------------------------------------------------------------------------------------
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
