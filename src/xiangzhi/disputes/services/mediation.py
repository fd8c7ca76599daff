"""Mediation: the mediator's confirmation of an assignment and its deadline, the records of mediation sessions
(人民调解法 第27条), the parties' consent (第17、23条) — answered on their own page or recorded by staff — and a
refusal ending mediation, the notice of the application to a party an SMS cannot reach, the rights notice served on
each party (第23、24条; 若干规定 第30条), an applicant's withdrawal."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict, ValidationFailed, XiangzhiError
from xiangzhi.core.models import User

from .. import rules
from ..enums import (
    REFUSAL_ENDS,
    STAFF_CONSENT_METHODS,
    CaseStage,
    Consent,
    ConsentMethod,
    EventKind,
    NotAcceptedGround,
    NoticeMethod,
    PartyMove,
    PartyRole,
    RightsMethod,
    SystemMove,
    TerminationReason,
)
from ..models import (
    Case,
    MediationSession,
    Party,
)
from .records import Batch, ToUser, record
from .transitions import NotAccept, Terminate, check_not_recused, transition

S = CaseStage


# ----------------------------------------------------------------------------------------------------------------
# Assignment confirmation and its deadline
# ----------------------------------------------------------------------------------------------------------------
def confirm_assignment(case: Case, *, actor: User, now: dt.datetime | None = None) -> Case:
    """The assigned mediator confirms within 3 working days. Side effects: the case row, audit, timeline."""
    return confirm_assignments([case], actor=actor, now=now)[0]


def confirm_assignments(cases: list[Case], *, actor: User, now: dt.datetime | None = None,
                        batch: Batch | None = None) -> list[Case]:
    """``actor``, the mediator assigned to each of ``cases``, confirms them (within 3 working days of each
    assignment): the one writer of ``Case.mediator_confirmed_at`` outside the state machine. Saved cases are locked
    (one SELECT … FOR UPDATE) and saved; cases not saved yet — new cases of a ``batch`` (the demo year's) — are
    confirmed in memory and the caller writes their rows before ``batch.write()``. Without ``batch`` the records
    are written at the end. Refusals (the whole call): ``CANNOT_CONFIRM``, ``CONFIRMATION_EXPIRED``."""
    now = now or timezone.now()
    own = batch is None
    batch = batch if batch is not None else Batch()
    saved = [c.pk for c in cases if c.pk is not None]
    with transaction.atomic(savepoint=bool(saved) or own):  # new cases of a batch: nothing written here
        fresh = Case.objects.select_for_update().in_bulk(saved) if saved else {}
        confirmed = []
        for case in cases:
            row = fresh[case.pk] if case.pk is not None else case
            if not rules.can_confirm_assignment(actor, row):
                raise Conflict("CANNOT_CONFIRM", "只有被指派的调解员可以在“已指派”阶段确认接案。")
            if row.confirm_due and now > row.confirm_due:
                raise Conflict("CONFIRMATION_EXPIRED", "已超过3个工作日的确认期限，案件将退回待派。")
            check_not_recused(row, actor.pk, parties=batch.parties_of(row) if row.pk is None else None)
            row.mediator_confirmed_at = now
            if row.pk is not None:
                row.save(update_fields=["mediator_confirmed_at"])
            batch.record(row, EventKind.ASSIGNMENT_CONFIRMED, {"mediator": actor.pk}, actor=actor,
                         action="case.assignment_confirmed", after=None, text="调解员已确认接案", at=now)
            confirmed.append(row)
        if own:
            batch.write()
    return confirmed


def expire_unconfirmed_assignments(*, now: dt.datetime | None = None) -> int:
    """Periodic: assignments not confirmed by their deadline go back to the organisation's queue."""
    now = now or timezone.now()
    due = list(Case.objects.filter(stage=S.ASSIGNED, mediator_confirmed_at__isnull=True, confirm_due__lt=now)
               .values_list("pk", flat=True)[:500])
    done = 0
    for pk in due:
        case = Case.objects.get(pk=pk)
        try:
            transition(case, S.ACCEPTED, actor=None, reason="调解员未在3个工作日内确认接案，退回待派",
                       by=SystemMove.CONFIRMATION_EXPIRED, now=now)
        except XiangzhiError:
            continue  # someone confirmed or moved it meanwhile
        done += 1
    return done


# ----------------------------------------------------------------------------------------------------------------
# Mediation records, signatures, seal
# ----------------------------------------------------------------------------------------------------------------
def record_session(case: Case, *, actor: User, held_at: dt.datetime, place: str, attendees: str, summary: str
                   ) -> MediationSession:
    """调解工作记录 (人民调解法 第27条). The session's time is neither in the future (``DATE_IN_FUTURE``) nor before
    the case was registered (``DATE_BEFORE_CASE``). Side effects: the row, audit, a non-public timeline row."""
    return record_sessions([case], actor=actor, held_at=held_at, place=place, attendees=attendees,
                           summary=summary)[0]


def record_sessions(cases: list[Case], *, actor: User, held_at: dt.datetime, place: str, attendees: str,
                    summary: str, batch: Batch | None = None, now: dt.datetime | None = None
                    ) -> list[MediationSession]:
    """``record_session`` for many cases at once, the same record in each (the demo year's past cases): the same
    checks (``rules.can_record_session``, no date in the future or before the case), rows, audit rows and events.
    Saved cases are locked (one SELECT … FOR UPDATE) and their rows written; cases not saved yet — new cases of a
    ``batch`` — have their rows held by the batch (``Batch.hold_session``) and written by ``batch.write()``. Without
    ``batch`` the records are written at the end. ``now``: when it is recorded (the demo year's past). A refusal
    refuses the whole call."""
    place, attendees, summary = (place or "").strip(), (attendees or "").strip(), (summary or "").strip()
    errors = {}
    if not place:
        errors["place"] = ["请填写调解地点。"]
    if not attendees:
        errors["attendees"] = ["请填写参加人员。"]
    if len(summary) < 4:
        errors["summary"] = ["请记录调解情况。"]
    if held_at is None:
        errors["held_at"] = ["请填写调解时间。"]
    if errors:
        raise ValidationFailed("INVALID_SESSION", next(iter(errors.values()))[0], errors)
    now = now or timezone.now()
    if held_at > now:
        raise ValidationFailed("DATE_IN_FUTURE", "调解时间不能晚于现在。", {"held_at": ["调解时间不能晚于现在。"]})
    own = batch is None
    batch = batch if batch is not None else Batch()
    saved = [c.pk for c in cases if c.pk is not None]
    digest = hashlib.sha256(summary.encode()).hexdigest()
    made = []
    with transaction.atomic(savepoint=bool(saved) or own):
        fresh = Case.objects.select_for_update().in_bulk(saved) if saved else {}
        saved_parties: dict[int, list[Party]] = {}
        for p in Party.objects.filter(case_id__in=saved) if saved else ():
            saved_parties.setdefault(p.case_id, []).append(p)
        for case in cases:
            row = fresh[case.pk] if case.pk is not None else case
            if not rules.can_record_session(actor, row):
                raise Conflict("CANNOT_RECORD_SESSION", "只有本案调解员在调解阶段可以记录调解情况。")
            parties = (batch.parties_of(row) or []) if row.pk is None else saved_parties.get(row.pk, [])
            blocked = rules.mediation_block([p.consent for p in parties], [p.rights_served_at is not None for p in parties])
            if blocked is not None:
                raise Conflict(blocked, rules.MEDIATION_BLOCKS[blocked])
            if held_at < row.created_at.replace(second=0, microsecond=0):  # forms give whole minutes
                raise ValidationFailed("DATE_BEFORE_CASE", "调解时间不能早于案件登记的时间。",
                                       {"held_at": ["调解时间不能早于案件登记的时间。"]})
            session = MediationSession(case=row, held_at=held_at, place=place[:120], attendees=attendees[:300],
                                       summary=summary, recorded_by=actor)
            payload, after = {"session": None, "held_at": held_at.isoformat(), "sha256": digest}, {"session": None}
            if row.pk is not None:
                session.save()
                payload["session"] = after["session"] = session.pk
            else:
                batch.hold_session(session, payload, after)
            batch.record(row, EventKind.SESSION, payload, actor=actor, action="case.session_recorded",
                         after=after, text=f"调解员记录了一次调解（{place[:40]}）", at=now)
            made.append(session)
        if own:
            batch.write()
    return made


# ----------------------------------------------------------------------------------------------------------------
# The parties' contact details for the handling mediator
# ----------------------------------------------------------------------------------------------------------------
def party_contacts(case: Case, *, actor: User, parties: list[Party] | None = None) -> dict[int, dict[str, str]]:
    """The parties' names and phone numbers in full (party id → {"name", "phone"}) for the mediator who handles the
    case (``rules.is_handling_mediator``): they must phone them. For anyone else: {} (the pages show them masked).

    Side effects: for each party who is a person, one personal-data access-log row (``core.reveal_personal_data``)
    with the reason ``rules.HANDLING_CONTACT_REASON``: every view is logged."""
    if not rules.is_handling_mediator(actor, case):
        return {}
    parties = parties if parties is not None else list(case.parties.select_related("person"))
    out: dict[int, dict[str, str]] = {}
    with transaction.atomic():
        for p in parties:
            if p.person_id:
                out[p.pk] = core.reveal_personal_data(p.person, actor=actor, reason=rules.HANDLING_CONTACT_REASON,
                                                      fields=("name", "phone"))
    return out


def answer_consent(case: Case, party: Party, *, actor: User, agree: bool) -> Party:
    """A respondent answers "do you agree to mediation?" on their own page. A clear refusal ends mediation
    (人民调解法 第17条): the case is not accepted, or mediation is terminated (``end_on_refusal``)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        party = Party.objects.select_for_update().get(pk=party.pk, case=locked)
        if not rules.party_can_answer_consent(party, locked):
            raise Conflict("CANNOT_ANSWER", "当前不能答复是否同意调解。")
        party.consent = Consent.AGREED if agree else Consent.REFUSED
        party.consent_at = timezone.now()
        party.consent_method, party.consent_recorded_by, party.consent_note = ConsentMethod.ONLINE, None, ""
        party.save(update_fields=["consent", "consent_at", "consent_method", "consent_recorded_by", "consent_note"])
        record(locked, EventKind.CONSENT, {"party": party.pk, "consent": party.consent,
                                           "method": ConsentMethod.ONLINE}, actor=actor,
               action="case.consent", text="被申请人同意调解" if agree else "被申请人明确拒绝调解",
               notify=[ToUser(locked.mediator, f"案件 {locked.number} 当事人答复",
                              "被申请人同意调解。" if agree else "被申请人明确拒绝调解，调解依法终止。")]
               if locked.mediator_id else ())
        if not agree:
            end_on_refusal(locked, party, method=ConsentMethod.ONLINE)
    return party


# ----------------------------------------------------------------------------------------------------------------
# Consent recorded by staff, the notice of the application, the rights notice
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConsentIn:
    """One party's answer given to staff: the party (of the case), agree or refuse, how (in person, by phone, in
    writing: ``STAFF_CONSENT_METHODS``), when it was given, and an optional note."""
    party: Party
    agree: bool
    method: str
    at: dt.datetime | None
    note: str = ""


def _party_label(party: Party) -> str:
    return f"{PartyRole(party.role).label}{party.masked_name}"


def _check_when(at: dt.datetime | None, case: Case, now: dt.datetime, *, what: str, field: str) -> None:
    """A recorded time: given, not in the future (``DATE_IN_FUTURE``), not before the case was registered
    (``DATE_BEFORE_CASE``; forms give whole minutes)."""
    if at is None:
        raise ValidationFailed("DATE_REQUIRED", f"请填写{what}。", {field: [f"请填写{what}。"]})
    if at > now:
        raise ValidationFailed("DATE_IN_FUTURE", f"{what}不能晚于现在。", {field: [f"{what}不能晚于现在。"]})
    if at < case.created_at.replace(second=0, microsecond=0):
        raise ValidationFailed("DATE_BEFORE_CASE", f"{what}不能早于案件登记的时间。",
                               {field: [f"{what}不能早于案件登记的时间。"]})


def _case_and_parties(case: Case, batch: Batch | None) -> tuple[Case, list[Party]]:
    """The case locked with its parties locked (a saved case), or a new case of ``batch`` with its parties in
    memory."""
    if case.pk is None:
        parties = batch.parties_of(case) if batch is not None else None
        if parties is None:
            raise ValueError("a case not saved yet is recorded through the batch that creates it")
        return case, parties
    locked = Case.objects.select_for_update().get(pk=case.pk)
    return locked, list(Party.objects.select_for_update(of=("self",)).filter(case=locked).select_related("person"))


def _own(parties: list[Party], party: Party) -> Party:
    """The case's own row of ``party`` (by id for a saved case, the object itself for a new one)."""
    found = next((p for p in parties if (p.pk is not None and p.pk == party.pk) or p is party), None)
    if found is None:
        raise ValidationFailed("INVALID_PARTY", "该当事人不属于本案。", {"party": party.pk})
    return found


