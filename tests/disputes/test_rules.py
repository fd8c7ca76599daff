"""Permission predicates as truth tables: every persona × every stage × every target stage."""

from __future__ import annotations

import pytest

from tests.disputes.conftest import new_case
from xiangzhi.disputes import rules
from xiangzhi.disputes.enums import ALLOWED_TRANSITIONS, CaseStage
from xiangzhi.disputes.models import Case

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
