"""Mediation: the mediator's confirmation of an assignment and its deadline, the records of mediation sessions
(人民调解法 第27条), a respondent's consent (第17条), an applicant's withdrawal."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from django.utils import timezone

from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict, ValidationFailed, XiangzhiError
from xiangzhi.core.models import User

from .. import rules
from ..enums import (
    CaseStage,
    Consent,
    EventKind,
    PartyMove,
    SystemMove,
    TerminationReason,
)
from ..models import (
    Case,
    MediationSession,
    Party,
)
from .records import Batch, ToUser, record
from .transitions import Terminate, transition

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
        for case in cases:
            row = fresh[case.pk] if case.pk is not None else case
            if not rules.can_record_session(actor, row):
                raise Conflict("CANNOT_RECORD_SESSION", "只有本案调解员在调解阶段可以记录调解情况。")
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
    """A respondent answers "do you agree to mediation?". A clear refusal blocks mediation (人民调解法 第17条)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        party = Party.objects.select_for_update().get(pk=party.pk, case=locked)
        if not rules.party_can_answer_consent(party, locked):
            raise Conflict("CANNOT_ANSWER", "当前不能答复是否同意调解。")
        party.consent = Consent.AGREED if agree else Consent.REFUSED
        party.consent_at = timezone.now()
        party.save(update_fields=["consent", "consent_at"])
        record(locked, EventKind.CONSENT, {"party": party.pk, "consent": party.consent}, actor=actor,
               action="case.consent", text="被申请人同意调解" if agree else "被申请人明确拒绝调解",
               notify=[ToUser(locked.mediator, f"案件 {locked.number} 当事人答复",
                              "被申请人同意调解。" if agree else "被申请人明确拒绝调解，不得进行调解。")]
               if locked.mediator_id else ())
    return party


def withdraw(case: Case, party: Party, *, actor: User, reason: str = "") -> Case:
    """The applicant withdraws the application: the case ends as terminated (withdrawn)."""
    return transition(case, S.TERMINATED, actor=actor, reason=reason or "申请人主动撤回",
                      details=Terminate(TerminationReason.WITHDRAWN), by=PartyMove.WITHDRAW, party=party)
