"""The state machine of a case: the one writer of ``Case.stage``. ``transition`` moves a saved case (locked row,
table, who may, guards, one save, one record); ``plan_move`` applies the same step to cases in memory for bulk
writers (the demo year); ``entry_fields`` gives a new case its first stage. The targets that need more than a reason
take one typed input (``NotAccept``, ``Assign``, ``Agree``, ``Terminate``; ``DETAILS`` says which)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xiangzhi.core.enums import Role
from xiangzhi.core.errors import Conflict, ValidationFailed, XiangzhiError
from xiangzhi.core.models import Membership, Organisation, User
from xiangzhi.core.workdays import deadline_after

from .. import rules, selectors
from ..enums import (
    ALLOWED_TRANSITIONS,
    ENTRY_STAGES,
    GROUND_REDIRECT,
    PARTY_MOVES,
    RECUSAL_STAGES,
    ROUTES_NOTICE,
    SYSTEM_MOVES,
    CaseStage,
    Entry,
    EventKind,
    NotAcceptedGround,
    OtherProceeding,
    PartyMove,
    SystemMove,
    TerminationReason,
)
from ..models import (
    Case,
    CaseFile,
    MediationSession,
    Party,
)
from .records import Batch, Notice, ToOrganisation, ToParties, ToUser, record
from .routing import next_level
from .volunteering import propose_mediation_minutes

S = CaseStage


# ----------------------------------------------------------------------------------------------------------------
# The one transition function
# ----------------------------------------------------------------------------------------------------------------
ACCEPTED_OR_LATER = frozenset(CaseStage.values) - {S.REPORTED, S.ESCALATED}


# ----------------------------------------------------------------------------------------------------------------
# What a move to each target takes besides the reason
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NotAccept:
    """不予受理: the statutory ground (NotAcceptedGround) and where the parties may turn instead (default: the
    ground's usual way, GROUND_REDIRECT)."""
    ground: str
    redirect_to: str = ""


@dataclass(frozen=True)
class Assign:
    """指派: the mediator by user id, resolved and checked by the service (an active mediator of the case's
    organisation or of its region); None: the acting user takes the case. ``chosen_by_party``: the parties chose
    the mediator (人民调解法 第19条)."""
    mediator_id: int | None = None
    chosen_by_party: bool = False


@dataclass(frozen=True)
class Agree:
    """达成协议 (written or oral): what was agreed and, when money is involved, the amount; for the written agreement
    the other particulars of 人民调解法 第29条 — the main facts and issues in a neutral statement, each party's
    responsibilities, how and where it is performed, and by when (``agreement_particulars``)."""
    text: str
    amount: Decimal | None = None
    facts: str = ""
    responsibilities: str = ""
    performance: str = ""
    due: dt.date | None = None


@dataclass(frozen=True)
class Terminate:
    """终止调解: the reason (TerminationReason)."""
    reason_code: str


Details = NotAccept | Assign | Agree | Terminate
# The input each target takes; the other targets take none. A missing input is the guard's own refusal (the ground,
# the agreement, the reason to terminate are required), except Assign, whose default is "the actor takes the case".
DETAILS: dict[str, type] = {S.NOT_ACCEPTED: NotAccept, S.ASSIGNED: Assign, S.AGREEMENT_WRITTEN: Agree,
                            S.AGREEMENT_ORAL: Agree, S.TERMINATED: Terminate}


def details_for(to: str, *, ground: str = "", redirect_to: str = "", mediator_id: int | None = None,
                chosen_by_party: bool = False, agreement_text: str = "", agreement_amount: Decimal | None = None,
                termination_reason: str = "", agreement_facts: str = "", agreement_responsibilities: str = "",
                agreement_performance: str = "", agreement_due: dt.date | None = None) -> Details | None:
    """The typed input of a move to ``to`` from the flat fields of a request (the case page's form, the JSON API):
    the fields of the target, the others ignored."""
    kind = DETAILS.get(to)
    if kind is NotAccept:
        return NotAccept(ground=ground or "", redirect_to=redirect_to or "")
    if kind is Assign:
        return Assign(mediator_id=mediator_id, chosen_by_party=bool(chosen_by_party))
    if kind is Agree:
        return Agree(text=agreement_text or "", amount=agreement_amount, facts=agreement_facts or "",
                     responsibilities=agreement_responsibilities or "", performance=agreement_performance or "",
                     due=agreement_due)
    if kind is Terminate:
        return Terminate(reason_code=termination_reason or "")
    return None


def _checked_details(to: str, details: Details | None) -> Details | None:
    """``details`` if it is the input ``to`` takes (or none for a target that takes none); else a clear refusal."""
    kind = DETAILS.get(to)
    if details is None or isinstance(details, kind or ()):
        return Assign() if details is None and kind is Assign else details
    label = CaseStage(to).label
    raise ValidationFailed("INVALID_DETAILS", f"转为“{label}”的填写内容不符。",
                           {"to": to, "expected": kind.__name__ if kind else None, "given": type(details).__name__})


def transition(case: Case, to: str, *, actor: User | None, reason: str = "", details: Details | None = None,
               now: dt.datetime | None = None, by: str = "", party: Party | None = None) -> Case:
    """Move ``case`` to stage ``to``: the only writer of ``Case.stage`` for a case that exists.

    Locks the row, checks ALLOWED_TRANSITIONS and who may make the move (``_check_move``: staff by rules.can_transition;
    the system, ``actor=None`` with ``by`` a SystemMove, and a party, ``by`` a PartyMove with ``party``, only along
    their rows of SYSTEM_MOVES / PARTY_MOVES), and the guards of the target stage. Saves with update_fields; writes an
    audit row and a timeline row; notifies the parties (and the mediator). ``details``: the typed input the target
    takes (``DETAILS``). Returns the fresh case. Refusals: ``INVALID_DETAILS``, ``ALREADY_ACCEPTED``,
    ``INVALID_TRANSITION``, ``FORBIDDEN`` and guard codes.
    """
    if to not in CaseStage.values:
        raise ValidationFailed("INVALID_STAGE", "目标阶段无效。", {"to": str(to)[:40], "allowed": CaseStage.values})
    details = _checked_details(to, details)
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        before = locked.stage
        fields = _move(locked, to, actor=actor, reason=reason, now=now, by=by, party=party, details=details,
                       memo=None)
        locked.save(update_fields=sorted({"stage", "stage_changed_at", *fields}))
        values = {k: _jsonable(getattr(locked, k)) for k in fields}
        _record_move(record, locked, PlannedMove(before, to, fields, values, _public_text(locked, before, to, reason)),
                     actor=actor, reason=reason, now=now)
    return locked


def _record_move(write: Any, case: Case, move: PlannedMove, *, actor: User | None, reason: str,
                 now: dt.datetime) -> None:
    """Record one move (``write``: :func:`record`, or a batch's ``record``): the audit row, the timeline event, the
    notices to the parties (and to the mediator assigned, or the organisation a case is escalated to)."""
    before, to, values, text = move.before, move.to, move.values, move.text
    notify: list[Notice] = [ToParties(f"：{text}", key=f"{to}:{case.stage_changed_at.timestamp():.0f}")]
    if to == S.ASSIGNED and case.mediator_id and case.mediator_id != getattr(actor, "pk", None):
        notify.append(ToUser(case.mediator, f"案件 {case.number} 指派给您",
                             f"请在{settings.XIANGZHI_DEADLINE_CONFIRM_WORKDAYS}个工作日内确认接案。"))
    if to == S.ESCALATED and case.organisation_id:
        notify.append(ToOrganisation(case.organisation, f"下级上报案件 {case.number} 待受理"))
    write(case, EventKind.TRANSITION, {"from": before, "to": to, "reason": reason, **values},
          actor=actor, action="case.transition", before={"stage": before}, after={"stage": to, **values},
          note=reason, text=text, stage_from=before, stage_to=to, at=now, notify=notify)
    propose_mediation_minutes(case, before=before, to=to)  # 时间银行: the mediator's minutes after an agreement


@dataclass(frozen=True)
class PlannedMove:
    """One move applied to a case in memory by ``plan_move``: what the caller writes (event, audit row)."""
    before: str
    to: str
    fields: list[str]  # the fields the move changed besides stage and stage_changed_at, in the services' order
    values: dict[str, Any]  # those fields as the audit row and the timeline payload hold them
    text: str  # the public timeline text


def plan_move(case: Case, to: str, *, actor: User | None, memo: dict, reason: str = "",
              details: Details | None = None, now: dt.datetime, by: str = "", party: Party | None = None,
              consents: tuple[str, ...] | None = None, has_session: bool | None = None,
              parties: list[Party] | None = None) -> PlannedMove:
    """Apply one move to ``case`` in memory, for cases written in bulk (the demo year's past cases): the same table,
    who-may check and guards as ``transition`` (one code path, ``_move``), without a lock, a save, an event or a
    notification; the caller writes the rows. ``memo`` (one dict per batch) keeps the guards' reads (the actor's
    first organisation, the mediators and their memberships, the next level up, confirmation deadlines) across the
    batch, so the batch makes no query per case. ``consents``: the parties' consents of a case not saved yet;
    ``has_session``: whether it has a mediation record (None: read); ``parties``: its parties (in memory, for the
    guards on consent, the rights notice and recusal)."""
    if to not in CaseStage.values:
        raise ValidationFailed("INVALID_STAGE", "目标阶段无效。", {"to": str(to)[:40], "allowed": CaseStage.values})
    details = _checked_details(to, details)
    before = case.stage
    fields = _move(case, to, actor=actor, reason=(reason or "").strip(), now=now, by=by, party=party, details=details,
                   memo=memo, consents=consents, has_session=has_session, parties=parties)
    values = {k: getattr(case, f"{k}_id") if k in ("organisation", "mediator") else _jsonable(getattr(case, k))
              for k in fields}
    return PlannedMove(before, to, fields, values, _public_text(case, before, to, reason))


def advance(cases: list[Case], to: str, *, actor: User | None, now: dt.datetime, reason: str = "",
            details: Details | None = None, batch: Batch | None = None, memo: dict | None = None) -> list[Case]:
    """``transition`` for many cases at once, all to ``to`` (with the same typed ``details``): the same table, who-may check, guards, fields, audit
    rows, events, ledger leaves and notices (``plan_move``, then the batch recorder). Staff moves only (``actor``).

    Cases already saved are locked (one SELECT … FOR UPDATE), moved and saved (one UPDATE each, in one transaction);
    cases not saved yet — new cases of a ``batch`` (``Batch.created``: a bulk writer's, e.g. the demo year's) — are
    moved in memory and the caller writes their rows before ``batch.write()``. Without ``batch`` the records are
    written at the end (one INSERT per table, one ledger append, the notices queued). ``memo``: the guards' reads
    kept across calls (see ``plan_move``). Returns the moved cases (the fresh rows for saved cases), in order. A
    refused move refuses the whole call."""
    own = batch is None
    batch = batch if batch is not None else Batch()
    memo = memo if memo is not None else {}
    saved = [c.pk for c in cases if c.pk is not None]
    with transaction.atomic(savepoint=bool(saved) or own):  # new cases of a batch: nothing written here
        fresh = Case.objects.select_for_update().in_bulk(saved) if saved else {}
        held = set(MediationSession.objects.filter(case_id__in=saved).values_list("case_id", flat=True)) if (
            saved and to in SESSION_TARGETS) else set()
        moved = []
        for case in cases:
            row = fresh[case.pk] if case.pk is not None else case
            parties = batch.parties_of(row)
            move = plan_move(row, to, actor=actor, memo=memo, reason=reason, now=now, details=details,
                             consents=None if parties is None else tuple(p.consent for p in parties),
                             has_session=row.pk in held if row.pk is not None else batch.has_session(row),
                             parties=parties)
            if row.pk is not None:
                row.save(update_fields=sorted({"stage", "stage_changed_at", *move.fields}))
            _record_move(batch.record, row, move, actor=actor, reason=(reason or "").strip(), now=now)
            moved.append(row)
        if own:
            batch.write()
    return moved


def entry_fields(entry: str, stage: str, at: dt.datetime) -> dict[str, Any]:
    """The stage fields of a case created at ``at`` in ``stage`` by way of ``entry`` (a row of ENTRY_STAGES): a
    registered case starts as reported; a historical case is imported finished (closed, terminated, not accepted)."""
    if stage not in ENTRY_STAGES.get(entry, ()):
        raise Conflict("INVALID_ENTRY_STAGE", "案件不能以该阶段登记。", {"entry": entry, "stage": stage})
    fields: dict[str, Any] = {"stage": stage, "stage_changed_at": at}
    if entry == Entry.HISTORICAL_IMPORT:
        fields.update(closed_at=at, agreement_effective_at=at if stage == S.CLOSED else None,
                      outcome_reason=(TerminationReason.NO_AGREEMENT if stage == S.TERMINATED else
                                      NotAcceptedGround.OTHER if stage == S.NOT_ACCEPTED else ""))
    return fields


def _move(case: Case, to: str, *, actor: User | None, reason: str, now: dt.datetime, by: str, party: Party | None,
          details: Details | None, memo: dict | None, consents: tuple[str, ...] | None = None,
          has_session: bool | None = None, parties: list[Party] | None = None) -> list[str]:
    """The state machine's one step, shared by ``transition`` (a locked row) and ``plan_move`` (a row in memory):
    the table, who may, the guards, then the stage. Returns the other fields changed."""
    before = case.stage
    _check_move(case, to, actor=actor, by=by, party=party)
    fields = _apply_guards(case, before, to, actor=actor, reason=reason, now=now, details=details, memo=memo,
                           consents=consents, has_session=has_session, parties=parties)
    case.stage = to
    case.stage_changed_at = now
    return fields


def _check_move(case: Case, to: str, *, actor: User | None, by: str, party: Party | None) -> None:
    """Is ``to`` a row of ALLOWED_TRANSITIONS from the case's stage, and may this mover make it?"""
    before = case.stage
    if to not in ALLOWED_TRANSITIONS.get(before, ()):
        if to == S.ACCEPTED and before in ACCEPTED_OR_LATER:
            raise Conflict("ALREADY_ACCEPTED", "该案件已被受理", {"stage": before})
        raise Conflict("INVALID_TRANSITION",
                       f"案件当前处于“{CaseStage(before).label}”阶段，不能转为“{CaseStage(to).label}”。",
                       {"from": before, "to": to})
    if by in PartyMove.values:
        if PARTY_MOVES.get((before, to)) != by or party is None or not rules.party_can_withdraw(party, case):
            raise XiangzhiError("FORBIDDEN", "当前阶段不能撤回申请。", status=403)
    elif actor is None or by in SystemMove.values:
        if actor is not None or by not in SYSTEM_MOVES.get((before, to), ()):
            raise XiangzhiError("FORBIDDEN", "系统不能执行此操作。", status=403)
    elif by or not rules.can_transition(actor, case, to):
        raise XiangzhiError("FORBIDDEN", "您无权对该案件执行此操作。", status=403)


def _memo(memo: dict | None, key: tuple, compute: Any) -> Any:
    """``compute()``, kept in ``memo`` under ``key`` when the caller batches (plan_move)."""
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):  # a datetime too
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    return value


