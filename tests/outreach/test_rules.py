"""The predicates of 精准普法 as truth tables over every state."""

from __future__ import annotations

import pytest

from xiangzhi.core.enums import Role
from xiangzhi.outreach import rules
from xiangzhi.outreach.enums import AlertState

S = AlertState
LAWYER = {Role.LAWYER}


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize(("roles", "in_region", "topic_ok", "role_ok"), [
    (LAWYER, True, True, True), (LAWYER, False, True, False), (LAWYER, True, False, False),
    ({Role.TOWN_STAFF}, True, True, True), ({Role.MEDIATOR}, True, True, False), (set(), True, True, False),
    ({Role.AUDITOR}, True, True, False),
])
def test_can_claim(state, roles, in_region, topic_ok, role_ok):
    assert rules.can_claim(roles, state, in_region=in_region, topic_ok=topic_ok) == (role_ok and state == S.OPEN)


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize(("user_id", "claimant", "is_claimant"), [(1, 1, True), (2, 1, False), (None, None, False)])
def test_can_answer_and_release(state, user_id, claimant, is_claimant):
    expected = is_claimant and state == S.CLAIMED
    assert rules.can_answer(user_id, state, claimant) == expected
    assert rules.can_release(user_id, state, claimant) == expected


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize(("roles", "is_author", "ok"), [
    ({Role.COUNTY_ADMIN}, False, True), ({Role.CENTRE_STAFF}, False, True), ({Role.COUNTY_ADMIN}, True, False),
    (LAWYER, False, False), ({Role.TOWN_STAFF}, False, False),
])
def test_can_review(state, roles, is_author, ok):
    assert rules.can_review(roles, state, is_author=is_author) == (ok and state == S.ANSWERED)


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize(("needs_review", "has_answer"), [(False, True), (True, True), (False, False)])
def test_can_publish_unreviewed(state, needs_review, has_answer):
    assert rules.can_publish_unreviewed(1, state, 1, needs_review=needs_review, has_answer=has_answer) == (
        state == S.CLAIMED and not needs_review and has_answer)


@pytest.mark.parametrize(("roles", "ok"), [({Role.COUNTY_ADMIN}, True), ({Role.CENTRE_STAFF}, False), (LAWYER, False),
                                           (set(), False)])
def test_can_edit_rules(roles, ok):
    assert rules.can_edit_rules(roles) == ok


@pytest.mark.parametrize(("codes", "region", "ok"), [
    (["330483"], "330483100", True), (["330483100"], "330483", True), (["330483100"], "330483100", True),
    (["330483107"], "330483100", False), ([], "330483", False),
])
def test_region_overlaps(codes, region, ok):
    assert rules.region_overlaps(codes, region) == ok


@pytest.mark.parametrize(("topics", "topic", "ok"), [(set(), "劳动", True), ({"劳动"}, "劳动", True),
                                                     ({"婚姻家庭"}, "劳动", False)])
def test_topic_matches(topics, topic, ok):
    assert rules.topic_matches(topics, topic) == ok
