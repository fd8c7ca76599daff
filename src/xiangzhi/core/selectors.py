"""Every read of scoped data. ``visible_to(user)`` querysets and ``access_*(user, id)`` that answer 404.

Jurisdiction is a code-prefix test: a membership over region 330483100 (乌镇镇) covers every village and grid whose
code starts with it. Deny by default: a user with no active membership sees nothing.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from . import rules
from .enums import PERSON_RECORD_ROLES, RegionLevel
from .models import (
    ApiToken,
    AuditLog,
    Membership,
    Notification,
    Organisation,
    Person,
    PersonalDataAccess,
    Region,
    TextNumber,
    User,
)


def jurisdiction_codes(user) -> list[str]:  # noqa: ANN001
    """The region codes a staff user holds, minimal (a code covered by another is dropped)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_xz_codes", None)
    if cached is not None:
        return cached
    codes = sorted(set(
        Membership.objects.filter(user=user, is_active=True).values_list("region__code", flat=True)
    ))
    minimal: list[str] = []
    for code in codes:
        if not any(code.startswith(kept) for kept in minimal):
            minimal.append(code)
    user._xz_codes = minimal
    return minimal


def role_codes(user, roles: frozenset[str]) -> list[str]:  # noqa: ANN001
    """The region codes the user holds through memberships of ``roles`` only, minimal."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    codes = sorted(set(Membership.objects.filter(user=user, is_active=True, role__in=roles)
                       .values_list("region__code", flat=True)))
    minimal: list[str] = []
    for code in codes:
        if not any(code.startswith(kept) for kept in minimal):
            minimal.append(code)
    return minimal


def region_q(user, field: str = "region__code", *, codes: list[str] | None = None) -> Q:  # noqa: ANN001
    """A Q object: the object's region code lies inside one of the user's jurisdictions (empty Q → nothing); with
    ``codes``, inside one of those instead."""
    codes = jurisdiction_codes(user) if codes is None else codes
    if not codes:
        return Q(pk__in=[])
    q = Q()
    for code in codes:
        q |= Q(**{f"{field}__startswith": code})
    return q


def in_jurisdiction(user, code: str) -> bool:  # noqa: ANN001
    return any(code.startswith(c) for c in jurisdiction_codes(user))


def holds_role_in(user, roles: frozenset[str], code: str) -> bool:  # noqa: ANN001
    """The user holds one of ``roles`` for a region containing ``code`` (a membership of another kind counts not)."""
    return any(code.startswith(c) for c in role_codes(user, roles))


def memberships_of(user) -> QuerySet[Membership]:  # noqa: ANN001
    return Membership.objects.filter(user=user, is_active=True).select_related("organisation", "region")


# Regions ------------------------------------------------------------------------------------------------------
def regions_visible_to(user) -> QuerySet[Region]:  # noqa: ANN001
    return Region.objects.filter(region_q(user, "code"))


def access_region(user, code: str) -> Region:  # noqa: ANN001
    region = regions_visible_to(user).filter(code=code).first()
    if region is None:
        raise Http404
    return region


def public_towns() -> QuerySet[Region]:
    """Towns and their villages are public information (the application form lists them)."""
    return Region.objects.filter(level=RegionLevel.TOWN, is_active=True).order_by("code")


def public_villages(town_code: str | None = None) -> QuerySet[Region]:
    qs = Region.objects.filter(level=RegionLevel.VILLAGE, is_active=True)
    if town_code:
        qs = qs.filter(code__startswith=town_code)
    return qs.order_by("code")


def public_village_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """Villages (code, display name) grouped under their town's display name, in code order: the place lists of the
    public forms (two queries)."""
    towns = {r.code: r.display_name for r in public_towns()}
    groups: dict[str, list[tuple[str, str]]] = {}
    for v in public_villages():
        groups.setdefault(towns.get(v.code[:9], ""), []).append((v.code, v.display_name))
    return list(groups.items())


# Organisations ------------------------------------------------------------------------------------------------
def organisations_visible_to(user) -> QuerySet[Organisation]:  # noqa: ANN001
    return Organisation.objects.filter(region_q(user)).select_related("region")


def access_organisation(user, pk: int) -> Organisation:  # noqa: ANN001
    org = organisations_visible_to(user).filter(pk=pk).first()
    if org is None:
        raise Http404
    return org


# People -------------------------------------------------------------------------------------------------------
def people_visible_to(user) -> QuerySet[Person]:  # noqa: ANN001
    """People whose residence lies in the jurisdiction the user holds through a role that may see person records
    (``rules.can_see_person_records``); nobody for other roles, whatever else they hold.

    Apps that relate people to cases widen this through their own selectors (a party of a case I may see).
    """
    if not rules.can_see_person_records(user):
        return Person.objects.none()
    return Person.objects.filter(region_q(user, codes=role_codes(user, PERSON_RECORD_ROLES)))


def access_person(user, pk: int) -> Person:  # noqa: ANN001
    person = people_visible_to(user).filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


def text_numbers_of(obj) -> QuerySet[TextNumber]:  # noqa: ANN001
    """The personal numbers found in ``obj``'s free text (masked in ``masked``; ``value`` only through the reveal). The
    caller has already checked the user may see ``obj``."""
    return TextNumber.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


def personal_data_accesses_visible_to(user) -> QuerySet[PersonalDataAccess]:  # noqa: ANN001
    return PersonalDataAccess.objects.filter(region_q(user, "person__region__code")).select_related("viewer", "person")


# Staff users --------------------------------------------------------------------------------------------------
def staff_visible_to(user) -> QuerySet[User]:  # noqa: ANN001
    return User.objects.filter(
        pk__in=Membership.objects.filter(region_q(user), is_active=True).values("user_id")
    ).order_by("username")


# API tokens ---------------------------------------------------------------------------------------------------
def api_tokens_visible_to(user) -> QuerySet[ApiToken]:  # noqa: ANN001
    """The tokens of the accounts inside a token manager's jurisdiction (nothing for anyone else)."""
    if not rules.can_manage_api_tokens(user):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user__in=staff_visible_to(user).values("pk")).select_related("user", "created_by")


