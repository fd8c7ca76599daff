"""Who may do what with recognitions and e法贷: small pure predicates (role AND state), tested as truth tables. The
services call them inside their locks; views and the API only use them to show or hide buttons."""

from __future__ import annotations

from collections.abc import Collection

from xiangzhi.core.enums import Role

from .enums import ALLOWED_TRANSITIONS, NOTICE_STATES, State

# The village committee's people (mediators of the village committee, grid workers) nominate and propose revocations;
# the town's justice office reviews and runs the public notice; the county justice bureau approves and registers.
VILLAGE_ROLES = frozenset({Role.MEDIATOR, Role.GRID_WORKER})
TOWN_ROLES = frozenset({Role.TOWN_STAFF})
COUNTY_ROLES = frozenset({Role.COUNTY_ADMIN})
NOMINATE_ROLES = VILLAGE_ROLES | TOWN_ROLES | COUNTY_ROLES
SEE_ROLES = NOMINATE_ROLES | {Role.CENTRE_STAFF, Role.AUDITOR}
TOTALS_ROLES = frozenset({Role.COUNTY_ADMIN, Role.AUDITOR})

# (from, to) → the roles that may make that step.
TRANSITION_ROLES: dict[tuple[str, str], frozenset[str]] = {
    (State.NOMINATED, State.TOWN_REVIEWED): TOWN_ROLES,
    (State.NOMINATED, State.REJECTED): TOWN_ROLES,
    (State.TOWN_REVIEWED, State.IN_NOTICE): TOWN_ROLES,
    (State.TOWN_REVIEWED, State.REJECTED): TOWN_ROLES,
    (State.IN_NOTICE, State.APPROVED): COUNTY_ROLES,
    (State.IN_NOTICE, State.REJECTED): COUNTY_ROLES,
    (State.APPROVED, State.REGISTERED): COUNTY_ROLES,
    (State.REGISTERED, State.REVOCATION_PROPOSED): NOMINATE_ROLES,
    (State.REVOCATION_PROPOSED, State.REVOCATION_REVIEWED): TOWN_ROLES,
    (State.REVOCATION_PROPOSED, State.REGISTERED): TOWN_ROLES,
    (State.REVOCATION_REVIEWED, State.REVOCATION_NOTICE): TOWN_ROLES,
    (State.REVOCATION_REVIEWED, State.REGISTERED): TOWN_ROLES,
    (State.REVOCATION_NOTICE, State.REVOKED): COUNTY_ROLES,
    (State.REVOCATION_NOTICE, State.REGISTERED): COUNTY_ROLES,
}


def can_see(roles: Collection[str]) -> bool:
    return bool(SEE_ROLES & set(roles))


def can_nominate(roles: Collection[str]) -> bool:
    return bool(NOMINATE_ROLES & set(roles))


def can_transition(roles: Collection[str], state: str, to: str) -> bool:
    """The step is in the table of allowed transitions AND one of the user's roles may make it."""
    return to in ALLOWED_TRANSITIONS.get(state, ()) and bool(TRANSITION_ROLES.get((state, to), frozenset())
                                                              & set(roles))


def can_object(*, is_citizen: bool, state: str, notice_open: bool) -> bool:
    """A signed-in villager raises an objection while the notice runs."""
    return is_citizen and state in NOTICE_STATES and notice_open


def can_answer_objection(roles: Collection[str], state: str) -> bool:
    return bool((TOWN_ROLES | COUNTY_ROLES) & set(roles)) and state in NOTICE_STATES


def can_record_training(roles: Collection[str], state: str) -> bool:
    return bool((TOWN_ROLES | COUNTY_ROLES) & set(roles)) and state not in (State.REJECTED, State.REVOKED)


def is_bank_officer(roles: Collection[str], *, has_bank: bool) -> bool:
    """A bank officer whose membership names their bank (the organisation every check and loan is filed under)."""
    return Role.BANK_OFFICER in set(roles) and has_bank


def can_see_loan_totals(roles: Collection[str]) -> bool:
    """The county sees the totals of every bank (never a loan's holder)."""
    return bool(TOTALS_ROLES & set(roles))
