"""Who may do what in 智能咨询 (role predicates)."""

from __future__ import annotations

from xiangzhi.core import rules as core_rules
from xiangzhi.core.enums import Role

# Online legal workers: lawyers / 法律服务工作者, 司法所 staff, the county centre.
LEGAL_ROLES = (Role.LAWYER, Role.TOWN_STAFF, Role.CENTRE_STAFF, Role.COUNTY_ADMIN)
DASHBOARD_ROLES = (Role.COUNTY_ADMIN, Role.CENTRE_STAFF, Role.TOWN_STAFF, Role.AUDITOR)


def is_legal_worker(user) -> bool:  # noqa: ANN001
    return bool(user and user.is_authenticated and core_rules.has_role(user, LEGAL_ROLES))


def can_see_dashboard(user) -> bool:  # noqa: ANN001
    return bool(user and user.is_authenticated and core_rules.has_role(user, DASHBOARD_ROLES))


def has_county(user) -> bool:  # noqa: ANN001
    """The user's jurisdiction includes the whole county (sees events of unknown town too)."""
    from xiangzhi.core.selectors import jurisdiction_codes

    return any(len(c) <= 6 for c in jurisdiction_codes(user))
