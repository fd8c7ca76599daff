"""Documents follow the personal-data reveal's rule, and a download changes nothing on the case.

The agreement and the judicial application carry the parties' 身份证号 and phones in full only for a role with the
personal-data right and with a reason, each party's disclosure logged; everyone else — the read-only auditor, a grid
worker, a mediator without a reason — gets them masked, in every document and in the case-file ZIP. Downloading (a
GET) leaves one attested audit row and nothing else; issuing (a POST by the staff who work the case) records the
document's SHA-256 in the case's history.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.disputes.conftest import docx_text, new_case, valid_id_number, walk

pytestmark = pytest.mark.django_db

APPLICANT_ID = valid_id_number("33048319800101123")
RESPONDENT_ID = valid_id_number("33048319850505456")
APPLICANT_PHONE = "13800000001"
REASON = "向法院提交司法确认申请"



def zip_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "\n".join(docx_text(z.read(n)) for n in z.namelist() if n.endswith(".docx"))


@pytest.fixture
def agreed(mediator, grid_worker):
    """A case registered by the grid worker in their grid (so they see it), at the written agreement, signed, sealed
    and in effect, with the joint application for judicial confirmation recorded (so both documents apply)."""
    from xiangzhi.disputes.services import agreement, judicial

    case = new_case(actor=grid_worker.user, channel="grid", applicant_id=APPLICANT_ID, respondent_id=RESPONDENT_ID,
                    applicant_phone=APPLICANT_PHONE)
    case = walk(case, "agreement_written", mediator.user)
    for party in case.parties.all():
        agreement.sign_agreement(case, actor=mediator.user, party=party)
    agreement.sign_agreement(case, actor=mediator.user, as_mediator=True)
    agreement.apply_seal(case, actor=mediator.user)
    case.refresh_from_db()
    judicial.apply(case, actor=mediator.user, court="桐乡市人民法院")
    case.refresh_from_db()
    return case


def assert_masked(text: str) -> None:
    assert APPLICANT_ID not in text and RESPONDENT_ID not in text and APPLICANT_PHONE not in text


def accesses() -> int:
    from xiangzhi.core.models import PersonalDataAccess

    return PersonalDataAccess.objects.count()


@pytest.mark.parametrize("persona", ["auditor", "grid_worker"])
@pytest.mark.parametrize("kind", ["judicial", "agreement"])
def test_the_auditor_and_a_grid_worker_get_masked_documents_even_with_a_reason(request, agreed, persona, kind):
    from xiangzhi.disputes.documents import MASKED_NOTICE

    client = request.getfixturevalue(persona).client()
    before = accesses()
    for params in ({}, {"reason": REASON}):
        page = client.get(f"/cases/workbench/{agreed.pk}/documents/{kind}.docx", params)
        api = client.get(f"/api/v1/cases/{agreed.pk}/documents/{kind}", params)
        for response in (page, api):
            assert response.status_code == 200
            text = docx_text(response.content)
            assert_masked(text)
            assert "330483********" in text and "138****0001" in text and MASKED_NOTICE in text
    assert accesses() == before


@pytest.mark.parametrize("persona", ["auditor", "grid_worker"])
def test_the_case_file_of_the_auditor_and_a_grid_worker_is_masked(request, agreed, persona):
    client = request.getfixturevalue(persona).client()
    for response in (client.get(f"/cases/workbench/{agreed.pk}/casefile.zip", {"reason": REASON}),
                     client.get(f"/api/v1/cases/{agreed.pk}/casefile", {"reason": REASON})):
        assert response.status_code == 200
        assert_masked(zip_text(response.content))


def test_a_mediator_without_a_reason_gets_a_masked_draft_that_says_so(agreed, mediator):
    from xiangzhi.disputes.documents import MASKED_NOTICE

    before = accesses()
    r = mediator.client().get(f"/api/v1/cases/{agreed.pk}/documents/judicial")
    text = docx_text(r.content)
    assert_masked(text)
    assert MASKED_NOTICE in text and accesses() == before


def test_a_mediator_with_a_reason_gets_both_parties_in_full_and_each_disclosure_is_logged(agreed, mediator):
    from xiangzhi.core.models import PersonalDataAccess
    from xiangzhi.disputes.documents import MASKED_NOTICE

    client = mediator.client()
    r = client.get(f"/cases/workbench/{agreed.pk}/documents/judicial.docx", {"reason": REASON})
    text = docx_text(r.content)
    assert APPLICANT_ID in text and RESPONDENT_ID in text and APPLICANT_PHONE in text and "申请人：张三" in text
    assert MASKED_NOTICE not in text
    rows = list(PersonalDataAccess.objects.filter(viewer=mediator.user))
    people = {p.person_id for p in agreed.parties.all()}
    assert {a.person_id for a in rows} == people and len(rows) == len(people)
    assert all(a.reason == REASON and "id_number" in a.fields for a in rows)
    zipped = zip_text(client.get(f"/api/v1/cases/{agreed.pk}/casefile", {"reason": REASON}).content)
    assert APPLICANT_ID in zipped
    assert PersonalDataAccess.objects.filter(viewer=mediator.user).count() == 2 * len(people)


@pytest.mark.parametrize("persona", ["auditor", "grid_worker", "mediator"])
def test_downloading_documents_changes_nothing_on_the_case(request, agreed, persona):
    """A GET leaves one attested audit row per download, and no timeline entry, no document event, no state change."""
    from xiangzhi.core.models import AuditLog
    from xiangzhi.disputes.models import Case, TimelineEvent
    from xiangzhi.ledger.models import Leaf

    client = request.getfixturevalue(persona).client()
    events, stage, changed = agreed.timeline.count(), agreed.stage, agreed.stage_changed_at
    case_leaves = Leaf.objects.filter(kind__startswith="case.").count()
    before = AuditLog.objects.count()
    for url in (f"/cases/workbench/{agreed.pk}/documents/judicial.docx", f"/api/v1/cases/{agreed.pk}/documents/record",
                f"/cases/workbench/{agreed.pk}/casefile.zip", f"/api/v1/cases/{agreed.pk}/casefile"):
        assert client.get(url).status_code == 200
    after = Case.objects.get(pk=agreed.pk)
    assert agreed.timeline.count() == events and (after.stage, after.stage_changed_at) == (stage, changed)
    assert not TimelineEvent.objects.filter(case=agreed, kind="document").exists()
    assert Leaf.objects.filter(kind__startswith="case.").count() == case_leaves
    rows = AuditLog.objects.order_by("id")[before:]
    assert [r.action for r in rows] == ["case.document_downloaded"] * 2 + ["case.casefile_built"] * 2
    attested = set(Leaf.objects.filter(ref_type="core.auditlog").values_list("ref_id", flat=True))
    assert {str(r.pk) for r in rows} <= attested


def test_issuing_is_a_post_by_the_staff_of_the_case_and_is_recorded(agreed, mediator, auditor, grid_worker):
    import hashlib

    from xiangzhi.disputes.models import TimelineEvent

    for outsider in (auditor, grid_worker):
        r = outsider.client().post(f"/api/v1/cases/{agreed.pk}/documents/record", {}, content_type="application/json")
        assert r.status_code == 403
    client = mediator.client()
    r = client.post(f"/api/v1/cases/{agreed.pk}/documents/agreement", {}, content_type="application/json")
    assert r.status_code in (400, 422) and r.json()["code"] == "REASON_REQUIRED"
    assert not TimelineEvent.objects.filter(case=agreed, kind="document").exists()
    r = client.post(f"/api/v1/cases/{agreed.pk}/documents/agreement", {"reason": "交当事人签署"},
                    content_type="application/json")
    assert r.status_code == 200 and APPLICANT_ID in docx_text(r.content)
    event = TimelineEvent.objects.get(case=agreed, kind="document")
    assert event.payload["sha256"] == hashlib.sha256(r.content).hexdigest()
    page = client.post(f"/cases/workbench/{agreed.pk}/documents/record.docx")
    assert page.status_code == 200 and TimelineEvent.objects.filter(case=agreed, kind="document").count() == 2


def test_the_case_page_offers_full_copies_and_issuing_only_to_those_who_may(agreed, mediator, auditor):
    mine = mediator.client().get(f"/cases/workbench/{agreed.pk}/").content.decode()
    assert "下载完整版" in mine and "签发并存证" in mine and 'name="reason"' in mine
    theirs = auditor.client().get(f"/cases/workbench/{agreed.pk}/")
    assert theirs.status_code == 200
    page = theirs.content.decode()
    assert "judicial.docx" in page and "下载完整版" not in page and "签发并存证" not in page
