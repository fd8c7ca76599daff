"""Recusal (回避): a mediator who is a party or related to one does not mediate. The assignment and the confirmation
refuse such a mediator (``transitions.check_not_recused``, ``MEDIATOR_RECUSED``); here a mediator declares a conflict
and is taken off the case, and a party asks for another mediator (人民调解法 第23条: 选择或者接受调解员), which the
committee grants (the mediator is taken off and the case reassigned through the state machine) or refuses (the
reason recorded, the party told)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from xiangzhi.core import rules as core_rules
from xiangzhi.core.errors import Conflict, ValidationFailed
from xiangzhi.core.models import User

from .. import rules
from ..enums import CaseStage, EventKind, PartyRole, RecusalStatus, SystemMove
from ..models import Case, MediatorConflict, Party, RecusalRequest
from .records import ToOrganisation, ToParties, record
from .transitions import Assign, transition

S = CaseStage


def _reason(text: str, what: str, *, least: int = 4) -> str:
    text = (text or "").strip()
    if len(text) < least or len(text) > 300:
        raise ValidationFailed("REASON_REQUIRED", f"请填写{what}（{least}至300字）。", {"reason": [f"请填写{what}。"]})
    return text


def _take_off(case: Case, reason: str, now: dt.datetime) -> Case:
    """The system takes the recused mediator off: back to be assigned again (SYSTEM_MOVES: MEDIATOR_RECUSED)."""
    return transition(case, S.ACCEPTED, actor=None, reason=reason, by=SystemMove.MEDIATOR_RECUSED, now=now)


def declare_conflict(case: Case, *, actor: User, reason: str, now: dt.datetime | None = None) -> MediatorConflict:
    """The case's mediator declares that they are a party or related to one (``rules.can_declare_conflict``): the
    declaration is kept, the mediator is taken off the case (back to "待指派") and may not be assigned to it again.
    Side effects: the conflict row, audit, timeline, the stage move and its notices, a notice to the committee.
    Refusals: ``REASON_REQUIRED``, ``CANNOT_DECLARE_CONFLICT``."""
    now = now or timezone.now()
    reason = _reason(reason, "回避事由")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not rules.can_declare_conflict(actor, locked):
            raise Conflict("CANNOT_DECLARE_CONFLICT", "只有本案调解员在承办期间可以申明回避。")
        conflict = MediatorConflict.objects.create(case=locked, mediator=actor, reason=reason, declared_at=now)
        record(locked, EventKind.CONFLICT_DECLARED, {"mediator": actor.pk, "reason": reason}, actor=actor,
               action="case.conflict_declared", note=reason, text="调解员申明回避，将另行指派调解员", at=now,
               notify=[ToOrganisation(locked.organisation, f"调解员申明回避，案件 {locked.number} 待重新指派")]
               if locked.organisation_id else ())
        _take_off(locked, f"调解员申明回避：{reason}", now)
    return conflict


def request_recusal(case: Case, party: Party, *, actor: User, reason: str,
                    now: dt.datetime | None = None) -> RecusalRequest:
    """A party asks for another mediator, with a reason: on their own page (``actor`` the party's account, ``party``
    the party the session proves: ``rules.party_can_request_recusal``) or through staff who took the request in
    person or by phone (``rules.can_request_recusal_for``: the committee, not the mediator objected to). One request
    at a time. Side effects: the request row, audit, timeline, a notice to the committee. Refusals:
    ``REASON_REQUIRED``, ``INVALID_PARTY``, ``CANNOT_REQUEST_RECUSAL``."""
    now = now or timezone.now()
    reason = _reason(reason, "申请更换调解员的理由")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        own = Party.objects.filter(pk=party.pk, case=locked).select_related("person").first()
        if own is None:
            raise ValidationFailed("INVALID_PARTY", "该当事人不属于本案。", {"party": party.pk})
        pending = RecusalRequest.objects.filter(case=locked, status=RecusalStatus.PENDING).exists()
        allowed = (rules.can_request_recusal_for(actor, locked, pending=pending) if core_rules.is_staff_member(actor)
                   else rules.party_can_request_recusal(own, locked, pending=pending))
        if not allowed:
            raise Conflict("CANNOT_REQUEST_RECUSAL", "当前不能申请更换调解员（案件没有承办调解员，或已有申请待决定）。")
        req = RecusalRequest.objects.create(case=locked, party=own, mediator_id=locked.mediator_id, reason=reason,
                                            requested_at=now, requested_by=actor if actor.pk else None)
        who = f"{PartyRole(own.role).label}{own.masked_name}"
        record(locked, EventKind.RECUSAL_REQUESTED, {"request": req.pk, "party": own.pk, "mediator": req.mediator_id,
                                                     "reason": reason}, actor=actor, action="case.recusal_requested",
               note=reason, text=f"{who}申请更换调解员，待调解委员会决定", at=now,
               notify=[ToOrganisation(locked.organisation, f"案件 {locked.number} 当事人申请更换调解员")]
               if locked.organisation_id else ())
    return req


def decide_recusal(case: Case, *, actor: User, grant: bool, note: str = "", mediator_id: int | None = None,
                   now: dt.datetime | None = None) -> RecusalRequest:
    """The committee decides the pending request (``rules.can_decide_recusal``: its organisation's mediators or a
    supervisor, never the mediator objected to). Granted: the mediator is taken off (a system move back to
    "待指派") and, when ``mediator_id`` is given, the case is assigned to them (the assignment's own guards,
    recusal included: the mediator taken off may not come back). Refused: the reason is required, recorded, and the
    parties are told. Side effects: the request row, audit, timeline, the moves and their notices. Refusals:
    ``NO_PENDING_REQUEST``, ``CANNOT_DECIDE_RECUSAL``, ``REASON_REQUIRED`` and the assignment's codes."""
    now = now or timezone.now()
    note = (note or "").strip()
    if not grant:
        note = _reason(note, "不予更换的理由", least=2)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        req = RecusalRequest.objects.select_for_update().filter(case=locked, status=RecusalStatus.PENDING).first()
        if req is None:
            raise Conflict("NO_PENDING_REQUEST", "本案没有待决定的更换调解员申请。")
        if not rules.can_decide_recusal(actor, locked):
            raise Conflict("CANNOT_DECIDE_RECUSAL", "更换调解员的申请由调解委员会决定（被申请回避的调解员本人不能决定）。")
        req.status = RecusalStatus.GRANTED if grant else RecusalStatus.REFUSED
        req.decided_by, req.decided_at, req.decision_note = actor, now, note[:300]
        req.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        text = "调解委员会决定准许更换调解员" if grant else f"调解委员会决定不予更换调解员：{note}"
        record(locked, EventKind.RECUSAL_DECIDED, {"request": req.pk, "granted": grant, "note": note},
               actor=actor, action="case.recusal_decided", note=note, text=text, at=now,
               notify=() if grant else [ToParties(f"：{text}", key=f"recusal:{req.pk}")])
        if grant:
            moved = _take_off(locked, "当事人申请更换调解员，调解委员会决定准许", now)
            if mediator_id is not None:
                moved = transition(moved, S.ASSIGNED, actor=actor, reason="更换调解员", details=Assign(mediator_id),
                                   now=now)
                req.new_mediator_id = moved.mediator_id
                req.save(update_fields=["new_mediator"])
    return req