def access_api_token(user, pk: int) -> ApiToken:  # noqa: ANN001
    token = api_tokens_visible_to(user).filter(pk=pk).first()
    if token is None:
        raise Http404
    return token


# Audit --------------------------------------------------------------------------------------------------------
def audit_visible_to(user) -> QuerySet[AuditLog]:  # noqa: ANN001
    """Audit rows inside the user's jurisdiction; rows without a region only for county-level holders."""
    from django.conf import settings

    q = region_q(user, "region_code")
    if settings.XIANGZHI_COUNTY_CODE in jurisdiction_codes(user):
        q |= Q(region_code="")
    return AuditLog.objects.filter(q)


# Notifications ------------------------------------------------------------------------------------------------
def notifications_for(user) -> QuerySet[Notification]:  # noqa: ANN001
    return Notification.objects.filter(recipient_user=user).order_by("-created_at")


def place_names(codes) -> dict[str, str]:  # noqa: ANN001
    """How people name the places of ``codes``: the town and the village (or grid) by name, "乌镇镇东苑社区", the
    county by its name; a code that is no region (a common prefix) is named by the nearest region holding it. One
    query."""
    codes = {c for c in codes if c}
    prefixes = {c[:n] for c in codes for n in (6, 9, 12, 15) if len(c) >= n}
    names = {code: short or name for code, name, short in
             Region.objects.filter(code__in=prefixes).values_list("code", "name", "short_name")}
    out = {}
    for code in codes:
        known = [n for n in (6, 9, 12, 15) if len(code) >= n and code[:n] in names]
        if not known:
            out[code] = code
            continue
        parts = [names[code[:n]] for n in known if n > 6] or [names[code[:known[-1]]]]
        out[code] = "".join(parts)
    return out
