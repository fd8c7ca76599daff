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
