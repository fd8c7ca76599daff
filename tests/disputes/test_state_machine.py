"""The one transition function: every allowed and every forbidden move of ALLOWED_TRANSITIONS, the guards inside
it, the refusal rule (人民调解法 第17条), the 3-working-day confirmation deadline and the accept race."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from tests.conftest import first_village, make_staff
from tests.disputes.conftest import WUZHEN, new_case, prepare_mediation, walk
from xiangzhi.core.errors import Conflict, ValidationFailed, XiangzhiError
from xiangzhi.disputes.enums import (
    ALLOWED_TRANSITIONS,
    PARTY_MOVES,
    SYSTEM_MOVES,
    WITHDRAWABLE_STAGES,
    CaseStage,
    Consent,
    Entry,
    PartyMove,
    SystemMove,
)
from xiangzhi.disputes.models import Case, Party, TimelineEvent
from xiangzhi.disputes.services import agreement, archive, mediation, routing, transitions

S = CaseStage
TZ = ZoneInfo("Asia/Shanghai")
ALL_PAIRS = list(itertools.product(CaseStage.values, CaseStage.values))
ALLOWED_PAIRS = [(a, b) for a, b in ALL_PAIRS if b in ALLOWED_TRANSITIONS[a]]
FORBIDDEN_PAIRS = [(a, b) for a, b in ALL_PAIRS if b not in ALLOWED_TRANSITIONS[a]]
DETAILS = {
    S.NOT_ACCEPTED: transitions.NotAccept("not_civil"),
    S.TERMINATED: transitions.Terminate("no_agreement"),
    S.AGREEMENT_WRITTEN: transitions.Agree("双方同意由李四赔偿张三500元"),
    S.AGREEMENT_ORAL: transitions.Agree("双方同意互相道歉"),
}


def put_in_stage(case: Case, stage: str, mediator_user, *, effective: bool = True) -> Case:
    """Test set-up only: place a case directly in a stage with the state that stage implies."""
    now = dt.datetime.now(tz=TZ)
    fields = {"stage": stage, "resolved_on_spot": stage == S.REPORTED}
    if stage in (S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION, S.AGREEMENT_WRITTEN, S.AGREEMENT_ORAL, S.FOLLOW_UP):
        fields.update(mediator=mediator_user, mediator_confirmed_at=now, assigned_at=now)
    if stage in (S.AGREEMENT_WRITTEN,):
        fields.update(agreement_text="协议", agreement_effective_at=now if effective else None)
    Case.objects.filter(pk=case.pk).update(**fields)
    from xiangzhi.disputes.models import MediationSession

    # a mediation record (人民调解法 第27条), which an agreement or a termination after an attempt needs
    MediationSession.objects.create(case=case, held_at=now, place="调解室", attendees="双方", summary="组织协商",
                                    recorded_by=mediator_user)
    # every party agreed and was served the rights notice (what mediation and an agreement need)
    Party.objects.filter(case=case).update(consent="agreed", consent_at=now, rights_served_at=now)
    return Case.objects.get(pk=case.pk)


# Rows of the table only the system takes (a recused mediator taken off): the staff may not.
SYSTEM_ONLY = {(S.NOTICE_SERVED, S.ACCEPTED), (S.IN_MEDIATION, S.ACCEPTED)}


@pytest.mark.parametrize(("start", "to"), ALLOWED_PAIRS, ids=[f"{a}->{b}" for a, b in ALLOWED_PAIRS])
def test_every_allowed_transition_works_for_the_town_supervisor(start, to, town_staff, mediator):
    case = put_in_stage(new_case(), start, mediator.user, effective=to != S.TERMINATED)
    details = transitions.Assign(mediator.user.pk) if to == S.ASSIGNED else DETAILS.get(to)
    events = TimelineEvent.objects.filter(case=case).count()
    if (start, to) in SYSTEM_ONLY:
        with pytest.raises(XiangzhiError):
            transitions.transition(case, to, actor=town_staff.user, reason="测试理由", details=details)
        moved = transitions.transition(case, to, actor=None, reason="测试理由", by=SystemMove.MEDIATOR_RECUSED)
    elif (start, to) == (S.CLOSED, S.ARCHIVED):  # only by filing the case (立卷归档), which writes its own event too
        with pytest.raises(XiangzhiError):
            transitions.transition(case, to, actor=town_staff.user, reason="测试理由", details=details)
        archive.file_case(case, actor=town_staff.user)
        moved, events = Case.objects.get(pk=case.pk), events + 1
    else:
        moved = transitions.transition(case, to, actor=town_staff.user, reason="测试理由", details=details)
    assert moved.stage == to
    assert Case.objects.get(pk=case.pk).stage == to
    assert TimelineEvent.objects.filter(case=case).count() == events + 1
    last = TimelineEvent.objects.filter(case=case).order_by("-id").first()
    assert (last.stage_from, last.stage_to) == (start, to)
    from xiangzhi.core.models import AuditLog

    assert AuditLog.objects.filter(action="case.transition", object_id=str(case.pk), after__stage=to).exists()


@pytest.mark.parametrize(("start", "to"), FORBIDDEN_PAIRS, ids=[f"{a}->{b}" for a, b in FORBIDDEN_PAIRS])
def test_every_forbidden_transition_is_refused_and_changes_nothing(start, to, town_staff, mediator):
    case = put_in_stage(new_case(), start, mediator.user)
    with pytest.raises(Conflict) as exc:
        transitions.transition(case, to, actor=town_staff.user, reason="测试理由", details=DETAILS.get(to))
    expected = "ALREADY_ACCEPTED" if to == S.ACCEPTED and start not in (S.REPORTED, S.ESCALATED) else \
        "INVALID_TRANSITION"
    assert exc.value.code == expected
    assert Case.objects.get(pk=case.pk).stage == start


def test_a_party_who_refuses_ends_mediation_and_a_refusal_on_record_blocks_it(mediator):
    case = walk(new_case(), S.NOTICE_SERVED, mediator.user)
    # a refusal on record (a case moved before refusals ended mediation): mediation may not start
    Party.objects.filter(case=case, role="respondent").update(consent="refused")
    with pytest.raises(Conflict) as exc:
        transitions.transition(case, S.IN_MEDIATION, actor=mediator.user)
    assert exc.value.code == "PARTY_REFUSED"
    assert "第十七条" in exc.value.message
    assert Case.objects.get(pk=case.pk).stage == S.NOTICE_SERVED
    ended = transitions.transition(case, S.TERMINATED, actor=mediator.user, reason="被申请人拒绝调解",
                                   details=transitions.Terminate("party_refuses"))
    assert "仲裁" in ended.outcome_note and "司法" in ended.outcome_note


def _citizen_for(party):
    from xiangzhi.core.models import User

    user = User.objects.create(username=f"c_party_{party.pk}", kind="citizen")
    party.person.user = user
    party.person.save(update_fields=["user"])
    return user


def test_guards_need_their_data(mediator, town_staff):
    case = new_case()
    with pytest.raises(ValidationFailed) as exc:
        transitions.transition(case, S.NOT_ACCEPTED, actor=town_staff.user, reason="理由")
    assert exc.value.code == "GROUND_REQUIRED"
    case = walk(case, S.IN_MEDIATION, mediator.user)
    with pytest.raises(ValidationFailed) as exc:
        transitions.transition(case, S.AGREEMENT_WRITTEN, actor=mediator.user)
    assert exc.value.code == "AGREEMENT_REQUIRED"
    with pytest.raises(ValidationFailed) as exc:
        transitions.transition(case, S.TERMINATED, actor=mediator.user, reason="x", details=transitions.Terminate("no_agreement"))
    assert exc.value.code == "REASON_REQUIRED"


def test_a_written_agreement_needs_every_signature_and_the_seal_before_follow_up(mediator):
    case = walk(new_case(), S.AGREEMENT_WRITTEN, mediator.user)
    with pytest.raises(Conflict) as exc:
        transitions.transition(case, S.FOLLOW_UP, actor=mediator.user)
    assert exc.value.code == "AGREEMENT_NOT_EFFECTIVE"
    parties = list(case.parties.all())
    agreement.sign_agreement(case, actor=mediator.user, party=parties[0])
    agreement.apply_seal(case, actor=mediator.user)
    agreement.sign_agreement(case, actor=mediator.user, as_mediator=True)
    assert Case.objects.get(pk=case.pk).agreement_effective_at is None
    with pytest.raises(Conflict):
        agreement.sign_agreement(case, actor=mediator.user, party=parties[0])
    agreement.sign_agreement(case, actor=mediator.user, party=parties[1])
    case.refresh_from_db()
    assert case.agreement_effective_at is not None
    assert case.colour == "green"
    assert transitions.transition(case, S.FOLLOW_UP, actor=mediator.user).stage == S.FOLLOW_UP


def test_the_system_may_only_send_unconfirmed_assignments_back(mediator):
    case = new_case()
    with pytest.raises(XiangzhiError) as exc:
        transitions.transition(case, S.ACCEPTED, actor=None)
    assert exc.value.code == "FORBIDDEN"


def test_the_system_and_party_moves_are_rows_of_the_transition_table():
    assert SYSTEM_MOVES and PARTY_MOVES
    for before, to in [*SYSTEM_MOVES, *PARTY_MOVES]:
        assert to in ALLOWED_TRANSITIONS[before]
    assert {before for before, _ in PARTY_MOVES} == set(WITHDRAWABLE_STAGES)


def test_the_system_moves_only_along_its_rows_and_for_their_reason(mediator, town_staff):
    case = walk(new_case(), S.ASSIGNED, mediator.user)
    case.mediator_confirmed_at = None
    case.save(update_fields=["mediator_confirmed_at"])
    for by in (SystemMove.NOT_PERFORMED, ""):  # the right row needs its own reason; no reason is no system move
        with pytest.raises(XiangzhiError) as exc:
            transitions.transition(case, S.ACCEPTED, actor=None, by=by)
        assert exc.value.code == "FORBIDDEN"
    with pytest.raises(XiangzhiError) as exc:  # a row of the system is not a staff move
        transitions.transition(case, S.ACCEPTED, actor=town_staff.user, by=SystemMove.CONFIRMATION_EXPIRED)
    assert exc.value.code == "FORBIDDEN"
    moved = transitions.transition(case, S.ACCEPTED, actor=None, by=SystemMove.CONFIRMATION_EXPIRED)
    assert moved.stage == S.ACCEPTED and moved.mediator_id is None
    with pytest.raises(XiangzhiError) as exc:  # ACCEPTED → TERMINATED is no row of the system's
        transitions.transition(moved, S.TERMINATED, actor=None, by=SystemMove.CONFIRMATION_EXPIRED,
                            details=transitions.Terminate("no_agreement"))
    assert exc.value.code == "FORBIDDEN"


def test_a_party_withdraws_only_along_a_party_row(mediator):
    case = walk(new_case(), S.IN_MEDIATION, mediator.user)
    applicant = case.parties.get(order=0)
    with pytest.raises(XiangzhiError) as exc:  # a party's move to another stage than terminated
        transitions.transition(case, S.AGREEMENT_ORAL, actor=None, by=PartyMove.WITHDRAW, party=applicant,
                            details=transitions.Agree("双方同意和解"))
    assert exc.value.code == "FORBIDDEN"
    done = mediation.withdraw(case, applicant, actor=None)
    assert done.stage == S.TERMINATED and done.outcome_reason == "withdrawn"


def test_plan_move_runs_the_same_table_and_guards_in_memory_with_no_query_per_case(
        mediator, town_staff, django_assert_num_queries):
    first, second = new_case(), new_case()
    memo: dict = {}
    now = dt.datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
    with pytest.raises(Conflict) as exc:  # the table
        transitions.plan_move(first, S.IN_MEDIATION, actor=town_staff.user, memo=memo, now=now)
    assert exc.value.code == "INVALID_TRANSITION"
    with pytest.raises(XiangzhiError) as exc:  # who may: the system has no row from reported
        transitions.plan_move(first, S.ACCEPTED, actor=None, memo=memo, now=now, by=SystemMove.CONFIRMATION_EXPIRED)
    assert exc.value.code == "FORBIDDEN"

    def in_memory(case: Case) -> list[Party]:  # the parties as a batch holds them: agreed and served
        parties = list(case.parties.select_related("person"))
        for p in parties:
            p.consent, p.rights_served_at = Consent.AGREED, now
        return parties

    def walk_in_memory(case: Case, parties: list[Party]) -> list[transitions.PlannedMove]:
        moves = [transitions.plan_move(case, S.ACCEPTED, actor=town_staff.user, memo=memo, now=now),
                 transitions.plan_move(case, S.ASSIGNED, actor=town_staff.user, memo=memo, now=now,
                                       details=transitions.Assign(mediator.user.pk), parties=parties)]
        case.mediator_confirmed_at = now
        moves += [transitions.plan_move(case, to, actor=town_staff.user, memo=memo, now=now, parties=parties)
                  for to in (S.NOTICE_SERVED, S.IN_MEDIATION)]
        with pytest.raises(ValidationFailed) as exc:  # a guard: terminating needs a reason
            transitions.plan_move(case, S.TERMINATED, actor=town_staff.user, memo=memo, now=now,
                               details=transitions.Terminate("no_agreement"))
        assert exc.value.code == "REASON_REQUIRED"
        return moves

    moves = walk_in_memory(first, in_memory(first))
    assert [(m.before, m.to) for m in moves] == [(S.REPORTED, S.ACCEPTED), (S.ACCEPTED, S.ASSIGNED),
                                                 (S.ASSIGNED, S.NOTICE_SERVED), (S.NOTICE_SERVED, S.IN_MEDIATION)]
    assert moves[1].values["mediator"] == mediator.user.pk and first.stage == S.IN_MEDIATION
    assert first.confirm_due is not None and first.stage_changed_at == now
    parties = in_memory(second)
    with django_assert_num_queries(0):  # the batch's reads are kept: the second case asks the database nothing
        walk_in_memory(second, parties)
    assert Case.objects.get(pk=first.pk).stage == S.REPORTED  # nothing written: the caller writes the rows
    third = new_case()
    transitions.plan_move(third, S.ACCEPTED, actor=town_staff.user, memo=memo, now=now)
    with pytest.raises(ValidationFailed) as exc:  # the mediator guard
        transitions.plan_move(third, S.ASSIGNED, actor=town_staff.user, memo=memo, now=now, details=transitions.Assign(town_staff.user.pk))
    assert exc.value.code == "INVALID_MEDIATOR"


def test_a_case_is_created_only_in_a_stage_its_entry_allows():
    now = dt.datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
    assert transitions.entry_fields(Entry.INTAKE, S.REPORTED, now) == {"stage": S.REPORTED, "stage_changed_at": now}
    assert transitions.entry_fields(Entry.HISTORICAL_IMPORT, S.TERMINATED, now)["outcome_reason"] == "no_agreement"
    for entry, stage in ((Entry.INTAKE, S.CLOSED), (Entry.HISTORICAL_IMPORT, S.IN_MEDIATION)):
        with pytest.raises(Conflict) as exc:
            transitions.entry_fields(entry, stage, now)
        assert exc.value.code == "INVALID_ENTRY_STAGE"


def test_escalation_climbs_village_town_county_and_keeps_the_number(mediator, town_staff, centre_staff):
    case = transitions.transition(new_case(), S.ACCEPTED, actor=mediator.user)
    number = case.number
    case = transitions.transition(case, S.ESCALATED, actor=mediator.user, reason="跨村纠纷，情况复杂")
    assert case.level == "town" and case.organisation.kind == "town_committee"
    assert case.colour == "orange"
    case = transitions.transition(case, S.ACCEPTED, actor=town_staff.user)
    case = transitions.transition(case, S.ESCALATED, actor=town_staff.user, reason="重大风险")
    assert case.level == "county" and case.organisation.kind == "county_centre"
    assert case.number == number


# --------------------------------------------------------------------------------------------------------------
# The 3-working-day confirmation deadline
# --------------------------------------------------------------------------------------------------------------
def test_an_unconfirmed_assignment_goes_back_to_the_queue_after_3_working_days(mediator, town_staff, sms_outbox):
    from xiangzhi.core.models import CalendarDay

    CalendarDay.objects.create(date=dt.date(2026, 12, 1), is_workday=False, note="测试假日")
    friday = dt.datetime(2026, 11, 27, 10, 0, tzinfo=TZ)
    case = transitions.transition(new_case(), S.ACCEPTED, actor=town_staff.user, now=friday)
    case = transitions.transition(case, S.ASSIGNED, actor=town_staff.user, details=transitions.Assign(mediator.user.pk), now=friday)
    # Fri + 3 working days = Mon 30, (Tue 1 is a holiday), Wed 2, Thu 3 → end of Thursday
    assert timezone_local(case.confirm_due) == dt.datetime(2026, 12, 3, 23, 59, 59, tzinfo=TZ)
    assert mediation.expire_unconfirmed_assignments(now=dt.datetime(2026, 12, 3, 23, 0, tzinfo=TZ)) == 0
    assert Case.objects.get(pk=case.pk).stage == S.ASSIGNED
    assert mediation.expire_unconfirmed_assignments(now=dt.datetime(2026, 12, 4, 0, 1, tzinfo=TZ)) == 1
    back = Case.objects.get(pk=case.pk)
    assert back.stage == S.ACCEPTED and back.mediator is None
    assert TimelineEvent.objects.filter(case=case, stage_to=S.ACCEPTED, actor__isnull=True).exists()


def timezone_local(value):
    return value.astimezone(TZ)


def test_a_confirmed_assignment_is_not_sent_back(mediator, town_staff):
    now = dt.datetime(2026, 11, 27, 10, 0, tzinfo=TZ)
    case = transitions.transition(new_case(), S.ACCEPTED, actor=town_staff.user, now=now)
    case = transitions.transition(case, S.ASSIGNED, actor=town_staff.user, details=transitions.Assign(mediator.user.pk), now=now)
    with pytest.raises(Conflict):
        transitions.transition(case, S.NOTICE_SERVED, actor=mediator.user)
    mediation.confirm_assignment(case, actor=mediator.user, now=now + dt.timedelta(hours=2))
    assert mediation.expire_unconfirmed_assignments(now=now + dt.timedelta(days=30)) == 0
    prepare_mediation(case, mediator.user)
    assert transitions.transition(case, S.NOTICE_SERVED, actor=mediator.user).stage == S.NOTICE_SERVED


def test_the_periodic_job_is_declared():
    from xiangzhi.core.periodic import discover_jobs

    assert "disputes.expire_unconfirmed_assignments" in {j.name for j in discover_jobs()}


# --------------------------------------------------------------------------------------------------------------
# Two mediators accept at once: exactly one wins
# --------------------------------------------------------------------------------------------------------------
@pytest.fixture
def second_mediator(tongxiang):
    village = first_village(WUZHEN)
    return make_staff("mediator_wz2", "mediator", village.code, {"region": village, "kind": "village_committee"})


def test_the_second_accept_gets_already_accepted(mediator, second_mediator):
    """The same guard as the race below, sequentially (SQLite serialises writers with BEGIN IMMEDIATE)."""
    case = new_case()
    transitions.transition(case, S.ACCEPTED, actor=mediator.user)
    with pytest.raises(Conflict) as exc:
        transitions.transition(case, S.ACCEPTED, actor=second_mediator.user)
    assert (exc.value.code, exc.value.message) == ("ALREADY_ACCEPTED", "该案件已被受理")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_mediators_accepting_at_once_exactly_one_wins(mediator, second_mediator):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (SELECT … FOR UPDATE) and real concurrent connections")
    case = new_case()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def accept(user):
        from django.db import connections

        try:
            barrier.wait()
            transitions.transition(Case.objects.get(pk=case.pk), S.ACCEPTED, actor=user)
            results.append("ok")
        except Conflict as exc:
            results.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(u,)) for u in (mediator.user, second_mediator.user)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ALREADY_ACCEPTED", "ok"]
    assert TimelineEvent.objects.filter(case=case, stage_to=S.ACCEPTED).count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_get_distinct_consecutive_numbers(tongxiang):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL and real concurrent connections")
    routing.ensure_reference_data()  # seed once here, not from six threads at once after a flush
    numbers: list[str] = []
    errors: list[Exception] = []
    barrier = threading.Barrier(6)

    def one(i):
        from django.db import connections

        try:
            barrier.wait()
            numbers.append(new_case(applicant_phone=f"137000000{i:02d}").number)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(numbers)) == 6
    seqs = sorted(int(n.split("〕")[1][:5]) for n in numbers)
    assert seqs == list(range(seqs[0], seqs[0] + 6))


def test_consent_answers_are_recorded(mediator):
    case = new_case()
    respondent = case.parties.get(role="respondent")
    user = _citizen_for(respondent)
    mediation.answer_consent(case, respondent, actor=user, agree=True)
    respondent.refresh_from_db()
    assert respondent.consent == Consent.AGREED
    with pytest.raises(Conflict):
        mediation.answer_consent(case, respondent, actor=user, agree=False)
