"""Who may do what in 精准普法: small pure predicates (role AND state), tested as truth tables. The services call
them inside their locks; views and the API only use them to show or hide buttons."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from xiangzhi.core.enums import Role

from .enums import AlertState, ItemState

# Lawyers and legal workers who claim (抢单) and answer 求助.
CLAIM_ROLES = frozenset({Role.LAWYER, Role.TOWN_STAFF, Role.CENTRE_STAFF, Role.COUNTY_ADMIN})
# The justice bureau: edits the alert rules and reviews answers before they are published.
BUREAU_ROLES = frozenset({Role.COUNTY_ADMIN})
REVIEW_ROLES = frozenset({Role.COUNTY_ADMIN, Role.CENTRE_STAFF})


def is_claimer(roles: Collection[str]) -> bool:
    return bool(CLAIM_ROLES & set(roles))


def region_overlaps(codes: Iterable[str], region_code: str) -> bool:
    """The user's jurisdiction and the alert's region overlap: a town's lawyer sees the county's 求助 and their
    town's; a county lawyer sees every town's."""
    return any(region_code.startswith(c) or c.startswith(region_code) for c in codes)


def topic_matches(specialities: Collection[str], topic: str) -> bool:
    """A lawyer who declared specialities sees only those topics; one who declared none sees every topic."""
    return not specialities or topic in specialities


def can_claim(roles: Collection[str], state: str, *, in_region: bool, topic_ok: bool) -> bool:
    return is_claimer(roles) and state == AlertState.OPEN and in_region and topic_ok


def can_answer(user_id: int | None, state: str, claimed_by_id: int | None) -> bool:
    """Only the claimant answers, while the claim holds (also after the bureau sent an answer back)."""
    return user_id is not None and state == AlertState.CLAIMED and claimed_by_id == user_id


def can_release(user_id: int | None, state: str, claimed_by_id: int | None) -> bool:
    """The claimant may give a claim back before answering."""
    return can_answer(user_id, state, claimed_by_id)


def can_review(roles: Collection[str], state: str, *, is_author: bool) -> bool:
    """The bureau reviews a submitted answer; never its own."""
    return bool(REVIEW_ROLES & set(roles)) and state == AlertState.ANSWERED and not is_author


def can_publish_unreviewed(user_id: int | None, state: str, claimed_by_id: int | None, *, needs_review: bool,
                           has_answer: bool) -> bool:
    """Without a review, the claimant publishes their own answer."""
    return not needs_review and has_answer and can_answer(user_id, state, claimed_by_id)


def can_edit_rules(roles: Collection[str]) -> bool:
    return bool(BUREAU_ROLES & set(roles))


def can_see_deliveries(roles: Collection[str]) -> bool:
    """Staff who may see the push states (queued, sent, opened) of an alert's audience (never their phones)."""
    return bool((CLAIM_ROLES | REVIEW_ROLES | {Role.AUDITOR}) & set(roles))


# The 普法资源库 is edited by the justice bureau (every item) and the towns' 司法所 (their town's items); the bureau
# runs the 以案释法 Top 10 (nominations); the jury (the bureau and the county centre's staff) scores each case once.
LIBRARY_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWN_STAFF})
TOPTEN_ROLES = frozenset({Role.COUNTY_ADMIN})
JURY_ROLES = frozenset({Role.COUNTY_ADMIN, Role.CENTRE_STAFF})


def can_manage_library(roles: Collection[str]) -> bool:
    """Create, edit, publish, unpublish library items (which ones: :func:`can_edit_item`)."""
    return bool(LIBRARY_ROLES & set(roles))


def can_edit_item(roles: Collection[str], *, in_jurisdiction: bool) -> bool:
    """An item of the actor's jurisdiction (a town's for its 司法所; any for the bureau)."""
    return can_manage_library(roles) and in_jurisdiction


def can_publish_item(roles: Collection[str], state: str, *, in_jurisdiction: bool = True) -> bool:
    return can_edit_item(roles, in_jurisdiction=in_jurisdiction) and state != ItemState.PUBLISHED


def can_unpublish_item(roles: Collection[str], state: str, *, in_jurisdiction: bool = True) -> bool:
    return can_edit_item(roles, in_jurisdiction=in_jurisdiction) and state == ItemState.PUBLISHED


def can_nominate(roles: Collection[str], *, is_case: bool) -> bool:
    return bool(TOPTEN_ROLES & set(roles)) and is_case


def can_score(roles: Collection[str], *, already_scored: bool) -> bool:
    """A jury member scores a nominated case once."""
    return bool(JURY_ROLES & set(roles)) and not already_scored


def can_vote(*, is_citizen: bool, has_phone: bool, item_published: bool) -> bool:
    """A citizen signed in with a verified phone votes for a published nominated case."""
    return is_citizen and has_phone and item_published
