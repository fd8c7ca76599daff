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
SUPERVISOR_ONLY = {S.ARCHIVED, S.REOPENED}


def expected(persona: str, stage: str, to: str) -> bool:
    if to not in ALLOWED_TRANSITIONS[stage]:
        return False
    if stage == S.REPORTED and to == S.AGREEMENT_ORAL:
        return False  # only for on-the-spot settlements
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