def _public_text(case: Case, before: str, to: str, reason: str) -> str:
    labels = {
        S.ACCEPTED: "已退回待派，将另行指派调解员" if before in RECUSAL_STAGES else "调解组织已受理",
        S.NOT_ACCEPTED: "不予受理：" + case.outcome_note,
        S.ASSIGNED: "已指派调解员",
        S.NOTICE_SERVED: "已告知当事人权利义务",
        S.IN_MEDIATION: "调解开始",
        S.AGREEMENT_WRITTEN: "达成协议，待各方签名盖章后生效",
        S.AGREEMENT_ORAL: "达成口头协议，即时生效",
        S.TERMINATED: "调解终止。" + ROUTES_NOTICE,
        S.ESCALATED: f"已上报{case.organisation.name if case.organisation_id else '上级调解组织'}",
        S.FOLLOW_UP: "转入回访",
        S.CLOSED: "已结案",
        S.ARCHIVED: "已归档",
        S.REOPENED: "案件重新启动",
    }
    return labels.get(to, CaseStage(to).label)


def _need_reason(reason: str, what: str) -> None:
    if len(reason) < 2:
        raise ValidationFailed("REASON_REQUIRED", f"{what}须填写理由。")


def _apply_guards(case: Case, before: str, to: str, *, actor: User | None, reason: str, now: dt.datetime,
                  details: Details | None, memo: dict | None = None, consents: tuple[str, ...] | None = None,
                  has_session: bool | None = None, parties: list[Party] | None = None) -> list[str]:
    """The conditions of each target stage, and the fields it changes. Raises on a failed guard. ``details``: the
    target's input, already checked to be of its type (``_checked_details``); ``memo``: a batch's kept reads
    (plan_move), None reads afresh; ``consents``/``parties``: the parties' consents / the parties of a case not
    saved yet; ``has_session``: whether it has a mediation record (None: read)."""
    fields: list[str] = []
    if to in (S.NOTICE_SERVED, S.IN_MEDIATION, S.AGREEMENT_WRITTEN, S.AGREEMENT_ORAL):
        _check_parties(case, to, consents=consents, parties=parties)
    if to == S.ACCEPTED:
        if rules.proposed_non_acceptance(case) is not None and len(reason) < 2:
            raise ValidationFailed(
                "OTHER_BODY_SEIZED", f"申请时告知本纠纷已由{OtherProceeding(case.other_proceeding).label}受理，"
                "建议不予受理（人民调解工作若干规定第二十二条）；如仍受理，请说明理由。")
        if before in RECUSAL_STAGES:
            if actor is None:
                reason = reason or "调解员未在3个工作日内确认接案"
            case.mediator, case.assigned_at, case.confirm_due, case.mediator_confirmed_at = None, None, None, None
            case.mediator_chosen_by_party = False
            fields += ["mediator", "assigned_at", "confirm_due", "mediator_confirmed_at", "mediator_chosen_by_party"]
        elif actor is not None and case.organisation_id is None:
            org = _memo(memo, ("first_org", actor.pk), lambda: Organisation.objects.filter(
                pk__in=rules.org_ids_for(actor)).order_by("id").first())
            if org is not None:
                case.organisation = org
                fields.append("organisation")
    elif to == S.NOT_ACCEPTED:
        ground = details.ground if isinstance(details, NotAccept) else ""
        if ground not in NotAcceptedGround.values:
            raise ValidationFailed("GROUND_REQUIRED", "不予受理须选择法定事由（人民调解工作若干规定第二十二条等）。",
                                   {"grounds": NotAcceptedGround.values})
        redirect_to = (details.redirect_to.strip() or GROUND_REDIRECT[NotAcceptedGround(ground)]).strip()
        if not redirect_to:
            raise ValidationFailed("REDIRECT_REQUIRED", "请告知当事人应向哪个机关或途径申请。")
        _need_reason(reason, "不予受理")
        case.outcome_reason = ground
        case.outcome_note = f"{NotAcceptedGround(ground).label}。{reason}。{redirect_to}"
        case.closed_at = now
        fields += ["outcome_reason", "outcome_note", "closed_at"]
    elif to == S.ASSIGNED:
        assign = details if isinstance(details, Assign) else Assign()
        mediator = _mediator(assign.mediator_id, actor, memo)
        if mediator is None:
            raise ValidationFailed("INVALID_MEDIATOR", "所选人员不是本案承办调解组织或辖区内的人民调解员。")
        memberships = _memo(memo, ("memberships", mediator.pk), lambda: list(Membership.objects.filter(
            user=mediator, is_active=True).order_by("pk").values_list("role", "organisation_id", "region__code")))
        if not _may_mediate(memberships, case):
            raise ValidationFailed("INVALID_MEDIATOR", "所选人员不是本案承办调解组织或辖区内的人民调解员。")
        check_not_recused(case, mediator.pk, parties=parties, memo=memo)
        case.mediator = mediator
        case.mediator_chosen_by_party = bool(assign.chosen_by_party)
        case.assigned_at = now
        case.confirm_due = _memo(memo, ("confirm_due", timezone.localtime(now).date()),  # depends on the local date only
                                 lambda: deadline_after(now, settings.XIANGZHI_DEADLINE_CONFIRM_WORKDAYS))
        case.mediator_confirmed_at = now if actor is not None and mediator.pk == actor.pk else None
        if case.organisation_id is None or case.organisation_id not in {o for _, o, _ in memberships}:
            org = next((o for role, o, _ in memberships if role == Role.MEDIATOR and o is not None), None)
            if org:
                case.organisation_id = org
                fields.append("organisation")
        fields += ["mediator", "mediator_chosen_by_party", "assigned_at", "confirm_due", "mediator_confirmed_at"]
    elif to == S.NOTICE_SERVED:
        if case.mediator_confirmed_at is None:
            raise Conflict("NOT_CONFIRMED", "调解员尚未确认接案，不能送达权利义务告知书。")
    elif to in (S.AGREEMENT_WRITTEN, S.AGREEMENT_ORAL):
        agreed = details if isinstance(details, Agree) else Agree(text="")
        text = (agreed.text or "").strip()
        if len(text) < 4:
            raise ValidationFailed("AGREEMENT_REQUIRED", "请填写协议内容（各方权利义务、履行方式和期限）。")
        _check_session(case, before, to, details, has_session)
        case.agreement_text = text[:5000]
        if to == S.AGREEMENT_WRITTEN:
            fields += agreement_particulars(case, agreed)
        amount = agreed.amount
        if amount not in (None, ""):
            try:
                case.agreement_amount = Decimal(str(amount)).quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                raise ValidationFailed("INVALID_AMOUNT", "协议金额格式不正确。") from None
            if case.agreement_amount < 0:
                raise ValidationFailed("INVALID_AMOUNT", "协议金额不能为负数。")
            fields.append("agreement_amount")
        case.agreement_effective_at = now if to == S.AGREEMENT_ORAL else None
        fields += ["agreement_text", "agreement_effective_at"]
    elif to == S.TERMINATED:
        ground = details.reason_code if isinstance(details, Terminate) else ""
        if ground not in TerminationReason.values:
            raise ValidationFailed("TERMINATION_REASON_REQUIRED", "请选择终止调解的事由。", {"reasons": TerminationReason.values})
        if before == S.AGREEMENT_WRITTEN and case.agreement_effective_at is not None:
            raise Conflict("AGREEMENT_EFFECTIVE", "协议已经生效，不能终止调解。")
        _need_reason(reason, "终止调解")
        _check_session(case, before, to, details, has_session)
        case.outcome_reason = ground
        case.outcome_note = f"{TerminationReason(ground).label}。{reason}。已告知当事人：{ROUTES_NOTICE}"
        fields += ["outcome_reason", "outcome_note"]
    elif to == S.ESCALATED:
        _need_reason(reason, "上报上级")
        level, org = _memo(memo, ("next_level", case.region_code, case.level, case.organisation_id),
                           lambda: next_level(case))
        case.level, case.organisation = level, org
        case.mediator, case.assigned_at, case.confirm_due, case.mediator_confirmed_at = None, None, None, None
        fields += ["level", "organisation", "mediator", "assigned_at", "confirm_due", "mediator_confirmed_at"]
    elif to == S.FOLLOW_UP:
        if before == S.AGREEMENT_WRITTEN and case.agreement_effective_at is None:
            raise Conflict("AGREEMENT_NOT_EFFECTIVE", "书面协议须经各方当事人和调解员签名并加盖调解委员会印章后生效。")
    elif to == S.CLOSED:
        case.closed_at = now
        fields.append("closed_at")
    elif to == S.ARCHIVED:
        if case.pk is None or not CaseFile.objects.filter(case_id=case.pk).exists():
            raise Conflict("FILE_FIRST", "归档须先立卷：请在案件页“立卷归档”编定卷宗号，案件随之归档。")
    elif to == S.REOPENED:
        _need_reason(reason, "重新启动")
        case.closed_at = None
        case.mediator, case.assigned_at, case.confirm_due, case.mediator_confirmed_at = None, None, None, None
        fields += ["closed_at", "mediator", "assigned_at", "confirm_due", "mediator_confirmed_at"]
    return fields


