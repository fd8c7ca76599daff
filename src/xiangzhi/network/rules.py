"""Who may do what in the public legal service network: small pure predicates over roles, tested as truth tables.
Visibility (which regions) is the selectors' business; these say which roles see and manage the network at all."""

from __future__ import annotations

from collections.abc import Collection

from xiangzhi.core.enums import Role

# Staff who read the network (coverage, sites, teams, terminals) of their jurisdiction.
VIEW_ROLES = frozenset({Role.COUNTY_ADMIN, Role.CENTRE_STAFF, Role.TOWN_STAFF, Role.MEDIATOR, Role.GRID_WORKER,
                        Role.LAWYER, Role.AUDITOR})
# The justice bureau and the town justice offices run the network: assign advisers, register terminals.
MANAGE_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWN_STAFF})


def can_view_network(roles: Collection[str]) -> bool:
    return bool(VIEW_ROLES & set(roles))


def can_manage_network(roles: Collection[str]) -> bool:
    return bool(MANAGE_ROLES & set(roles))


def can_log_service(roles: Collection[str], *, is_the_adviser: bool, serves_village: bool) -> bool:
    """An adviser logs their own service in a village they serve; the justice office may log on their behalf."""
    return serves_village and (is_the_adviser or can_manage_network(roles))
