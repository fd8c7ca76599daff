"""身份证号 and mobile numbers typed into free text at intake (web forms, the API, the importer) are kept encrypted
and revealable with a logged reason, while the text itself — the case page, the API, the closing document — holds
only their masked forms."""

from __future__ import annotations

import csv

import pytest
from django.db import connection

from tests.conftest import WUZHEN, first_village
from tests.disputes.conftest import new_case, valid_id_number

pytestmark = pytest.mark.django_db

ID_IN_TEXT = valid_id_number("33048319751212345")
OLD_ID = "330483751212345"  # a first-generation 15-digit number
DESCRIPTION = f"对方王五（身份证{ID_IN_TEXT}，老证{OLD_ID}）占了我家院子，电话 +86 139-1234-5678"
REQUEST = "请联系我儿子 13712345678 协商"


def raw_case_row(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT description, request FROM disputes_case WHERE id = %s", [pk])
        return " ".join(cursor.fetchone())


def assert_only_masked(text: str) -> None:
    assert ID_IN_TEXT not in text and OLD_ID not in text
    assert "13912345678" not in text and "139-1234-5678" not in text and "13712345678" not in text


def test_numbers_in_free_text_are_stored_masked_and_kept_encrypted(mediator):
    from xiangzhi.core.models import TextNumber

    case = new_case(description=DESCRIPTION)
    raw = raw_case_row(case.pk)
    assert_only_masked(raw)
    from xiangzhi.core.personal import mask_id_number

    assert mask_id_number(ID_IN_TEXT) in raw and "330483*****2345" in raw and "139****5678" in raw
    kept = TextNumber.objects.filter(object_type="disputes.case", object_id=str(case.pk))
    assert sorted((n.field, n.kind, n.value) for n in kept) == sorted([
        ("description", "id_number", ID_IN_TEXT), ("description", "id_number", OLD_ID),
        ("description", "phone", "13912345678")])
    with connection.cursor() as cursor:  # encrypted at rest like a Person's numbers
        cursor.execute("SELECT value FROM core_textnumber WHERE object_id = %s", [str(case.pk)])
        assert all(v.startswith("v1:") and "1391" not in v for (v,) in cursor.fetchall())


def test_the_case_page_the_api_and_the_closing_document_show_only_masked_numbers(mediator):
    from xiangzhi.disputes import documents

    client = mediator.client()
    page = client.post("/api/v1/cases/", {
        "channel": "window", "applicant": {"name": "张三", "phone": "13800000001"},
        "respondents": [{"name": "王五"}], "region_code": first_village(WUZHEN).code, "description": DESCRIPTION,
        "request": REQUEST, "consent": True}, content_type="application/json")
    assert page.status_code == 201, page.content
    body = page.json()
    assert_only_masked(body["description"] + body["request"])
    case_id = body["id"]
    assert_only_masked(client.get(f"/api/v1/cases/{case_id}").content.decode())
    html = client.get(f"/cases/workbench/{case_id}/").content.decode()
    assert_only_masked(html)
    assert "137****5678" in html
    from xiangzhi.disputes.models import Case

    from .test_documents_personal_data import docx_text

    assert_only_masked(docx_text(documents.render(Case.objects.get(pk=case_id), "closing")))


def test_the_window_form_masks_and_keeps_the_numbers(mediator):
    from xiangzhi.core.models import TextNumber
    from xiangzhi.disputes.models import Case

    r = mediator.client().post("/cases/workbench/new/", {
        "applicant_name": "张三", "applicant_phone": "13800000001", "respondent_name": "王五",
        "region_code": first_village(WUZHEN).code, "description": DESCRIPTION, "request": REQUEST,
        "source": "application", "risk_level": "normal", "consent": "on"})
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.order_by("-id").first()
    assert_only_masked(raw_case_row(case.pk))
    kept = TextNumber.objects.filter(object_type="disputes.case", object_id=str(case.pk), field="request")
    assert [n.value for n in kept] == ["13712345678"]


def test_the_full_numbers_need_the_right_and_a_reason_and_each_view_is_audited(mediator, auditor):
    from xiangzhi.core.models import AuditLog

    case = new_case(description=DESCRIPTION)
    url = f"/api/v1/cases/{case.pk}/text-numbers/reveal"
    assert auditor.client().post(url, {"reason": "审计抽查"}, content_type="application/json").status_code == 403
    client = mediator.client()
    assert client.post(url, {"reason": ""}, content_type="application/json").status_code in (400, 422)
    r = client.post(url, {"reason": "调解需要联系对方"}, content_type="application/json")
    assert r.status_code == 200
    assert {n["value"] for n in r.json()} == {ID_IN_TEXT, OLD_ID, "13912345678"}
    row = AuditLog.objects.filter(action="personal.text_numbers_revealed").get()
    assert row.actor == mediator.user and row.note == "调解需要联系对方" and row.object_id == str(case.pk)
    page = client.post(f"/cases/workbench/{case.pk}/", {"reason": "调解需要联系对方"}).content.decode()
    assert ID_IN_TEXT in page
    assert AuditLog.objects.filter(action="personal.text_numbers_revealed").count() == 2


def test_the_importer_masks_and_keeps_the_numbers(tmp_path, tongxiang):
    from xiangzhi.core.models import TextNumber
    from xiangzhi.disputes import import_format
    from xiangzhi.disputes.models import Case
    from xiangzhi.disputes.services import importing

    path = tmp_path / "h.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(import_format.COLUMNS)
        w.writerow(["2024-03-05", "邻里纠纷", first_village(WUZHEN).code, "张一", "13800000011", "李一", DESCRIPTION,
                    "调解成功", "李一赔偿，联系 13712345678", "100", "2024-03-20"])
    job, report = importing.import_file(path, actor=None)
    assert job.status == "done" and report.imported == 1
    case = Case.objects.get(outcome_note="历史案件导入")
    assert_only_masked(raw_case_row(case.pk) + case.agreement_text)
    kept = {(n.field, n.value) for n in TextNumber.objects.filter(object_id=str(case.pk))}
    assert ("description", ID_IN_TEXT) in kept and ("agreement_text", "13712345678") in kept
