"""Who may do what in 时间银行: small pure predicates (role AND state), tested as truth tables. The services call
them inside their locks; views and the API only use them to show or hide buttons."""

from __future__ import annotations

from collections.abc import Collection

from xiangzhi.core.enums import Role

from .enums import ActivityState

# Organisations' staff who register volunteers, record and verify activities and keep the catalogue.
MANAGE_ROLES = frozenset({Role.COUNTY_ADMIN, Role.CENTRE_STAFF, Role.TOWN_STAFF})
# Who reads the books (statements, leaderboards, reports) in their jurisdiction.
READ_ROLES = MANAGE_ROLES | {Role.AUDITOR}


def can_manage(roles: Collection[str]) -> bool:
    return bool(MANAGE_ROLES & set(roles))


def can_read(roles: Collection[str]) -> bool:
    return bool(READ_ROLES & set(roles))


def can_record(roles: Collection[str]) -> bool:
    return can_manage(roles)


def can_verify(roles: Collection[str], state: str, *, is_recorder: bool, is_volunteer: bool) -> bool:
    """A second person verifies: never who recorded the activity, never the volunteer themselves."""
    return can_manage(roles) and state == ActivityState.PROPOSED and not is_recorder and not is_volunteer


def can_reject(roles: Collection[str], state: str, *, is_volunteer: bool) -> bool:
    return can_manage(roles) and state == ActivityState.PROPOSED and not is_volunteer


def can_reverse(roles: Collection[str], *, already_reversed: bool, is_reversal: bool) -> bool:
    """Corrections are reversing transfers, made by the county's administrators, once per transfer."""
    return Role.COUNTY_ADMIN in set(roles) and not already_reversed and not is_reversal


def can_see_contact(user_org_ids: Collection[int], volunteer_org_id: int) -> bool:
    """Contact details (masked) are shown only to staff of the organisation that registered the volunteer."""
    return volunteer_org_id in set(user_org_ids)


def region_covers(holder_code: str, code: str) -> bool:
    """``code`` lies inside ``holder_code`` (a county item serves every town; a town item its own villages)."""
    return code.startswith(holder_code)
