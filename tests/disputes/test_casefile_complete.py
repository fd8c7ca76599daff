"""One case, one file (domain.md 2.5): the ZIP holds a cover with the committee's own 卷宗号 and the retention
period, 卷内目录 listing every item, 身份证明, 调查笔录, 调解笔录, the agreement, 回访记录 and 卷内备考表; filing (归档)
numbers files per committee and year, once, under a lock; investigation records are added through the service."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.conftest import run_in_threads
from tests.disputes.conftest import docx_text, new_case, session, walk
from xiangzhi.core.errors import Conflict, ValidationFailed, XiangzhiError
from xiangzhi.disputes import rules
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import CaseFile, InvestigationRecord
from xiangzhi.disputes.services import agreement, archive, feedback, transitions, uploads
from xiangzhi.disputes.services import documents as case_documents
from xiangzhi.disputes.services.uploads import Upload

pytestmark = pytest.mark.django_db
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def _heard(case, user):
    return archive.record_investigation(case, archive.InvestigationIn(
        heard="王五（邻居）", held_at=timezone.now(), place="王五家中", investigators="调解员甲",
        content="王五称围墙系去年砌成，占地约一米。"), actor=user)


def _closed_case(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    uploads.add_attachment(case, Upload("身份证.png", PNG, "image/png"), actor=mediator.user, category="identity")
    _heard(case, mediator.user)
    session(case, mediator.user)
    case = transitions.transition(case, S.AGREEMENT_WRITTEN, actor=mediator.user, details=transitions.Agree(
        "李四拆除围墙", facts="相邻占地争议", responsibilities="李四负主要责任", performance="自行拆除"))
    for p in case.parties.all():
        agreement.sign_agreement(case, actor=mediator.user, party=p)
    agreement.sign_agreement(case, actor=mediator.user, as_mediator=True)
    agreement.apply_seal(case, actor=mediator.user)
    case = transitions.transition(case, S.FOLLOW_UP, actor=mediator.user)
    feedback.record_visit(case, actor=mediator.user, performed=True, satisfaction=5, note="已拆除",
                          visited_at=timezone.now())
    return transitions.transition(case, S.CLOSED, actor=mediator.user)


def _zip(case, user):
    return zipfile.ZipFile(io.BytesIO(case_documents.casefile(case, actor=user)))


def test_the_case_file_holds_every_part_in_order(mediator):
    case = _closed_case(mediator)
    filed = archive.file_case(case, actor=mediator.user, remarks="材料齐全")
    zf = _zip(case, mediator.user)
    names = [n for n in zf.namelist() if n.endswith((".docx", ".png"))]
    titles = ["卷宗封面", "卷内目录", "受理登记表", "权利义务告知书", "身份证明", "调查笔录", "调解记录",
              "人民调解协议书", "回访记录", "结案报告表", "卷内备考表"]
    positions = [next(i for i, n in enumerate(names) if t in n) for t in titles]
    assert positions == sorted(positions), names
    assert "终止调解告知书" not in " ".join(names)  # settled: no termination notice
    cover = docx_text(zf.read(next(n for n in names if "卷宗封面" in n)))
    assert filed.number in cover and "长期" in cover and "张三与李四" in cover
    contents = docx_text(zf.read(next(n for n in names if "卷内目录" in n)))
    for n in names:
        assert n in contents  # every item listed with its number
    assert "身份证明：身份证.png" in contents and "必须" in contents
    inquiry = docx_text(zf.read(next(n for n in names if "调查笔录" in n)))
    assert "王五（邻居）" in inquiry and "占地约一米" in inquiry
    notes = docx_text(zf.read(next(n for n in names if "卷内备考表" in n)))
    assert f"共{len(names)}件" in notes and "材料齐全" in notes and filed.number in notes
    assert filed.items == len(names)
    visit = docx_text(zf.read(next(n for n in names if "回访记录" in n)))
    assert "已履行" in visit


def test_filing_numbers_per_committee_and_year_once(mediator):
    first = archive.file_case(_closed_case(mediator), actor=mediator.user)
    second = archive.file_case(_closed_case(mediator), actor=mediator.user)
    assert (first.organisation_id, first.seq + 1) == (second.organisation_id, second.seq)
    assert first.number.startswith(f"({timezone.localtime().year})") and "人调字第" in first.number
    with pytest.raises(Conflict) as exc:
        archive.file_case(first.case, actor=mediator.user)
    assert exc.value.code == "ALREADY_FILED"
    event = first.case.timeline.filter(kind="filed").get()
    assert event.payload["file_number"] == first.number


@override_settings(XIANGZHI_CASEFILE_RETENTION="永久")
def test_the_retention_period_comes_from_the_setting(mediator):
    assert archive.file_case(_closed_case(mediator), actor=mediator.user).retention == "永久"


def test_filing_is_guarded_in_the_service(mediator, other_mediator):
    open_case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    with pytest.raises(Conflict) as exc:
        archive.file_case(open_case, actor=mediator.user)
    assert exc.value.code == "NOT_FILABLE"
    closed = _closed_case(mediator)
    with pytest.raises(XiangzhiError) as exc:
        archive.file_case(closed, actor=other_mediator.user)
    assert exc.value.code == "FORBIDDEN"
    assert not CaseFile.objects.exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_filings_get_distinct_numbers(mediator):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for truly concurrent filings")
    from xiangzhi.disputes.services import routing

    routing.ensure_reference_data()  # a transactional test flushed what the data migration seeded
    pks = iter([_closed_case(mediator).pk for _ in range(3)])

    def work():
        from xiangzhi.disputes.models import Case

        archive.file_case(Case.objects.get(pk=next(pks)), actor=mediator.user)

    run_in_threads(work, 3)
    assert sorted(CaseFile.objects.values_list("seq", flat=True)) == [1, 2, 3]


def test_investigation_records_are_guarded_and_dated(mediator, other_mediator, client):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    with pytest.raises(XiangzhiError) as exc:
        _heard(case, other_mediator.user)
    assert exc.value.code == "FORBIDDEN"
    with pytest.raises(ValidationFailed) as exc:
        archive.record_investigation(case, archive.InvestigationIn(
            heard="王五", held_at=timezone.now() + timezone.timedelta(days=1), place="村委会", investigators="甲",
            content="称围墙系去年砌成"), actor=mediator.user)
    assert exc.value.code == "DATE_IN_FUTURE"
    assert not InvestigationRecord.objects.exists()
    assert rules.can_record_investigation(mediator.user, case)
    client.force_login(mediator.user)
    r = client.post(f"/api/v1/cases/{case.pk}/investigations", {
        "heard": "王五", "held_at": timezone.localtime().replace(microsecond=0).isoformat(), "place": "村委会",
        "investigators": "调解员", "content": "王五称围墙系去年砌成"}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert client.get(f"/api/v1/cases/{case.pk}/investigations").json()["items"][0]["heard"] == "王五"


def test_the_page_files_and_records_investigations(client, mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    client.force_login(mediator.user)
    client.post(f"/cases/workbench/{case.pk}/act/", {
        "action": "investigation", "heard": "王五", "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "place": "村委会", "investigators": "调解员", "content": "王五称围墙系去年砌成"})
    assert InvestigationRecord.objects.filter(case=case, heard="王五").exists()
    closed = _closed_case(mediator)
    r = client.post(f"/cases/workbench/{closed.pk}/act/", {"action": "file", "remarks": "齐全"}, follow=True)
    row = CaseFile.objects.get(case=closed)
    assert row.number in r.content.decode()
    r = client.post(f"/api/v1/cases/{closed.pk}/file", {"remarks": ""}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "ALREADY_FILED"
    assert client.get(f"/api/v1/cases/{closed.pk}/file").json()["number"] == row.number


@pytest.mark.parametrize("stage", S.values)
def test_who_may_file_investigate_and_revise_truth_table(stage, mediator, other_mediator, town_staff):
    case = new_case()
    case.stage = stage
    case.mediator = mediator.user
    filable = stage in (S.CLOSED, S.ARCHIVED)
    assert rules.can_file(mediator.user, case, filed=False) is filable
    assert rules.can_file(town_staff.user, case, filed=False) is filable
    assert rules.can_file(mediator.user, case, filed=True) is False
    assert rules.can_file(other_mediator.user, case, filed=False) is False
    investigating = stage in rules.INVESTIGATION_STAGES
    assert rules.can_record_investigation(mediator.user, case) is investigating
    assert rules.can_record_investigation(other_mediator.user, case) is False
    case.agreement_effective_at = None
    assert rules.can_revise_agreement(mediator.user, case) is (stage == S.AGREEMENT_WRITTEN)
    assert rules.can_revise_agreement(other_mediator.user, case) is False
    case.agreement_effective_at = timezone.now()
    assert rules.can_revise_agreement(mediator.user, case) is False


def test_filing_a_closed_case_archives_it_and_nothing_else_does(mediator, town_staff):
    from xiangzhi.disputes.models import Case, TimelineEvent

    case = _closed_case(mediator)
    # not even the town supervisor moves a case to 已归档 by hand: 归档 is 立卷 (the file number first)
    assert (S.ARCHIVED, "归档") not in rules.available_transitions(town_staff.user, case)
    with pytest.raises(XiangzhiError) as exc:
        transitions.transition(case, S.ARCHIVED, actor=town_staff.user)
    assert exc.value.code == "FORBIDDEN"
    with pytest.raises(Conflict) as exc:  # the system move is only the filing's: without a file it is refused
        transitions.transition(case, S.ARCHIVED, actor=None, by="filed")
    assert exc.value.code == "FILE_FIRST"
    assert Case.objects.get(pk=case.pk).stage == S.CLOSED
    row = archive.file_case(case, actor=mediator.user)
    case = Case.objects.get(pk=case.pk)
    assert case.stage == S.ARCHIVED
    kinds = list(TimelineEvent.objects.filter(case=case).order_by("pk").values_list("kind", flat=True))
    assert kinds[-2:] == ["filed", "transition"], kinds
    assert CaseFile.objects.get(case=case) == row


def test_a_refused_archive_move_leaves_no_file_behind(mediator, monkeypatch):
    """Filing and archiving are one transaction: when the move fails, no file number is used up."""
    case = _closed_case(mediator)

    def refuse(*args, **kwargs):
        raise Conflict("INVALID_TRANSITION", "x")

    monkeypatch.setattr(transitions, "transition", refuse)
    with pytest.raises(Conflict):
        archive.file_case(case, actor=mediator.user)
    assert not CaseFile.objects.exists()
    assert case.__class__.objects.get(pk=case.pk).stage == S.CLOSED
