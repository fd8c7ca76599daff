"""The 时间银行 predicates as truth tables over every role and activity state."""

from __future__ import annotations

import pytest

from xiangzhi.core.enums import Role
from xiangzhi.timebank import rules
from xiangzhi.timebank.enums import ActivityState

MANAGERS = {Role.COUNTY_ADMIN, Role.CENTRE_STAFF, Role.TOWN_STAFF}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("state", list(ActivityState))
@pytest.mark.parametrize("is_recorder", [False, True])
@pytest.mark.parametrize("is_volunteer", [False, True])
def test_can_verify(role, state, is_recorder, is_volunteer):
    expected = role in MANAGERS and state == ActivityState.PROPOSED and not is_recorder and not is_volunteer
    assert rules.can_verify({role}, state, is_recorder=is_recorder, is_volunteer=is_volunteer) is expected


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("state", list(ActivityState))
@pytest.mark.parametrize("is_volunteer", [False, True])
def test_can_reject(role, state, is_volunteer):
    expected = role in MANAGERS and state == ActivityState.PROPOSED and not is_volunteer
    assert rules.can_reject({role}, state, is_volunteer=is_volunteer) is expected


@pytest.mark.parametrize("role", list(Role))
def test_manage_and_read(role):
    assert rules.can_manage({role}) is (role in MANAGERS)
    assert rules.can_record({role}) is (role in MANAGERS)
    assert rules.can_read({role}) is (role in MANAGERS | {Role.AUDITOR})


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("already_reversed", [False, True])
@pytest.mark.parametrize("is_reversal", [False, True])
def test_can_reverse(role, already_reversed, is_reversal):
    expected = role == Role.COUNTY_ADMIN and not already_reversed and not is_reversal
    assert rules.can_reverse({role}, already_reversed=already_reversed, is_reversal=is_reversal) is expected


def test_contact_details_stay_inside_the_registering_organisation():
    assert rules.can_see_contact({3, 4}, 4) and not rules.can_see_contact({3}, 4) and not rules.can_see_contact(set(), 4)


@pytest.mark.parametrize(("holder", "code", "expected"), [
    ("330483", "330483100201", True), ("330483100", "330483100201", True), ("330483107", "330483100201", False)])
def test_region_covers(holder, code, expected):
    assert rules.region_covers(holder, code) is expected