SESSION_TARGETS = frozenset({S.AGREEMENT_WRITTEN, S.AGREEMENT_ORAL, S.TERMINATED})


def _check_session(case: Case, before: str, to: str, details: Details | None, has_session: bool | None) -> None:
    """人民调解法 第27条: a record of the mediation exists before an agreement or a termination after an attempt
    (``rules.session_required``)."""
    reason_code = details.reason_code if isinstance(details, Terminate) else ""
    if not rules.session_required(before, to, reason_code):
        return
    if has_session is None:
        has_session = case.pk is not None and case.sessions.exists()
    if rules.session_missing(before, to, reason_code, has_session=has_session):
        raise Conflict("SESSION_REQUIRED", "请先记录调解情况（调解笔录，人民调解法第二十七条），再达成协议或因调解不成终止调解。")


def agreement_particulars(case: Case, agreed: Agree) -> list[str]:
    """Set the written agreement's particulars (人民调解法 第29条) from ``agreed``; the fields changed."""
    if agreed.due is not None and not isinstance(agreed.due, dt.date):
        raise ValidationFailed("INVALID_DUE", "履行期限格式不正确。")
    case.agreement_facts = (agreed.facts or "").strip()[:5000]
    case.agreement_responsibilities = (agreed.responsibilities or "").strip()[:5000]
    case.agreement_performance = (agreed.performance or "").strip()[:2000]
    case.agreement_due = agreed.due
    return ["agreement_facts", "agreement_responsibilities", "agreement_performance", "agreement_due"]