def record_consents(case: Case, answers: list[ConsentIn], *, actor: User, now: dt.datetime | None = None,
                    batch: Batch | None = None) -> list[Party]:
    """Staff record the parties' answers given to them in person, by phone or in writing (人民调解法 第17、23条):
    the handling mediator or the committee (``rules.can_record_consent``; a grid worker for an on-the-spot
    settlement). Each answer: how, when (not in the future, not before the case was registered), who recorded it, an
    optional note. A party's own answer on their page is ``answer_consent``'s. A refusal ends mediation
    (``end_on_refusal``: not accepted before acceptance, terminated during mediation) and the parties are told.

    ``batch``: the answers of a new case of a batch (the demo year's; agreements only) are set in memory and
    recorded in the batch. Side effects: the party rows, audit, a timeline event per answer (public), a notice to
    the mediator. Refusals (the whole call): ``INVALID_CONSENT``, ``DATE_*``, ``INVALID_PARTY``,
    ``CANNOT_RECORD_CONSENT``, ``REFUSAL_NOT_BATCHED``."""
    now = now or timezone.now()
    if not answers:
        raise ValidationFailed("INVALID_CONSENT", "请选择当事人并填写其答复。")
    for a in answers:
        if a.method not in STAFF_CONSENT_METHODS:
            raise ValidationFailed("INVALID_CONSENT", "请选择当事人表示意见的方式（当面、电话或书面）。",
                                   {"method": sorted(STAFF_CONSENT_METHODS)})
        if len((a.note or "").strip()) > 200:
            raise ValidationFailed("INVALID_CONSENT", "说明不能超过200字。", {"note": ["说明不能超过200字。"]})
    with transaction.atomic():
        locked, parties = _case_and_parties(case, batch)
        write = batch.record if batch is not None else record
        done, refused = [], None
        for a in answers:
            party = _own(parties, a.party)
            _check_when(a.at, locked, now, what="当事人表示意见的时间", field="at")
            if not rules.can_record_consent(actor, locked, party, agree=a.agree) or party in done:
                raise Conflict("CANNOT_RECORD_CONSENT", "当前不能记录该当事人的答复（已答复，或案件不在可记录的阶段，"
                               "或您不是本案调解员、调解委员会人员）。", {"party": party.pk})
            party.consent = Consent.AGREED if a.agree else Consent.REFUSED
            party.consent_at, party.consent_method = a.at, a.method
            party.consent_recorded_by, party.consent_note = actor, (a.note or "").strip()
            if party.pk is not None and locked.pk is not None:
                party.save(update_fields=["consent", "consent_at", "consent_method", "consent_recorded_by",
                                          "consent_note"])
            said = "同意调解" if a.agree else "明确拒绝调解"
            write(locked, EventKind.CONSENT, {"party_order": party.order, "role": party.role, "consent": party.consent,
                                              "method": a.method, "at": a.at.isoformat(), "recorded_by": actor.pk},
                  actor=actor, action="case.consent_recorded", note=party.consent_note,
                  text=f"{_party_label(party)}{ConsentMethod(a.method).label}{said}", at=now,
                  notify=[ToUser(locked.mediator, f"案件 {locked.number} 当事人答复", f"{_party_label(party)}{said}。")]
                  if locked.mediator_id and locked.mediator_id != actor.pk else ())
            done.append(party)
            refused = refused or (None if a.agree else party)
        if refused is not None:
            if locked.pk is None:
                raise ValidationFailed("REFUSAL_NOT_BATCHED", "拒绝调解须逐案记录。")
            end_on_refusal(locked, refused, method=next(a.method for a in answers if not a.agree))
    return done


