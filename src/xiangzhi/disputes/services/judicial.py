"""司法确认 (judicial confirmation): after an effective agreement, the parties may jointly apply to the court within
30 days (民事诉讼法 第205条); the platform offers and generates the joint application and tracks application →
accepted → confirmed / rejected (or not accepted) with the court's dates. The 30-day warning is sent by the periodic
pass (deadlines.judicial_warnings)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from xiangzhi.core.errors import Conflict, ValidationFailed, XiangzhiError
from xiangzhi.core.models import User

from .. import rules
from ..enums import CaseStage, EventKind, JudicialStatus
from ..models import Case, JudicialConfirmation
from .records import record

S = CaseStage
NEXT = {
    JudicialStatus.APPLIED: {JudicialStatus.ACCEPTED, JudicialStatus.NOT_ACCEPTED},
    JudicialStatus.ACCEPTED: {JudicialStatus.CONFIRMED, JudicialStatus.REJECTED},
}


def apply(case: Case, *, actor: User, court: str, applied_at: dt.datetime | None = None) -> JudicialConfirmation:
    """Record the joint application (filed with ``court``, at ``applied_at``; none given: now). Refused after the
    30-day window; its time is neither in the future (``DATE_IN_FUTURE``) nor before the agreement took effect
    (``DATE_BEFORE_AGREEMENT``)."""

    now = timezone.now()
    applied_at = applied_at or now
    if applied_at > now:
        raise ValidationFailed("DATE_IN_FUTURE", "申请司法确认的时间不能晚于现在。", {"applied_at": ["不能晚于现在。"]})
    court = (court or "").strip()
    if not court:
        raise ValidationFailed("COURT_REQUIRED", "请填写受理的人民法院。")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not rules.can_record_judicial(actor, locked):
            raise XiangzhiError("FORBIDDEN", "您无权办理该案件的司法确认。", status=403)
        closes = rules.window_closes(locked)
        if closes is None:
            raise Conflict("NO_EFFECTIVE_AGREEMENT", "协议生效后才能申请司法确认。")
        if applied_at < locked.agreement_effective_at.replace(second=0, microsecond=0):  # forms give whole minutes
            raise ValidationFailed("DATE_BEFORE_AGREEMENT", "申请司法确认的时间不能早于协议生效的时间。",
                                   {"applied_at": ["不能早于协议生效的时间。"]})
        if applied_at > closes:
            raise Conflict("WINDOW_CLOSED", "已超过协议生效之日起30日的司法确认申请期限（民事诉讼法第二百零五条）。")
        if JudicialConfirmation.objects.filter(case=locked).exists():
            raise Conflict("ALREADY_APPLIED", "已经申请过司法确认。")
        jc = JudicialConfirmation.objects.create(case=locked, court=court[:80], applied_at=applied_at,
                                                 recorded_by=actor)
        record(locked, EventKind.JUDICIAL, {"status": jc.status, "court": court}, actor=actor,
               action="case.judicial_applied", after={"court": court},
               text=f"双方当事人向{court}共同申请司法确认", at=applied_at)
    return jc


def record_court(case: Case, *, actor: User, status: str, at: dt.datetime | None = None, court_case_number: str = "",
                 note: str = "") -> JudicialConfirmation:
    """The court's step with its date (``at``; none given: now): accepted (with 调确字 number) / not accepted, then
    confirmed / rejected. The date is not in the future (``DATE_IN_FUTURE``) nor before the application (or the
    acceptance; ``INVALID_DATE``)."""

    now = timezone.now()
    at = at or now
    if at > now:
        raise ValidationFailed("DATE_IN_FUTURE", "法院办理的日期不能晚于现在。", {"at": ["不能晚于现在。"]})
    if status not in JudicialStatus.values:
        raise ValidationFailed("INVALID_STATUS", "司法确认状态无效。")
    with transaction.atomic():
        jc = JudicialConfirmation.objects.select_for_update().select_related("case").filter(case_id=case.pk).first()
        if jc is None:
            raise Conflict("NOT_APPLIED", "尚未申请司法确认。")
        if not rules.can_record_judicial(actor, jc.case):
            raise XiangzhiError("FORBIDDEN", "您无权办理该案件的司法确认。", status=403)
        if status not in NEXT.get(jc.status, set()):
            raise Conflict("INVALID_JUDICIAL_STEP",
                           f"司法确认当前为“{JudicialStatus(jc.status).label}”，不能记为“{JudicialStatus(status).label}”。")
        if status in (JudicialStatus.ACCEPTED, JudicialStatus.NOT_ACCEPTED):
            if at < _day_of(jc.applied_at):
                raise ValidationFailed("INVALID_DATE", "受理日期不能早于申请日期。")
            jc.accepted_at = at
            jc.court_case_number = (court_case_number or "")[:60]
        else:
            if at < _day_of(jc.accepted_at or jc.applied_at):
                raise ValidationFailed("INVALID_DATE", "裁定日期不能早于受理日期。")
            jc.decided_at = at
        jc.status = status
        jc.decision_note = (note or "")[:300]
        jc.save()
        record(jc.case, EventKind.JUDICIAL, {"status": status, "court_case_number": jc.court_case_number},
               actor=actor, action="case.judicial_" + status, text=f"司法确认：{JudicialStatus(status).label}", at=at)
    return jc


def _day_of(at: dt.datetime) -> dt.datetime:
    """The start of ``at``'s local day: the court's steps are dated by day (the page gives a date), so a step on the
    day of the application is not before it."""
    return timezone.localtime(at).replace(hour=0, minute=0, second=0, microsecond=0)