def _check_parties(case: Case, to: str, *, consents: tuple[str, ...] | None, parties: list[Party] | None) -> None:
    """No mediation, no agreement, no on-the-spot settlement while a party's consent is missing or refused
    (人民调解法 第17、23条); no start of mediation before every party was served the rights notice (第23、24条;
    若干规定 第30条). ``rules.mediation_block`` decides; the parties are read unless given (a batch's)."""
    if parties is not None:
        consents, served = tuple(p.consent for p in parties), [p.rights_served_at is not None for p in parties]
    else:
        rows = list(Party.objects.filter(case_id=case.pk).values_list("consent", "rights_served_at"))
        consents = consents if consents is not None else tuple(c for c, _ in rows)
        served = [at is not None for _, at in rows]
    if to == S.NOTICE_SERVED:
        code = None if all(served) else "RIGHTS_NOT_SERVED"
    else:
        code = rules.mediation_block(consents, served if to == S.IN_MEDIATION else None)
    if code is not None:
        raise Conflict(code, rules.MEDIATION_BLOCKS[code])


def check_not_recused(case: Case, mediator_id: int, *, parties: list[Party] | None = None,
                      memo: dict | None = None) -> None:
    """回避: a mediator who is a party, shares a phone or 身份证号 with one (blind indexes compared, never decrypted),
    declared a conflict or was taken off at a party's request may not be assigned or confirm (``MEDIATOR_RECUSED``)."""
    if rules.mediator_recused(**selectors.recusal_facts(case, mediator_id, parties=parties, memo=memo)):
        raise Conflict("MEDIATOR_RECUSED", "该调解员是本案当事人或与当事人有利害关系（或已申明回避），应当回避，不能承办本案。")


def _mediator(mediator_id: int | None, actor: User | None, memo: dict | None) -> User | None:
    """The user an assignment names: ``mediator_id`` (an active user, read once per batch), or the acting user when
    none is named; None when there is no such user (then INVALID_MEDIATOR, as for one who may not mediate)."""
    if mediator_id is None:
        return actor
    if isinstance(mediator_id, bool) or not isinstance(mediator_id, int) or not 0 < mediator_id < 2**63:
        return None  # no id a row can have
    if actor is not None and actor.pk == mediator_id:
        return actor
    return _memo(memo, ("mediator", mediator_id),
                 lambda: User.objects.filter(pk=mediator_id, is_active=True).first())


def _may_mediate(memberships: list[tuple[str, int | None, str | None]], case: Case) -> bool:
    """``memberships``: the user's active (role, organisation id, region code), as _apply_guards reads them."""
    return any(role == Role.MEDIATOR and (
        (case.organisation_id and org == case.organisation_id) or case.region_code.startswith(code or "\0"))
        for role, org, code in memberships)
