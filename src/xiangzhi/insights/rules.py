"""Who may use 研判: staff who take part in dispute work (their jurisdiction then limits what they see)."""

from __future__ import annotations

from xiangzhi.core import rules as core_rules
from xiangzhi.disputes import rules as dispute_rules


def can_view_insights(user) -> bool:  # noqa: ANN001
    return dispute_rules.is_dispute_staff(user)


def can_acknowledge(user, warning) -> bool:  # noqa: ANN001
    """A supervisor (town, centre, county) whose jurisdiction holds the warning's region."""
    return core_rules.is_staff_member(user) and any(
        warning.region_code.startswith(code)
        for code in dispute_rules.codes_for(user, dispute_rules.SUPERVISOR_ROLES))


SCREENING_ROLES = frozenset({"town_staff", "mediator", "grid_worker", "centre_staff", "county_admin"})


def can_set_case_flags(user, case) -> bool:  # noqa: ANN001
    """The report flags of a case (排查发现, 防止民转刑/群体性上访, 协议履行): its mediator, a mediator of the
    organisation handling it, or a supervisor (town, centre, county) of its place."""
    return core_rules.is_staff_member(user) and (
        dispute_rules.is_mediator_of(user, case) or dispute_rules.is_handler(user, case)
        or dispute_rules.is_supervisor_of(user, case))


def screening_codes(user) -> list[str]:  # noqa: ANN001
    """The regions where ``user`` may record screening rounds (town and village staff: mediators, grid workers,
    the 司法所, and the county centre)."""
    if not core_rules.is_staff_member(user):
        return []
    return dispute_rules.codes_for(user, SCREENING_ROLES)


def can_record_screening(user, region_code: str) -> bool:  # noqa: ANN001
    return any(region_code.startswith(code) for code in screening_codes(user))
