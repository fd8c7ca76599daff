"""Who may do what in 合法性审查: small pure predicates (role AND state), tested as truth tables. The services call
them inside their locks; views and the API only use them to show or hide buttons."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from xiangzhi.core.enums import Role

from .enums import REVISABLE, State

# The justice office (司法所) of a town, and the county's justice bureau: submit for the town and its villages, assign
# reviewers, send revised versions, mark documents issued.
MANAGE_ROLES = frozenset({Role.TOWN_STAFF, Role.COUNTY_ADMIN})
# Who may be assigned as a reviewer: lawyers (a town's legal adviser, a village's legal adviser, a panel member).
REVIEWER_ROLES = frozenset({Role.LAWYER})
# Who sees every submission of their jurisdiction and the dashboard (reviewers see only what they are assigned).
OVERSEE_ROLES = MANAGE_ROLES | {Role.AUDITOR}
SEE_ROLES = OVERSEE_ROLES | REVIEWER_ROLES


def can_manage(roles: Collection[str]) -> bool:
    return bool(MANAGE_ROLES & set(roles))


def can_oversee(roles: Collection[str]) -> bool:
    return bool(OVERSEE_ROLES & set(roles))


def can_submit(roles: Collection[str]) -> bool:
    return can_manage(roles)


def can_assign(roles: Collection[str], state: str) -> bool:
    """A reviewer is assigned while the current version waits for review (again, to change the reviewer)."""
    return can_manage(roles) and state in (State.SUBMITTED, State.UNDER_REVIEW)


def is_reviewer(roles: Collection[str]) -> bool:
    return bool(REVIEWER_ROLES & set(roles))


def can_give_opinion(user_id: int | None, state: str, reviewer_ids: Iterable[int]) -> bool:
    """Only an assigned reviewer (any member of an assigned panel), while the current version is under review."""
    return user_id is not None and state == State.UNDER_REVIEW and user_id in set(reviewer_ids)


def can_revise(roles: Collection[str], state: str) -> bool:
    return can_manage(roles) and state in REVISABLE


def can_issue(roles: Collection[str], state: str) -> bool:
    """Only a document whose current version passed review (合法) may be marked issued."""
    return can_manage(roles) and state == State.PASSED


def region_covers(codes: Iterable[str], region_code: str) -> bool:
    """A reviewer's jurisdiction covers the submitting region (a county lawyer covers every town and village)."""
    return any(region_code.startswith(c) for c in codes)