def record_consent(case: Case, party: Party, *, actor: User, agree: bool, method: str, at: dt.datetime | None,
                   note: str = "", now: dt.datetime | None = None) -> Party:
    """One party's answer given to staff (``record_consents`` for one)."""
    return record_consents(case, [ConsentIn(party, agree, method, at, note)], actor=actor, now=now)[0]


def end_on_refusal(case: Case, party: Party, *, method: str) -> Case:
    """A party clearly refused mediation (人民调解法 第17条): the system moves the case — not accepted before it was
    accepted, terminated during mediation (``REFUSAL_ENDS``) — with the reason, and the parties are told the other
    routes (the move's notices)."""
    to = REFUSAL_ENDS.get(case.stage)
    if to is None:
        return case
    reason = f"{_party_label(party)}明确拒绝调解（{ConsentMethod(method).label}）"
    details = (NotAccept(NotAcceptedGround.PARTY_REFUSES) if to == S.NOT_ACCEPTED
               else Terminate(TerminationReason.PARTY_REFUSES))
    return transition(case, to, actor=None, reason=reason, details=details, by=SystemMove.PARTY_REFUSED)


def record_notice(case: Case, party: Party, *, actor: User, method: str, by: str, at: dt.datetime | None,
                  now: dt.datetime | None = None, batch: Batch | None = None) -> Party:
    """A party an SMS cannot reach (no phone) is told of the application by a recorded means — a letter, the village
    committee or the grid worker in person, a relative, another phone (``NoticeMethod``): which, by whom (``by``),
    when (not in the future, not before the case). ``rules.can_record_notice``. The case leaves the to-do's
    "待通知当事人". Side effects: the party row, audit, a timeline event naming the means. Refusals:
    ``INVALID_NOTICE``, ``DATE_*``, ``INVALID_PARTY``, ``CANNOT_RECORD_NOTICE``."""
    now = now or timezone.now()
    by = (by or "").strip()
    if method not in NoticeMethod.values:
        raise ValidationFailed("INVALID_NOTICE", "请选择通知方式。", {"method": NoticeMethod.values})
    if not by or len(by) > 60:
        raise ValidationFailed("INVALID_NOTICE", "请填写通知人（60字以内）。", {"by": ["请填写通知人（60字以内）。"]})
    with transaction.atomic():
        locked, parties = _case_and_parties(case, batch)
        party = _own(parties, party)
        _check_when(at, locked, now, what="通知时间", field="at")
        if not rules.can_record_notice(actor, locked, party):
            raise Conflict("CANNOT_RECORD_NOTICE", "当前不能记录对该当事人的通知。", {"party": party.pk})
        party.notice_method, party.notice_by, party.notice_at, party.notice_recorded_by = method, by, at, actor
        if party.pk is not None and locked.pk is not None:
            party.save(update_fields=["notice_method", "notice_by", "notice_at", "notice_recorded_by"])
        (batch.record if batch is not None else record)(
            locked, EventKind.NOTICE, {"party_order": party.order, "role": party.role, "method": method, "by": by,
                                       "at": at.isoformat()},
            actor=actor, action="case.party_noticed", text=f"已以“{NoticeMethod(method).label}”方式通知{_party_label(party)}",
            at=now)
    return party


