"""Generated .docx documents (the fields the law asks for, the QR code) and the case-file ZIP."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile

import pytest

from tests.disputes.conftest import MON, docx_text, new_case, session, walk_at
from xiangzhi.disputes.services import mediation, uploads

pytestmark = pytest.mark.django_db



def agreed_case(mediator):

    case = walk_at(new_case(applicant_id="330483199001011234"[:17] + "X" if False else ""), "agreement_written",
                   mediator.user, MON, agreement_text="李四于2026年3月31日前拆除占地围墙；张三不再追究。",
                   agreement_amount="500")
    mediation.record_session(case, actor=mediator.user, held_at=MON, place="东苑社区调解室", attendees="张三、李四",
                            summary="双方陈述，达成一致") if case.stage == "in_mediation" else None
    return case


LAW_FIELDS = {
    "agreement": ["当事人基本情况", "纠纷主要事实", "责任", "权利义务", "履行方式、地点", "履行期限", "人民调解委员会（印章）",
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
    "investigation": ["调查笔录", "被调查人", "调查人"],
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
    from xiangzhi.disputes.services import documents as case_documents

    case = agreed_case(mediator)
    disclosure = case_documents.disclose(case, actor=mediator.user, reason="交当事人签署")
    text = docx_text(documents.render(case, "agreement", disclosure))
    assert "张三" in text and "李四" in text and "13800000001" in text


def test_the_case_file_zip_lists_every_file_with_its_sha256(mediator):
    from xiangzhi.disputes.services import documents as case_documents

    png = b"\x89PNG\r\n\x1a\n" + b"\x01" * 80
    case = new_case(files=[uploads.Upload("现场.png", png, "image/png")])
    case = walk_at(case, "in_mediation", mediator.user, MON)
    session(case, mediator.user)
    data = case_documents.casefile(case, actor=mediator.user)
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
    assert titles[:3] == ["卷宗封面", "卷内目录", "受理登记表"]
    assert titles.index("权利义务告知书") < titles.index("调解笔录") < titles.index("卷内备考表") == len(titles) - 1


def test_documents_and_case_file_are_404_for_an_outsider(mediator, other_mediator):
    case = new_case()
    c = other_mediator.client()
    assert c.get(f"/cases/workbench/{case.pk}/documents/agreement.docx").status_code == 404
    assert c.get(f"/cases/workbench/{case.pk}/casefile.zip").status_code == 404
    ok = mediator.client().get(f"/cases/workbench/{case.pk}/documents/register.docx")
    assert ok.status_code == 200 and case.number in docx_text(ok.content)
