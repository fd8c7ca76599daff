"""Documents fit the case: ``rules.document_applies`` as a truth table, and the services, the case page and the API
offering and issuing only those (DOCUMENT_NOT_APPLICABLE otherwise, also when a service is called directly)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.disputes.conftest import new_case, session, walk
from xiangzhi.core.errors import Conflict
from xiangzhi.disputes import rules
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import Case
from xiangzhi.disputes.rules import DocumentFacts
from xiangzhi.disputes.services import documents as case_documents
from xiangzhi.disputes.services import transitions

NOW = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
NONE = DocumentFacts()
SESSIONS = DocumentFacts(sessions=True)
WRITTEN = DocumentFacts(sessions=True, written=True)


def _case(stage, *, text="", effective=None, reason="", mediator=True, risk="normal"):
    return Case(stage=stage, agreement_text=text, agreement_effective_at=effective, outcome_reason=reason,
                mediator_id=1 if mediator else None, risk_level=risk)


SETTLED = _case(S.CLOSED, text="赔偿100元", effective=NOW)
TERMINATED = _case(S.TERMINATED, reason="no_agreement")
CLOSED_AFTER_TERMINATION = _case(S.CLOSED, reason="no_agreement")
NOT_ACCEPTED = _case(S.NOT_ACCEPTED, reason="other", mediator=False)
PENDING_WRITTEN = _case(S.AGREEMENT_WRITTEN, text="赔偿100元")
REFUSED_TO_SIGN = _case(S.TERMINATED, text="赔偿100元", reason="refuses_to_sign")
REPORTED = _case(S.REPORTED, mediator=False)
ORAL = _case(S.AGREEMENT_ORAL, text="互相道歉", effective=NOW)


@pytest.mark.parametrize(("kind", "case", "facts", "applies"), [
    ("register", REPORTED, NONE, True),
    ("not_accepted", NOT_ACCEPTED, NONE, True),
    ("not_accepted", TERMINATED, SESSIONS, False),
    ("rights", REPORTED, NONE, False),
    ("rights", NOT_ACCEPTED, NONE, False),
    ("rights", TERMINATED, SESSIONS, True),
    ("record", TERMINATED, NONE, False),
    ("record", TERMINATED, SESSIONS, True),
    ("investigation", TERMINATED, SESSIONS, False),
    ("investigation", TERMINATED, DocumentFacts(investigations=True), True),
    # a settled case offers no 终止调解告知书
    ("termination", SETTLED, WRITTEN, False),
    ("termination", TERMINATED, SESSIONS, True),
    ("termination", CLOSED_AFTER_TERMINATION, SESSIONS, True),
    ("termination", NOT_ACCEPTED, NONE, False),
    ("termination", REFUSED_TO_SIGN, WRITTEN, True),
    # no 协议书 without a written agreement (pending or in effect)
    ("agreement", TERMINATED, SESSIONS, False),
    ("agreement", PENDING_WRITTEN, WRITTEN, True),
    ("agreement", SETTLED, WRITTEN, True),
    ("agreement", SETTLED, SESSIONS, False),  # an oral agreement
    ("agreement", REFUSED_TO_SIGN, WRITTEN, False),  # never took effect, mediation ended
    ("oral", SETTLED, SESSIONS, True),
    ("oral", ORAL, SESSIONS, True),
    ("oral", SETTLED, WRITTEN, False),
    ("oral", TERMINATED, SESSIONS, False),
    # no 司法确认 papers without an application
    ("judicial", SETTLED, WRITTEN, False),
    ("judicial", SETTLED, DocumentFacts(written=True, judicial=True), True),
    ("visit", SETTLED, WRITTEN, False),
    ("visit", SETTLED, DocumentFacts(visits=True), True),
    ("risk", SETTLED, NONE, False),
    ("risk", SETTLED, DocumentFacts(risk_reports=True), True),
    ("risk", _case(S.IN_MEDIATION, risk="major"), NONE, True),
    ("closing", PENDING_WRITTEN, WRITTEN, False),
    ("closing", SETTLED, WRITTEN, True),
    ("closing", TERMINATED, SESSIONS, True),
    ("closing", NOT_ACCEPTED, NONE, True),
    ("unknown", SETTLED, WRITTEN, False),
])
def test_document_applies_truth_table(kind, case, facts, applies):
    assert rules.document_applies(kind, case, facts) is applies


@pytest.mark.django_db
def test_a_settled_case_offers_and_issues_no_termination_notice(client, mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    session(case, mediator.user)
    case = transitions.transition(case, S.AGREEMENT_ORAL, actor=mediator.user, details=transitions.Agree("互相道歉"))
    case = transitions.transition(case, S.CLOSED, actor=mediator.user)
    offered = case_documents.offered(case)
    assert "oral" in offered and "record" in offered and "closing" in offered
    assert "termination" not in offered and "agreement" not in offered and "judicial" not in offered
    for kind in ("termination", "agreement", "judicial"):
        with pytest.raises(Conflict) as exc:
            case_documents.generate(case, kind, actor=mediator.user, reason="交当事人")
        assert exc.value.code == "DOCUMENT_NOT_APPLICABLE"
        with pytest.raises(Conflict):
            case_documents.download(case, kind, actor=mediator.user)
    client.force_login(mediator.user)
    page = client.get(f"/cases/workbench/{case.pk}/").content.decode()
    assert "口头协议登记表.docx" in page and "终止调解告知书.docx" not in page
    r = client.post(f"/api/v1/cases/{case.pk}/documents/termination", {"reason": "交当事人"},
                    content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "DOCUMENT_NOT_APPLICABLE"
    listed = client.get(f"/api/v1/cases/{case.pk}/documents").json()["items"]
    assert [d["kind"] for d in listed] == offered


@pytest.mark.django_db
def test_a_terminated_case_offers_the_termination_notice_not_the_agreement(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    session(case, mediator.user, timezone.now())
    case = transitions.transition(case, S.TERMINATED, actor=mediator.user, reason="双方分歧较大",
                                  details=transitions.Terminate("no_agreement"))
    offered = case_documents.offered(case)
    assert "termination" in offered and "agreement" not in offered and "oral" not in offered
    assert case_documents.generate(case, "termination", actor=mediator.user)[:2] == b"PK"
