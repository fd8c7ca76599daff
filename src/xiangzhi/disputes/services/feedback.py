"""Feedback and follow-up (回访): after closing, each party rates satisfaction (1–5) and comments on the QR status
page (the party is identified by the verified phone session, as everywhere on that page); the mediator records
follow-up visits; a party who reports "not performed" reopens the case for the mediator through ``transition``.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from xiangzhi.core.errors import Conflict, ValidationFailed, XiangzhiError
from xiangzhi.core.models import User

from .. import rules
from ..enums import CaseStage, EventKind, SystemMove
from ..models import Case, Feedback, FollowUpVisit, Party
from ..selectors import feedback_of
from .deadlines import supervisors_of
from .records import ToUser, record
from .transitions import Assign, transition

S = CaseStage


def rate(case: Case, party: Party, *, actor: User, rating: int, comment: str = "") -> Feedback:
    """A party's satisfaction rating, once per party. Side effects: the row, audit, a non-public timeline row."""

    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationFailed("INVALID_RATING", "请选择 1 至 5 星的满意度。")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if party.case_id != locked.pk or not rules.party_can_rate(party, locked,
                                                                  already_rated=feedback_of(party) is not None):
            raise Conflict("CANNOT_RATE", "结案后每位当事人可以评价一次。")
        try:
            with transaction.atomic():
                fb = Feedback.objects.create(case=locked, party=party, rating=rating, comment=(comment or "").strip()[:500])
        except IntegrityError:
            raise Conflict("ALREADY_RATED", "您已经评价过了。") from None
        record(locked, EventKind.FEEDBACK, {"party": party.pk, "rating": rating}, actor=actor,
               action="case.feedback", text=f"当事人评价：满意度 {rating} 星", public=False)
    return fb


def record_visit(case: Case, *, actor: User, performed: bool, visited_at: dt.datetime | None = None,
                 satisfaction: int | None = None, note: str = "", party: Party | None = None) -> FollowUpVisit:
    """回访记录 by the mediator or a supervisor: performed?, satisfaction, visitor, time (``visited_at``; none given:
    now)."""

    visited_at = visited_at or timezone.now()
    if satisfaction is not None and not 1 <= int(satisfaction) <= 5:
        raise ValidationFailed("INVALID_RATING", "满意度为 1 至 5。")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not rules.can_record_visit(actor, locked):
            raise XiangzhiError("FORBIDDEN", "只有本案调解员或上级在协议达成后可以记录回访。", status=403)
        visit = FollowUpVisit.objects.create(case=locked, party=party, performed=performed, satisfaction=satisfaction,
                                             note=(note or "").strip()[:500], visitor=actor, visited_at=visited_at)
        record(locked, EventKind.VISIT, {"visit": visit.pk, "performed": performed}, actor=actor,
               action="case.follow_up_visit",
               after={"visit": visit.pk, "performed": performed, "satisfaction": satisfaction},
               text="回访：协议" + ("已履行" if performed else "未履行"))
    return visit


def report_not_performed(case: Case, party: Party, *, actor: User, note: str = "",
                         now: dt.datetime | None = None) -> Case:
    """A party says the agreement was not performed. A closed case is reopened and handed back to its mediator
    (CLOSED → REOPENED → ASSIGNED through ``services.transition``, as the system); during follow-up the mediator and
    the supervisors are told at once. Side effects: feedback timeline row, transitions, notifications."""

    now = now or timezone.now()
    note = (note or "").strip()[:300]
    if party.case_id != case.pk or not rules.party_can_report_not_performed(party, case):
        raise Conflict("CANNOT_REPORT", "只有协议达成后的回访中或结案后，当事人可以反映未履行。")
    mediator = case.mediator
    with transaction.atomic():
        record(case, EventKind.NOT_PERFORMED, {"party": party.pk, "note": note}, actor=actor,
               action="case.not_performed", after={"party": party.pk}, note=note,
               text="当事人反映调解协议未履行" + (f"：{note}" if note else ""), at=now,
               notify=[ToUser(user, f"案件 {case.number} 当事人反映协议未履行", note or "请核实并处理。",
                              key=f"case:{case.pk}:not-performed:{party.pk}:{now.timestamp():.0f}:{user.pk}")
                       for user in ([mediator] if mediator else []) + supervisors_of(case)])
        if case.stage == S.CLOSED:
            reason = "当事人反映协议未履行，案件重新启动" + (f"：{note}" if note else "")
            case = transition(case, S.REOPENED, actor=None, reason=reason, by=SystemMove.NOT_PERFORMED, now=now)
            if mediator is not None:
                case = transition(case, S.ASSIGNED, actor=None, reason="重新启动后交原调解员办理",
                                  details=Assign(mediator.pk), by=SystemMove.NOT_PERFORMED, now=now)
    return case
