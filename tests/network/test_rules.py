"""The network's permission predicates as truth tables over every role."""

import pytest

from xiangzhi.core.enums import Role
from xiangzhi.network import rules

VIEW = {Role.COUNTY_ADMIN, Role.CENTRE_STAFF, Role.TOWN_STAFF, Role.MEDIATOR, Role.GRID_WORKER, Role.LAWYER,
        Role.AUDITOR}
MANAGE = {Role.COUNTY_ADMIN, Role.TOWN_STAFF}


@pytest.mark.parametrize("role", list(Role))
def test_who_views_and_manages_the_network(role):
    assert rules.can_view_network({role}) is (role in VIEW)
    assert rules.can_manage_network({role}) is (role in MANAGE)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("is_the_adviser", [True, False])
@pytest.mark.parametrize("serves_village", [True, False])
def test_who_logs_a_service(role, is_the_adviser, serves_village):
    expected = serves_village and (is_the_adviser or role in MANAGE)
    assert rules.can_log_service({role}, is_the_adviser=is_the_adviser, serves_village=serves_village) is expected


def test_no_role_sees_nothing():
    assert not rules.can_view_network(set()) and not rules.can_manage_network(set())
