"""The predicates of 民主法治村 creation as truth tables over roles and every state."""

from __future__ import annotations

import pytest

from xiangzhi.core.enums import Role
from xiangzhi.villages import rules
from xiangzhi.villages.enums import ApplicationState, Stage, TitleState

ROLES = [r.value for r in Role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("stage", [s.value for s in Stage])
def test_who_may_apply_from_which_stage(role, stage):
    expected = role in ("county_admin", "town_staff") and stage in ("cultivating", "improving")
    assert rules.can_apply({role}, stage) is expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", [s.value for s in ApplicationState])
def test_the_bureau_assigns_assessors_and_names(role, state):
    assert rules.can_assign_assessors({role}, state) is (role == "county_admin" and state in ("submitted", "assessing"))
    assert rules.can_name({role}, state) is (role == "county_admin" and state == "passed")
    assert rules.can_withdraw({role}, state) is (role in ("county_admin", "town_staff")
                                                 and state in ("submitted", "assessing"))


@pytest.mark.parametrize("is_assessor", [True, False])
@pytest.mark.parametrize("has_scored", [True, False])
@pytest.mark.parametrize("state", [s.value for s in ApplicationState])
def test_only_an_assigned_assessor_scores_once_while_assessing(is_assessor, has_scored, state):
    expected = is_assessor and not has_scored and state in ("submitted", "assessing")
    assert rules.can_score(is_assessor=is_assessor, state=state, has_scored=has_scored) is expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", [s.value for s in TitleState])
def test_the_bureau_reviews_held_titles(role, state):
    assert rules.can_review({role}, state) is (role == "county_admin" and state == "held")


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_and_who_works(role):
    assert rules.can_view({role}) is (role in ("county_admin", "town_staff", "auditor"))
    assert rules.can_work({role}) is (role in ("county_admin", "town_staff"))
    assert rules.can_manage({role}) is (role == "county_admin")
