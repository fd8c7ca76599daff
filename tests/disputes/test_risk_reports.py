"""人民调解法 第25条: a dispute that may turn into a public-order or criminal case is reported to the police or the
competent department. Raising a case to 重大 risk records that report (whom, how, when — not in the future), in the
same transaction; a case registered as 重大 is prompted for it; the report is in the case page, the API and the case
file."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.disputes.conftest import docx_text, new_case, risk_report, risk_report_json, walk
from xiangzhi.core.errors import Conflict, ValidationFailed
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import Case, RiskReport
from xiangzhi.disputes.services import deadlines, intake
from xiangzhi.disputes.services import documents as case_documents

pytestmark = pytest.mark.django_db


def test_raising_to_major_without_the_report_is_refused_and_changes_nothing(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    with pytest.raises(ValidationFailed) as exc:
        deadlines.raise_risk(case, "major", actor=mediator.user, reason="扬言报复")
    assert exc.value.code == "REPORT_REQUIRED"
    assert Case.objects.get(pk=case.pk).risk_level == "normal" and not RiskReport.objects.exists()
    assert not case.timeline.filter(kind="risk_raised").exists()


@pytest.mark.parametrize(("field", "value", "code"), [
    ("recipient", "court", "INVALID_REPORT"), ("reported_to", " ", "INVALID_REPORT"), ("method", "pigeon", "INVALID_REPORT"),
    ("reported_at", None, "INVALID_REPORT"),
    ("reported_at", timezone.now() + dt.timedelta(hours=2), "INVALID_REPORT"),  # a report cannot be dated ahead
    ("reported_at", timezone.now() - dt.timedelta(days=400), "INVALID_REPORT"),  # nor before the case existed
])
def test_a_report_says_whom_how_and_when_and_is_not_made_up(mediator, field, value, code):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    with pytest.raises(ValidationFailed) as exc:
        deadlines.raise_risk(case, "major", actor=mediator.user, reason="扬言报复", report=risk_report(**{field: value}))
    assert exc.value.code == code and field in exc.value.detail
    assert Case.objects.get(pk=case.pk).risk_level == "normal" and not RiskReport.objects.exists()


def test_raising_to_major_records_the_report_with_its_event(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    deadlines.raise_risk(case, "major", actor=mediator.user, reason="扬言报复", report=risk_report(reference="接警 0042"))
    row = RiskReport.objects.get(case=case)
    assert (row.recipient, row.reported_to, row.method, row.reference) == ("police", "乌镇派出所 王警官", "phone",
                                                                          "接警 0042")
    kinds = list(case.timeline.order_by("pk").values_list("kind", flat=True))
    assert kinds[-2:] == ["risk_raised", "risk_reported"]
    assert case.timeline.get(kind="risk_reported").payload["report"] == row.pk


def test_elevated_needs_no_report_and_a_report_is_only_for_major_cases(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    deadlines.raise_risk(case, "elevated", actor=mediator.user, reason="情绪激动")
    with pytest.raises(Conflict) as exc:
        deadlines.report_risk(case, risk_report(), actor=mediator.user)
    assert exc.value.code == "REPORT_NOT_NEEDED" and not RiskReport.objects.exists()


def _registered_as_major(mediator):
    """A case whose risk was set to 重大 when it was registered (corrected at triage, not raised)."""
    case = new_case()
    intake.retriage(case, actor=mediator.user, type_code=case.dispute_type.code, risk_level="major", reroute=False)
    return walk(Case.objects.get(pk=case.pk), S.IN_MEDIATION, mediator.user)


def test_a_case_registered_as_major_is_prompted_and_the_report_goes_in_the_case_file(mediator):
    case = _registered_as_major(mediator)
    client = mediator.client()
    page = client.get(reverse("disputes:case", args=[case.pk])).content.decode()
    assert "尚未记录向公安机关或有关部门的报告" in page
    r = client.post(reverse("disputes:case_action", args=[case.pk]), {
        "action": "report", "recipient": "police", "reported_to": "乌镇派出所 李所长", "method": "in_person",
        "reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 302
    page = client.get(reverse("disputes:case", args=[case.pk])).content.decode()
    assert "尚未记录向公安机关或有关部门的报告" not in page and "乌镇派出所 李所长" in page
    data = case_documents.casefile(Case.objects.get(pk=case.pk), actor=mediator.user)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        name = next(n for n in zf.namelist() if "风险报告记录" in n)
        assert "乌镇派出所 李所长" in docx_text(zf.read(name))


def test_bad_report_input_on_the_page_is_a_message_not_an_error(mediator):
    case = _registered_as_major(mediator)
    client = mediator.client()
    r = client.post(reverse("disputes:case_action", args=[case.pk]), {
        "action": "report", "recipient": "police", "reported_to": "派出所", "method": "phone",
        "reported_at": "昨天下午"}, follow=True)
    assert r.status_code == 200 and "报告时间" in r.content.decode() and not RiskReport.objects.exists()


def test_the_api_raises_with_the_report_and_records_further_reports(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    c = mediator.client()
    r = c.post(f"/api/v1/cases/{case.pk}/risk", {"level": "major", "reason": "扬言报复"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "REPORT_REQUIRED"
    r = c.post(f"/api/v1/cases/{case.pk}/risk", {"level": "major", "reason": "扬言报复", "report": risk_report_json()},
               content_type="application/json")
    assert r.status_code == 200, r.content
    r = c.post(f"/api/v1/cases/{case.pk}/risk-reports", risk_report_json(recipient="department",
                                                                         reported_to="镇综治办"),
               content_type="application/json")
    assert r.status_code == 201 and r.json()["reported_to"] == "镇综治办"
    assert RiskReport.objects.filter(case=case).count() == 2


@pytest.mark.parametrize("level", ["normal", "elevated", "major"])
@pytest.mark.parametrize("stage", list(S))
@pytest.mark.parametrize("reported", [False, True])
def test_the_report_rule_as_a_table(level, stage, reported):
    from types import SimpleNamespace

    from xiangzhi.disputes import rules

    done = {S.AGREEMENT_ORAL, S.FOLLOW_UP, S.CLOSED, S.ARCHIVED, S.NOT_ACCEPTED, S.TERMINATED}
    case = SimpleNamespace(risk_level=level, stage=stage)
    assert rules.needs_report(level) == (level == "major")
    assert rules.report_missing(case, reported=reported) == (level == "major" and not reported and stage not in done)
