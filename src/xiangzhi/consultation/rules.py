"""Who may do what in 智能咨询 (role predicates)."""

from __future__ import annotations

from xiangzhi.core import rules as core_rules
from xiangzhi.core.enums import Role

# Online legal workers: lawyers / 法律服务工作者, 司法所 staff, the county centre.
LEGAL_ROLES = (Role.LAWYER, Role.TOWN_STAFF, Role.CENTRE_STAFF, Role.COUNTY_ADMIN)
DASHBOARD_ROLES = (Role.COUNTY_ADMIN, Role.CENTRE_STAFF, Role.TOWN_STAFF, Role.AUDITOR)
# The guidance per kind of matter speaks for the justice administration: the bureau, the county centre and the 司法所
# edit it; lawyers answer hand-offs but do not change what the platform tells every villager.
GUIDANCE_ROLES = (Role.COUNTY_ADMIN, Role.CENTRE_STAFF, Role.TOWN_STAFF)


def is_legal_worker(user) -> bool:  # noqa: ANN001
    return bool(user and user.is_authenticated and core_rules.has_role(user, LEGAL_ROLES))


def can_see_dashboard(user) -> bool:  # noqa: ANN001
    return bool(user and user.is_authenticated and core_rules.has_role(user, DASHBOARD_ROLES))


def has_county(user) -> bool:  # noqa: ANN001
    """The user's jurisdiction includes the whole county (sees events of unknown town too)."""
    from xiangzhi.core.selectors import jurisdiction_codes

    return any(len(c) <= 6 for c in jurisdiction_codes(user))


def can_edit_guidance(user) -> bool:  # noqa: ANN001
    """Edit the guidance per kind of matter (next steps, limits, evidence, office): a staff member of the justice
    administration (GUIDANCE_ROLES)."""
    return bool(core_rules.is_staff_member(user) and core_rules.has_role(user, GUIDANCE_ROLES))
