"""Permission predicates as truth tables: every persona × every stage × every target stage (stored memberships), and
every predicate over persona × stage × the facts it decides on (in memory, no database)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.contrib.auth.models import AnonymousUser

from tests.disputes.conftest import new_case
from xiangzhi.core.enums import Role, UserKind
from xiangzhi.core.models import User
from xiangzhi.disputes import rules
from xiangzhi.disputes.enums import ALLOWED_TRANSITIONS, CaseStage, Channel, JointStatus, PartyRole, RiskLevel
from xiangzhi.disputes.models import Case, JointTask, Party

S = CaseStage

# Restated independently of rules.py: which targets each persona may choose, for a case in 乌镇's first village,
# handled by that village's committee and assigned to `mediator`.
SUPERVISOR_ONLY = {S.REOPENED}


def expected(persona: str, stage: str, to: str) -> bool:
    if to not in ALLOWED_TRANSITIONS[stage]:
        return False
    if stage == S.REPORTED and to == S.AGREEMENT_ORAL:
        return False  # only for on-the-spot settlements
    if stage in (S.NOTICE_SERVED, S.IN_MEDIATION) and to == S.ACCEPTED:
        return False  # only the system, taking a recused mediator off (回避)
    if to == S.ARCHIVED:
        return False  # only by filing the case (立卷归档)
    if persona == "town_staff":
        return True
    if persona == "mediator":  # the assigned mediator, also a member of the handling committee
        return to not in SUPERVISOR_ONLY
    if persona == "colleague":  # another mediator of the same committee, not assigned
        if stage == S.ASSIGNED:
            return to in (S.TERMINATED, S.ESCALATED)
        return to in (S.ACCEPTED, S.NOT_ACCEPTED, S.ASSIGNED, S.TERMINATED, S.ESCALATED)
    return False  # other_mediator, other_town_staff, grid_worker, auditor, liaison, lawyer, bank_officer


PERSONAS = ["mediator", "colleague", "town_staff", "other_mediator", "other_town_staff", "grid_worker", "auditor",
            "liaison", "lawyer", "bank_officer"]


@pytest.fixture
def people(request, mediator, town_staff, other_mediator, other_town_staff, grid_worker, auditor, liaison, lawyer,
           bank_officer):
    from tests.conftest import first_village, make_staff
    from tests.disputes.conftest import WUZHEN

    village = first_village(WUZHEN)
    colleague = make_staff("mediator_wz2", "mediator", village.code, {"region": village, "kind": "village_committee"})
    return {"mediator": mediator, "colleague": colleague, "town_staff": town_staff, "other_mediator": other_mediator,
            "other_town_staff": other_town_staff, "grid_worker": grid_worker, "auditor": auditor, "liaison": liaison,
            "lawyer": lawyer, "bank_officer": bank_officer}


@pytest.mark.parametrize("stage", CaseStage.values)
def test_transition_truth_table(stage, people):
    base = new_case()
    Case.objects.filter(pk=base.pk).update(stage=stage, mediator=people["mediator"].user)
    case = Case.objects.get(pk=base.pk)
    assert case.organisation_id == people["mediator"].organisation.pk
    mismatches = []
    for name in PERSONAS:
        user = people[name].user
        for to in CaseStage.values:
            if rules.can_transition(user, case, to) != expected(name, stage, to):
                mismatches.append((name, to, rules.can_transition(user, case, to)))
    assert mismatches == []


@pytest.mark.parametrize("stage", CaseStage.values)
def test_action_predicates_truth_table(stage, people):
    base = new_case()
    Case.objects.filter(pk=base.pk).update(stage=stage, mediator=people["mediator"].user)
    case = Case.objects.get(pk=base.pk)
    for name in PERSONAS:
        user = people[name].user
        in_charge = name in ("mediator", "town_staff")
        assert rules.can_record_session(user, case) == (stage == S.IN_MEDIATION and in_charge), name
        assert rules.can_sign_or_seal(user, case) == (stage == S.AGREEMENT_WRITTEN and in_charge), name
        assert rules.can_confirm_assignment(user, case) == (stage == S.ASSIGNED and name == "mediator"), name
        assert rules.can_retriage(user, case) == (
            stage in (S.REPORTED, S.ACCEPTED, S.REOPENED, S.ESCALATED) and name in ("mediator", "colleague",
                                                                                   "town_staff")), name
        # the same persons, read from their stored memberships, for the joint, judicial, feedback, risk and
        # extension predicates (the pure tables below restate them over every fact)
        lead = name in ("mediator", "colleague", "town_staff")
        assert rules.can_lead(user, case) == lead, name
        assert rules.can_invite(user, case) == (lead and stage not in (S.CLOSED, S.ARCHIVED, S.NOT_ACCEPTED)), name
        assert rules.can_record_judicial(user, case) == lead, name
        assert rules.can_record_visit(user, case) == (
            lead and stage in (S.AGREEMENT_ORAL, S.FOLLOW_UP, S.CLOSED, S.ARCHIVED)), name
        assert rules.can_raise_risk(user, case, task_orgs=()) == (lead and stage in (
            S.REPORTED, S.ACCEPTED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION, S.AGREEMENT_WRITTEN, S.ESCALATED,
            S.REOPENED)), name
        assert rules.can_extend(user, case) == (stage == S.IN_MEDIATION and in_charge), name
        assert rules.can_sign_as_mediator(user, case) == (stage == S.AGREEMENT_WRITTEN and name == "mediator"), name
        assert rules.is_liaison(user) == (name == "liaison"), name


def test_on_the_spot_settlement_is_for_field_staff_of_the_place(people):
    grid = people["grid_worker"].region
    case = new_case(region_code=grid.code)
    Case.objects.filter(pk=case.pk).update(resolved_on_spot=True)
    case.refresh_from_db()
    assert rules.can_transition(people["grid_worker"].user, case, S.AGREEMENT_ORAL)
    assert rules.can_transition(people["mediator"].user, case, S.AGREEMENT_ORAL)
    assert not rules.can_transition(people["other_mediator"].user, case, S.AGREEMENT_ORAL)
    assert not rules.can_transition(people["auditor"].user, case, S.AGREEMENT_ORAL)


def test_citizens_and_anonymous_may_not_transition(villager_a, people):
    from django.contrib.auth.models import AnonymousUser

    case = new_case()
    for user in (villager_a[0], AnonymousUser()):
        assert not any(rules.can_transition(user, case, to) for to in CaseStage.values)


# ================================================================================================================
# Pure truth tables: no database (pytest-django refuses any query here). Each predicate is checked over every
# combination of persona × stage × the facts it decides on, against an expectation restated from the domain (who
# works a case: its mediator, its organisation's mediators, the supervisors of its place, the field staff of its place,
# the departments invited into it) — written as explicit sets of personas and stage names, not from rules.py.
# ================================================================================================================
COUNTY, TOWN, VILLAGE = "330483", "330483100", "330483100201"  # the case lies in VILLAGE of TOWN
OTHER_TOWN, OTHER_VILLAGE = "330483107", "330483107201"
ORG, OTHER_ORG, CENTRE, BUREAU, BANK = 10, 11, 12, 13, 60  # ORG: the village committee handling the case
DEPT, OTHER_DEPT = 50, 51  # two departments (police station, land office)

MEMBERSHIPS = {  # persona → (role, region code, organisation id) of its active memberships
    "mediator": [(Role.MEDIATOR, VILLAGE, ORG)],  # the case's mediator
    "colleague": [(Role.MEDIATOR, VILLAGE, ORG)],  # another mediator of the handling committee
    "outside_mediator": [(Role.MEDIATOR, OTHER_VILLAGE, OTHER_ORG)],
    "town_staff": [(Role.TOWN_STAFF, TOWN, None)],
    "other_town_staff": [(Role.TOWN_STAFF, OTHER_TOWN, None)],
    "centre_staff": [(Role.CENTRE_STAFF, COUNTY, CENTRE)],
    "county_admin": [(Role.COUNTY_ADMIN, COUNTY, BUREAU)],
    "grid_worker": [(Role.GRID_WORKER, VILLAGE, ORG)],  # of the committee, but not a mediator
    "outside_grid_worker": [(Role.GRID_WORKER, OTHER_VILLAGE, OTHER_ORG)],
    "auditor": [(Role.AUDITOR, COUNTY, BUREAU)],
    "liaison": [(Role.LIAISON, TOWN, DEPT)],
    "other_liaison": [(Role.LIAISON, COUNTY, OTHER_DEPT)],
    "lawyer": [(Role.LAWYER, COUNTY, None)],
    "bank_officer": [(Role.BANK_OFFICER, COUNTY, BANK)],
    "citizen": [],
    "anonymous": None,
}
NAMES = list(MEMBERSHIPS)
STAGES = list(CaseStage.values)

# Who is who for the case, persona by persona.
THE_MEDIATOR = {"mediator"}
ITS_ORGANISATION = {"mediator", "colleague"}
SUPERVISORS = {"town_staff", "centre_staff", "county_admin"}
FIELD_STAFF = {"mediator", "colleague", "grid_worker"}
LEAD = THE_MEDIATOR | ITS_ORGANISATION | SUPERVISORS
IN_CHARGE = THE_MEDIATOR | SUPERVISORS
DEPARTMENT_OF = {"liaison": DEPT, "other_liaison": OTHER_DEPT}
STAFF_AT_INTAKE = {"mediator", "colleague", "outside_mediator", "town_staff", "other_town_staff", "centre_staff",
                   "county_admin", "grid_worker", "outside_grid_worker"}
IMPORTERS = {"town_staff", "other_town_staff", "centre_staff", "county_admin"}
# Stages by name, from the procedure: the case is done (agreement reached, closed, refused or ended)…
DONE = {"agreement_oral", "follow_up", "closed", "archived", "not_accepted", "terminated"}
AFTER_AGREEMENT = {"agreement_oral", "follow_up", "closed", "archived"}


def person(name: str):
    """An in-memory user with its memberships already read (what rules caches on the user), never saved."""
    if MEMBERSHIPS[name] is None:
        return AnonymousUser()
    kind = UserKind.CITIZEN if name == "citizen" else UserKind.STAFF
    user = User(pk=NAMES.index(name) + 1, username=name, kind=kind, is_active=True)
    user._xz_roles = {role for role, _, _ in MEMBERSHIPS[name]}
    user._xz_case_memberships = list(MEMBERSHIPS[name])
    return user


def a_case(stage: str, *, effective_at: dt.datetime | None = None, agreement_text: str = "") -> Case:
    return Case(stage=stage, region_code=VILLAGE, organisation_id=ORG, mediator_id=NAMES.index("mediator") + 1,
                agreement_effective_at=effective_at, agreement_text=agreement_text, resolved_on_spot=False)


def every(*axes):
    return list(itertools.product(*axes))


@pytest.mark.parametrize("name, stage", every(NAMES, STAGES))
def test_joint_lead_and_invite(name, stage):
    user, case = person(name), a_case(stage)
    assert rules.can_lead(user, case) == (name in LEAD)
    assert rules.can_invite(user, case) == (name in LEAD and stage not in {"closed", "archived", "not_accepted"})


TASK_ORGS = [(), (DEPT,), (OTHER_DEPT,), (DEPT, OTHER_DEPT), (ORG,)]


@pytest.mark.parametrize("name, task_orgs", every(NAMES, TASK_ORGS))
def test_a_case_is_shared_with_the_departments_holding_an_active_task(name, task_orgs):
    expected = name in DEPARTMENT_OF and DEPARTMENT_OF[name] in task_orgs  # the committee's own org is no department
    assert rules.shares_case(person(name), task_orgs) == expected


@pytest.mark.parametrize("name, status, org", every(NAMES, JointStatus.values, (DEPT, OTHER_DEPT)))
def test_the_department_replies_or_hands_back_its_own_task(name, status, org):
    user = person(name)
    task = JointTask(case=a_case("in_mediation"), organisation_id=org, status=status)
    own = DEPARTMENT_OF.get(name) == org
    assert rules.is_department_of(user, task) == own
    assert rules.can_reply(user, task) == (own and status in {"open", "answered"})
    assert rules.can_hand_back(user, task) == (own and status == "open")
    assert rules.can_open_task(user, task) == (own or name in LEAD)


EFFECTIVE = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
# Instants relative to the agreement taking effect; the window is 30 days (民事诉讼法 第205条), its last instant in.
OFFSETS = [dt.timedelta(0), dt.timedelta(days=29, hours=23), dt.timedelta(days=30),
           dt.timedelta(days=30, seconds=1), dt.timedelta(days=31)]


@pytest.mark.parametrize("stage, effective, offset, applied", every(STAGES, (True, False), OFFSETS, (True, False)))
def test_the_judicial_application_is_offered_within_30_days_of_effect(stage, effective, offset, applied):
    case = a_case(stage, effective_at=EFFECTIVE if effective else None)
    now = EFFECTIVE + offset
    inside = effective and offset <= dt.timedelta(days=30)
    assert rules.window_closes(case) == (EFFECTIVE + dt.timedelta(days=30) if effective else None)
    assert rules.window_open(case, now) == inside
    assert rules.can_offer(case, now=now, applied=applied) == (
        inside and not applied and stage not in {"terminated", "not_accepted"})


@pytest.mark.parametrize("name, stage", every(NAMES, STAGES))
def test_judicial_steps_are_recorded_by_the_lead(name, stage):
    assert rules.can_record_judicial(person(name), a_case(stage)) == (name in LEAD)


PARTIES = [None, PartyRole.APPLICANT, PartyRole.RESPONDENT, PartyRole.THIRD]


@pytest.mark.parametrize("party_role, stage, rated", every(PARTIES, STAGES, (True, False)))
def test_each_party_rates_once_after_closing(party_role, stage, rated):
    party = Party(pk=1, role=party_role) if party_role else None
    expected = party is not None and stage in {"closed", "archived"} and not rated
    assert rules.party_can_rate(party, a_case(stage), already_rated=rated) == expected


@pytest.mark.parametrize("party_role, stage, text", every(PARTIES, STAGES, ("", "李四拆除围墙")))
def test_a_party_reports_not_performed_in_follow_up_or_after_closing(party_role, stage, text):
    party = Party(pk=1, role=party_role) if party_role else None
    case = a_case(stage, agreement_text=text)
    assert rules.party_can_report_not_performed(party, case) == (
        party is not None and stage in {"follow_up", "closed"} and bool(text))
    assert rules.party_can_open_feedback(party, case) == (
        party is not None and stage in {"follow_up", "closed", "archived"})


@pytest.mark.parametrize("name, stage", every(NAMES, STAGES))
def test_follow_up_visits_are_recorded_by_the_lead_once_agreed(name, stage):
    assert rules.can_record_visit(person(name), a_case(stage)) == (name in LEAD and stage in AFTER_AGREEMENT)


@pytest.mark.parametrize("name, stage, task_orgs", every(NAMES, STAGES, ((), (DEPT,))))
def test_risk_is_raised_by_anyone_handling_an_unfinished_case(name, stage, task_orgs):
    invited = DEPARTMENT_OF.get(name) in task_orgs
    expected = stage not in DONE and (name in LEAD | FIELD_STAFF or invited)
    assert rules.can_raise_risk(person(name), a_case(stage), task_orgs=task_orgs) == expected


RANK = {"normal": 0, "elevated": 1, "major": 2}


@pytest.mark.parametrize("level, current", every(RiskLevel.values, RiskLevel.values))
def test_risk_only_goes_up(level, current):
    assert rules.is_higher_risk(level, current) == (RANK[level] > RANK[current])


def test_the_risk_order_holds_every_level_once():
    assert sorted(rules.RISK_ORDER, key=RANK.get) == rules.RISK_ORDER and set(rules.RISK_ORDER) == set(RiskLevel.values)


@pytest.mark.parametrize("name, stage", every(NAMES, STAGES))
def test_mediation_is_extended_by_its_mediator_or_a_supervisor_during_mediation(name, stage):
    assert rules.can_extend(person(name), a_case(stage)) == (name in IN_CHARGE and stage == "in_mediation")


@pytest.mark.parametrize("name, stage, effective", every(NAMES, STAGES, (True, False)))
def test_signatures_and_seal_on_a_written_agreement_not_yet_in_effect(name, stage, effective):
    case = a_case(stage, effective_at=EFFECTIVE if effective else None)
    signable = stage == "agreement_written" and not effective
    assert rules.agreement_signable(case) == signable
    assert rules.can_sign_or_seal(person(name), case) == (signable and name in IN_CHARGE)
    assert rules.can_sign_as_mediator(person(name), case) == (signable and name == "mediator")


@pytest.mark.parametrize("own, signer, stage", every((None, 1, 2), (1, 2), STAGES))
def test_a_party_signs_for_themselves_only(own, signer, stage):
    own_party = Party(pk=own, role=PartyRole.APPLICANT) if own else None
    party = Party(pk=signer, role=PartyRole.RESPONDENT)
    assert rules.party_can_sign(own_party, party, a_case(stage)) == (stage == "agreement_written" and own == signer)


@pytest.mark.parametrize("name, channel", every(NAMES, Channel.values))
def test_who_registers_a_dispute_through_which_channel(name, channel):
    expected = {"online": True, "api": name in DEPARTMENT_OF}.get(channel, name in STAFF_AT_INTAKE)
    assert rules.can_register(person(name), channel) == expected
    assert rules.can_refer(person(name)) == (name in DEPARTMENT_OF)


@pytest.mark.parametrize("name", NAMES)
def test_who_imports_historical_cases_and_opens_the_joint_pages(name):
    assert rules.can_import(person(name)) == (name in IMPORTERS)
    assert rules.is_liaison(person(name)) == (name in DEPARTMENT_OF)
    assert rules.can_open_joint_pages(person(name)) == (name not in {"citizen", "anonymous"})


PERSONAL_DATA = {"mediator", "colleague", "outside_mediator", "town_staff", "other_town_staff", "centre_staff",
                 "county_admin"}  # the roles with the personal-data right (mediation and justice-office staff)


@pytest.mark.parametrize("name, full_data", every(NAMES, (True, False)))
def test_who_issues_which_document(name, full_data):
    """Staff who work the case issue documents; a kind with the parties' data in full needs the personal-data
    right as well (the read-only auditor and the grid worker issue none)."""
    works_it = name in LEAD
    assert rules.can_issue_kind(person(name), a_case("in_mediation"), full_data=full_data) == (
        works_it and (not full_data or name in PERSONAL_DATA))


# ----------------------------------------------------------------------------------------------------------------
# Consent, notice, the rights notice (人民调解法 第17、23、24条) and recusal (回避)
# ----------------------------------------------------------------------------------------------------------------
CONSENTS = ["pending", "agreed", "refused"]
WORKS_CASE = LEAD  # the handling mediator or the committee: its mediator, its organisation's mediators, supervisors
BEFORE_AGREEMENT = {"reported", "accepted", "reopened", "assigned", "notice_served", "escalated", "in_mediation"}


@pytest.mark.parametrize("consents, served", every(
    [c for n in (1, 2, 3) for c in itertools.product(CONSENTS, repeat=n)],
    [None, (True,), (False,), (True, True), (True, False)]))
def test_mediation_block_says_why_mediation_may_not_go_on(consents, served):
    if "refused" in consents:
        expected = "PARTY_REFUSED"
    elif "pending" in consents:
        expected = "CONSENT_MISSING"
    elif served is not None and False in served:
        expected = "RIGHTS_NOT_SERVED"
    else:
        expected = None
    assert rules.mediation_block(consents, served) == expected
    assert expected is None or expected in rules.MEDIATION_BLOCKS


@pytest.mark.parametrize("name, stage, consent, agree, on_spot", every(NAMES, STAGES, CONSENTS, (True, False),
                                                                      (True, False)))
def test_staff_record_a_partys_answer(name, stage, consent, agree, on_spot):
    case = a_case(stage)
    case.resolved_on_spot = on_spot
    party = Party(pk=2, role=PartyRole.RESPONDENT, consent=consent)
    who = name in WORKS_CASE or (on_spot and name in FIELD_STAFF)
    answer_open = consent == "pending" or (consent == "agreed" and not agree)
    assert rules.can_record_consent(person(name), case, party, agree=agree) == (
        who and stage in BEFORE_AGREEMENT and answer_open)
    assert rules.can_record_consent(person(name), case, None, agree=agree) is False


@pytest.mark.parametrize("name, stage, consent", every(NAMES, STAGES, CONSENTS))
def test_staff_record_how_a_party_was_told(name, stage, consent):
    party = Party(pk=2, role=PartyRole.RESPONDENT, consent=consent)
    expected = (consent == "pending" and stage in BEFORE_AGREEMENT - {"in_mediation"}
                and name in WORKS_CASE | FIELD_STAFF)
    assert rules.can_record_notice(person(name), a_case(stage), party) == expected


@pytest.mark.parametrize("has_phone, noticed, consent", every((True, False), (True, False), CONSENTS))
def test_a_party_without_a_phone_needs_a_recorded_notice(has_phone, noticed, consent):
    assert rules.needs_notice(has_phone=has_phone, noticed=noticed, consent=consent) == (
        not has_phone and not noticed and consent == "pending")


@pytest.mark.parametrize("name, stage, served", every(NAMES, STAGES, (True, False)))
def test_the_rights_notice_is_served_by_the_case_staff_once_per_party(name, stage, served):
    party = Party(pk=2, role=PartyRole.RESPONDENT, rights_served_at=EFFECTIVE if served else None)
    expected = (not served and name in WORKS_CASE
                and stage in {"accepted", "reopened", "assigned", "notice_served", "in_mediation"})
    assert rules.can_serve_rights(person(name), a_case(stage), party) == expected


KEYS = [(), ("p1",), ("i1",), ("p1", "i1"), ("",)]


@pytest.mark.parametrize("mediator_keys, party_keys, party_users, declared", every(
    KEYS, [(), ("p1",), ("p2", "i1"), ("",), ("p2",)], [(), (7,), (None, 8)], [(), (7,), (9,)]))
def test_a_mediator_is_recused_by_phone_id_account_or_declaration(mediator_keys, party_keys, party_users, declared):
    shared = {k for k in mediator_keys if k} & {k for k in party_keys if k}
    expected = bool(shared) or 7 in party_users or 7 in declared
    assert rules.mediator_recused(mediator_id=7, mediator_keys=mediator_keys, party_keys=party_keys,
                                  party_user_ids=party_users, declared=declared) == expected


RECUSAL = {"assigned", "notice_served", "in_mediation"}


@pytest.mark.parametrize("name, stage, pending, assigned", every(NAMES, STAGES, (True, False), (True, False)))
def test_recusal_declared_asked_and_decided_by_whom(name, stage, pending, assigned):
    case = a_case(stage)
    if not assigned:
        case.mediator_id = None
    user = person(name)
    assert rules.can_declare_conflict(user, case) == (stage in RECUSAL and name == "mediator" and assigned)
    party = Party(pk=2, role=PartyRole.RESPONDENT)
    assert rules.party_can_request_recusal(party, case, pending=pending) == (
        stage in RECUSAL and assigned and not pending)
    assert rules.party_can_request_recusal(None, case, pending=False) is False
    committee = ITS_ORGANISATION | SUPERVISORS  # the mediator objected to excepted
    assert rules.can_request_recusal_for(user, case, pending=pending) == (
        stage in RECUSAL and assigned and not pending and name in WORKS_CASE
        and not (assigned and name == "mediator"))
    assert rules.can_decide_recusal(user, case) == (
        stage in RECUSAL and name in committee and not (assigned and name == "mediator"))
