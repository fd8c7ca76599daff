"""Helpers for dispute tests: an intake through the services, and a case walked to any stage."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import first_village, valid_id_number
from xiangzhi.disputes.services import intake, routing, transitions

WUZHEN = "330483100"
CHONGFU = "330483107"


def intake_data(region_code: str | None = None, *, description: str = "隔壁邻居把围墙砌到我家院子里来了，占了一米多",
           applicant_phone: str = "13800000001", applicant_id: str = "", respondent_name: str = "李四",
           respondent_id: str = "", files=None, type_code: str = "", on_spot: str = "", consent: bool = True,
           risk_level: str = "normal"):
    from xiangzhi.disputes.services.intake import IntakeIn, PartyIn

    return IntakeIn(
        applicant=PartyIn(name="张三", phone=applicant_phone, id_number=applicant_id),
        respondents=[PartyIn(name=respondent_name, id_number=respondent_id)],
        region_code=region_code or first_village(WUZHEN).code,
        description=description, request="请求拆除占地部分围墙", type_code=type_code, consent=consent,
        files=files or [], on_spot_agreement=on_spot, risk_level=risk_level,
    )


def docx_text(data: bytes) -> str:
    """The text of a .docx: its paragraphs, then its tables' cells."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def new_case(actor=None, channel="online", **kw):

    routing.ensure_reference_data()  # transactional tests flush what the data migration seeded
    return intake.create_case(intake_data(**kw), actor=actor, channel=channel)


def prepare_mediation(case, user):
    """What must be recorded before the rights-notice stage and mediation (人民调解法 第17、23、24条): every party's
    consent (the pending ones, given by phone to ``user``) and the rights notice served on every party."""
    from xiangzhi.disputes.models import Party
    from xiangzhi.disputes.services import mediation

    at = case.created_at
    pending = [mediation.ConsentIn(p, True, "phone", at) for p in Party.objects.filter(case=case, consent="pending")]
    if pending:
        mediation.record_consents(case, pending, actor=user)
    unserved = list(Party.objects.filter(case=case, rights_served_at__isnull=True))
    if unserved:
        mediation.serve_rights(case, unserved, actor=user, method="in_person", at=at)


def walk(case, to, mediator_user):
    """Move a fresh case along the main path until it reaches ``to`` (the mediator acts throughout; the parties'
    consent and the rights notice are recorded before the rights-notice stage)."""
    from xiangzhi.disputes.enums import CaseStage as S

    path = [S.ACCEPTED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION, S.AGREEMENT_WRITTEN]
    details = {S.AGREEMENT_WRITTEN: transitions.Agree("李四拆除占地围墙，张三不再追究")}
    for stage in path:
        if case.stage == to:
            return case
        if stage == S.NOTICE_SERVED:
            prepare_mediation(case, mediator_user)
        if stage == S.AGREEMENT_WRITTEN:
            session(case, mediator_user)
        case = transitions.transition(case, stage, actor=mediator_user, reason="测试", details=details.get(stage))
    return case


def session(case, user, when=None):
    """A record of one mediation session (人民调解法 第27条), as an agreement or a termination after an attempt needs;
    ``when``: the session's time (default now)."""
    from django.utils import timezone

    from xiangzhi.disputes.services import mediation

    return mediation.record_session(case, actor=user, held_at=when or timezone.now(), place="村调解室",
                                    attendees="双方当事人", summary="听取双方陈述，组织协商")


@pytest.fixture
def case(mediator):
    return new_case()


# A frozen clock for deadline tests: walk a case with ``now=`` at a fixed instant.
TZ = ZoneInfo("Asia/Shanghai")
MON = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday without holidays around it


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def walk_at(case, to, user, when, **fields):
    """Like ``walk``, at ``when``, by ``user``; ``fields``: the last move's fields as a form or the API gives them
    (transitions.details_for)."""
    from xiangzhi.disputes.enums import CaseStage as S

    path = [S.ACCEPTED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION]
    for stage in path:
        if case.stage == to:
            return case
        if stage == S.NOTICE_SERVED:
            prepare_mediation(case, user)
        case = transitions.transition(case, stage, actor=user, reason="测试", now=when)
    if case.stage != to:
        details = transitions.details_for(to, **fields)
        from xiangzhi.disputes import rules

        if rules.session_required(case.stage, to, getattr(details, "reason_code", "")) and case.stage == S.IN_MEDIATION:
            from django.utils import timezone

            session(case, user, min(max(when, case.created_at), timezone.now()))
        case = transitions.transition(case, to, actor=user, reason="测试", now=when, details=details)
    return case


__all__ = ["CHONGFU", "MON", "TZ", "WUZHEN", "at", "intake", "new_case", "prepare_mediation", "session",
           "valid_id_number", "walk", "walk_at"]


def risk_report(**kw):
    """A report to the police (人民调解法 第25条), as raising a case to 重大 risk needs it, made just now."""
    from django.utils import timezone

    from xiangzhi.disputes.services.deadlines import RiskReportIn

    return RiskReportIn(**{"recipient": "police", "reported_to": "乌镇派出所 王警官", "method": "phone",
                           "reported_at": timezone.now(), **kw})


def risk_report_json(**kw) -> dict:
    """The same report as the API's body takes it."""
    from django.utils import timezone

    return {"recipient": "police", "reported_to": "乌镇派出所 王警官", "method": "phone",
            "reported_at": timezone.now().isoformat(timespec="seconds"), **kw}



def reaches_disputes(rel: str, text: str) -> bool:
    """May the module at ``rel`` (relative to src/xiangzhi) touch cases and their timeline? Only the disputes app and
    modules that import it can (the apps below disputes never do; the others call its services): the source scans of
    the state machine and of the event kinds look at those, not at another app's own ``stage`` or ``record()``."""
    return rel.startswith("disputes/") or "xiangzhi.disputes" in text
