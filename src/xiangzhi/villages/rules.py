"""Who may do what in 民主法治村 creation: small pure predicates (role AND state), tested as truth tables. The
services call them inside their locks; views and the API only use them to show or hide buttons."""

from __future__ import annotations

from collections.abc import Collection

from xiangzhi.core.enums import Role

from .enums import APPLY_FROM, ApplicationState, TitleState

# The justice bureau (县司法局) runs the programme: the checklists, the assessors, naming and reviews.
BUREAU_ROLES = frozenset({Role.COUNTY_ADMIN})
# The bureau and the town justice offices (司法所) guide their villages: plans, tasks, evidence, applications.
WORK_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWN_STAFF})
# Who sees the creation records of their jurisdiction (the auditor reads them).
VIEW_ROLES = WORK_ROLES | {Role.AUDITOR}
SCORING_STATES = frozenset({ApplicationState.SUBMITTED, ApplicationState.ASSESSING})


def can_view(roles: Collection[str]) -> bool:
    return bool(VIEW_ROLES & set(roles))


def can_work(roles: Collection[str]) -> bool:
    """Plan, set tasks, upload evidence, write an improvement plan."""
    return bool(WORK_ROLES & set(roles))


def can_apply(roles: Collection[str], stage: str) -> bool:
    """Apply for a title once the village has been cultivated (or is improving after a title)."""
    return can_work(roles) and stage in APPLY_FROM


def can_withdraw(roles: Collection[str], state: str) -> bool:
    return can_work(roles) and state in SCORING_STATES


def can_manage(roles: Collection[str]) -> bool:
    """Edit the checklists, register titles named before the platform."""
    return bool(BUREAU_ROLES & set(roles))


def can_assign_assessors(roles: Collection[str], state: str) -> bool:
    return can_manage(roles) and state in SCORING_STATES


def can_score(*, is_assessor: bool, state: str, has_scored: bool) -> bool:
    """Only an assessor assigned to the application scores it, once, while it is being assessed."""
    return is_assessor and state in SCORING_STATES and not has_scored


def can_name(roles: Collection[str], state: str) -> bool:
    return can_manage(roles) and state == ApplicationState.PASSED


def can_review(roles: Collection[str], title_state: str) -> bool:
    """A periodic 复核 of a title still held."""
    return can_manage(roles) and title_state == TitleState.HELD
