"""The permission predicates of 合法性审查 as truth tables over every state."""

from __future__ import annotations

import pytest

from xiangzhi.core.enums import Role
from xiangzhi.legality import rules
from xiangzhi.legality.enums import State

ALL = list(State)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("state", ALL)
def test_manage_predicates(role, state):
    manages = role in (Role.TOWN_STAFF, Role.COUNTY_ADMIN)
    assert rules.can_assign({role}, state) == (manages and state in (State.SUBMITTED, State.UNDER_REVIEW))
    assert rules.can_issue({role}, state) == (manages and state == State.PASSED)
    assert rules.can_revise({role}, state) == (manages and state != State.ISSUED)
    assert rules.can_submit({role}) == manages


@pytest.mark.parametrize("state", ALL)
@pytest.mark.parametrize("user_id, reviewers", [(1, [1]), (1, [2, 1]), (1, [2]), (None, [1]), (1, [])])
def test_only_an_assigned_reviewer_while_under_review(state, user_id, reviewers):
    expected = state == State.UNDER_REVIEW and user_id is not None and user_id in reviewers
    assert rules.can_give_opinion(user_id, state, reviewers) == expected


@pytest.mark.parametrize("codes, region, covered", [
    (["330483"], "330483100", True), (["330483100"], "330483100201", True), (["330483107"], "330483100", False),
    (["330483100201"], "330483100", False), ([], "330483100", False)])
def test_region_covers(codes, region, covered):
    assert rules.region_covers(codes, region) == covered
