"""Permission predicates (role AND, where it matters, state). Small, pure, tested as truth tables."""

from __future__ import annotations

from collections.abc import Iterable

from .enums import ADMIN_ROLES, PERSON_RECORD_ROLES, PERSONAL_DATA_ROLES, SUPERVISOR_ROLES, Role, UserKind


def _active_roles(user) -> set[str]:  # noqa: ANN001
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_xz_roles", None)
    if cached is None:
        cached = set(user.memberships.filter(is_active=True).values_list("role", flat=True))
        user._xz_roles = cached
    return cached


def roles_of(user) -> set[str]:  # noqa: ANN001
    return set(_active_roles(user))


def has_role(user, roles: Iterable[str]) -> bool:  # noqa: ANN001
    return bool(_active_roles(user) & set(roles))


def is_staff_member(user) -> bool:  # noqa: ANN001
    return bool(getattr(user, "is_authenticated", False) and user.kind in (UserKind.STAFF, UserKind.SERVICE)
                and user.is_active and _active_roles(user))


def is_citizen(user) -> bool:  # noqa: ANN001
    return bool(getattr(user, "is_authenticated", False) and user.kind == UserKind.CITIZEN and user.is_active)


def is_admin(user) -> bool:  # noqa: ANN001
    return bool(getattr(user, "is_authenticated", False) and (user.is_superuser or has_role(user, ADMIN_ROLES)))


def is_supervisor(user) -> bool:  # noqa: ANN001
    return has_role(user, SUPERVISOR_ROLES)


def can_view_personal_data(user) -> bool:  # noqa: ANN001
    return has_role(user, PERSONAL_DATA_ROLES)


def can_see_person_records(user) -> bool:  # noqa: ANN001
    """May open person records at all (masked); which ones follows the memberships of these roles only."""
    return is_staff_member(user) and has_role(user, PERSON_RECORD_ROLES)


def can_read_audit_log(user) -> bool:  # noqa: ANN001
    return has_role(user, {Role.AUDITOR, Role.COUNTY_ADMIN})


def can_manage_api_tokens(user) -> bool:  # noqa: ANN001
    """Issue and revoke the API tokens of banks, departments and other machine clients of the county."""
    return has_role(user, {Role.COUNTY_ADMIN})


def can_manage_regions(user) -> bool:  # noqa: ANN001
    return has_role(user, {Role.COUNTY_ADMIN, Role.TOWN_STAFF})


def must_use_totp(user) -> bool:  # noqa: ANN001
    """Administrators must have a second factor (等保 2.0 level 3): the administrator roles, and anyone who may enter
    the Django admin."""
    from django.conf import settings

    return bool(settings.XIANGZHI_REQUIRE_ADMIN_TOTP and (is_admin(user) or getattr(user, "is_staff", False)))