def serve_rights(case: Case, parties: list[Party], *, actor: User, method: str, at: dt.datetime | None,
                 now: dt.datetime | None = None, batch: Batch | None = None) -> list[Party]:
    """The 权利义务告知书 served on ``parties`` (人民调解法 第23、24条; 若干规定 第30条: before mediating): how
    (``RightsMethod``), when (not in the future, not before the case), recorded by ``actor`` — per party, once each
    (``rules.can_serve_rights``). Mediation starts and a session is recorded only when every party was served.
    Side effects: the party rows, audit, one timeline event. Refusals: ``INVALID_RIGHTS_NOTICE``, ``DATE_*``,
    ``INVALID_PARTY``, ``CANNOT_SERVE_RIGHTS``."""
    now = now or timezone.now()
    if method not in RightsMethod.values:
        raise ValidationFailed("INVALID_RIGHTS_NOTICE", "请选择告知书的送达方式。", {"method": RightsMethod.values})
    if not parties:
        raise ValidationFailed("INVALID_RIGHTS_NOTICE", "请选择送达的当事人。")
    with transaction.atomic():
        locked, rows = _case_and_parties(case, batch)
        _check_when(at, locked, now, what="送达时间", field="at")
        served = []
        for given in parties:
            party = _own(rows, given)
            if not rules.can_serve_rights(actor, locked, party) or party in served:
                raise Conflict("CANNOT_SERVE_RIGHTS", "当前不能记录向该当事人送达告知书（已送达，或案件不在可送达的阶段，"
                               "或您不是本案调解员、调解委员会人员）。", {"party": party.pk})
            party.rights_method, party.rights_served_at, party.rights_recorded_by = method, at, actor
            if party.pk is not None and locked.pk is not None:
                party.save(update_fields=["rights_method", "rights_served_at", "rights_recorded_by"])
            served.append(party)
        names = "、".join(_party_label(p) for p in served)
        (batch.record if batch is not None else record)(
            locked, EventKind.RIGHTS_SERVED, {"party_orders": [p.order for p in served], "method": method,
                                              "at": at.isoformat()},
            actor=actor, action="case.rights_served", text=f"已向{names}送达权利义务告知书（{RightsMethod(method).label}）",
            at=now)
    return served


def withdraw(case: Case, party: Party, *, actor: User, reason: str = "") -> Case:
    """The applicant withdraws the application: the case ends as terminated (withdrawn)."""
    return transition(case, S.TERMINATED, actor=actor, reason=reason or "申请人主动撤回",
                      details=Terminate(TerminationReason.WITHDRAWN), by=PartyMove.WITHDRAW, party=party)
