"""Every scoped read of recognitions and e法贷: what staff see (their jurisdiction), the public notices, a citizen's
own recognitions and the checks made on them, a bank's own checks and loans, the county's totals."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from xiangzhi.core import crypto
from xiangzhi.core import rules as core_rules
from xiangzhi.core.enums import OrgKind, RegionLevel, Role
from xiangzhi.core.models import Organisation, Person, Region
from xiangzhi.core.selectors import region_q, role_codes

from . import rules
from .enums import CERTIFIED_STATES, NOTICE_STATES, QUOTA_STATES, State, Title
from .models import BankCheck, Loan, Recognition


def scope_codes(user, roles: frozenset[str] = rules.SEE_ROLES) -> list[str]:  # noqa: ANN001
    """The regions where the user holds one of ``roles`` (by default a recognitions role; a membership of another
    kind, say as a county lawyer, widens nothing), at village level at most: a grid worker works for the village of
    their grid."""
    return sorted({code[:12] for code in role_codes(user, roles)})


def in_scope(user, code: str, roles: frozenset[str] = rules.SEE_ROLES) -> bool:  # noqa: ANN001
    return any(code.startswith(c) for c in scope_codes(user, roles))


def visible_to(user) -> QuerySet[Recognition]:  # noqa: ANN001
    """Recognitions of the user's jurisdiction for the staff who work on them; nothing for anyone else."""
    if not core_rules.is_staff_member(user) or not rules.can_see(core_rules.roles_of(user)):
        return Recognition.objects.none()
    return (Recognition.objects.filter(region_q(user, codes=scope_codes(user)))
            .select_related("person", "region", "region__parent"))


def access_recognition(user, pk: int) -> Recognition:  # noqa: ANN001
    rec = visible_to(user).filter(pk=pk).first()
    if rec is None:
        raise Http404
    return rec


def holders_visible_to(user) -> QuerySet[Recognition]:  # noqa: ANN001
    return visible_to(user).filter(state__in=CERTIFIED_STATES).order_by("-year", "serial")


def all_holders() -> QuerySet[Recognition]:
    """Every holder of the county (the operator's command line)."""
    return (Recognition.objects.filter(state__in=CERTIFIED_STATES).select_related("person", "region")
            .order_by("-year", "serial"))


def holder_by_serial(serial: str) -> Recognition | None:
    return Recognition.objects.filter(serial=serial).select_related("person", "region").first()


def revoked_serials() -> list[str]:
    return list(Recognition.objects.filter(state=State.REVOKED, serial__isnull=False)
                .order_by("serial").values_list("serial", flat=True))


def public_notices() -> QuerySet[Recognition]:
    """The recognitions whose public notice (公示) runs now: the page every villager may read."""
    now = timezone.now()
    return (Recognition.objects.filter(state__in=NOTICE_STATES, notice_starts__lte=now, notice_ends__gt=now)
            .select_related("person", "region", "region__parent").order_by("notice_ends", "pk"))


def access_public_notice(pk: int) -> Recognition:
    rec = public_notices().filter(pk=pk).first()
    if rec is None:
        raise Http404
    return rec


def used_quota(region_id: int, year: int, title: str, *, exclude_pk: int | None = None) -> int:
    qs = Recognition.objects.filter(region_id=region_id, year=year, title=title, state__in=QUOTA_STATES)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.count()


def coverage(user, year: int) -> list[dict]:  # noqa: ANN001
    """Per village of the user's jurisdiction: holders of each title this year (the coverage dashboard), in two
    queries."""
    villages = list(Region.objects.filter(region_q(user, "code", codes=scope_codes(user)), level=RegionLevel.VILLAGE,
                                          is_active=True)
                    .select_related("parent").order_by("code"))
    counts: dict[tuple[int, str], int] = {}
    rows = (visible_to(user).filter(year=year, state__in=CERTIFIED_STATES).values_list("region_id", "title")
            .annotate(n=Count("pk")).order_by())
    for region_id, title, n in rows:
        counts[(region_id, title)] = n
    return [{"village": v, "counts": [counts.get((v.pk, t.value), 0) for t in Title]} for v in villages]


# e法贷 ------------------------------------------------------------------------------------------------------------
def persons_of_citizen(user) -> QuerySet[Person]:  # noqa: ANN001
    """The person records of a signed-in villager: linked to the account, or with the account's phone number."""
    if not core_rules.is_citizen(user):
        return Person.objects.none()
    q = Q(user=user)
    if user.phone:
        q |= Q(phone_index=crypto.blind_index(user.phone, purpose="person.phone"))
    return Person.objects.filter(q)


def held_by_another(user, people: QuerySet[Person]) -> bool:  # noqa: ANN001
    """``people`` (those recorded under a 身份证号) are someone else: none of them is one of the villager's records."""
    return people.exists() and not people.filter(pk__in=persons_of_citizen(user).values("pk")).exists()


def recognitions_of_citizen(user) -> QuerySet[Recognition]:  # noqa: ANN001
    return (Recognition.objects.filter(person__in=persons_of_citizen(user)).exclude(state=State.REJECTED)
            .select_related("region").order_by("-year", "pk"))


def checks_of_citizen(user) -> QuerySet[BankCheck]:  # noqa: ANN001
    """Every bank check made with this villager's consent (shown to them)."""
    return BankCheck.objects.filter(person__in=persons_of_citizen(user)).select_related("bank").order_by("-at")


def bank_of(user) -> Organisation | None:  # noqa: ANN001
    """The bank of a bank officer (the organisation of their bank_officer membership), else None."""
    if not core_rules.is_staff_member(user) or Role.BANK_OFFICER not in core_rules.roles_of(user):
        return None
    cached = getattr(user, "_xz_bank", None)
    if cached is None:
        cached = (Organisation.objects.filter(memberships__user=user, memberships__role=Role.BANK_OFFICER,
                                              memberships__is_active=True, kind=OrgKind.BANK).order_by("pk").first())
        user._xz_bank = cached or False
    return cached or None


def is_bank_desk_user(user) -> bool:  # noqa: ANN001
    """A bank officer whose membership names their bank: the e法贷 desk and its menu entry are theirs."""
    return bank_of(user) is not None


def loans_visible_to(user) -> QuerySet[Loan]:  # noqa: ANN001
    """A bank officer sees their own bank's loans only."""
    bank = bank_of(user)
    if bank is None:
        return Loan.objects.none()
    return Loan.objects.filter(bank=bank).select_related("check_row", "bank").order_by("-granted_on", "-pk")


def checks_of_bank(user) -> QuerySet[BankCheck]:  # noqa: ANN001
    bank = bank_of(user)
    if bank is None:
        return BankCheck.objects.none()
    return BankCheck.objects.filter(bank=bank).order_by("-at", "-pk")


def access_bank_check(user, pk: int) -> BankCheck:  # noqa: ANN001
    check = checks_of_bank(user).filter(pk=pk).first()
    if check is None:
        raise Http404
    return check


def loan_totals(user) -> list[dict]:  # noqa: ANN001
    """Loans per bank: the county's roles see every bank, a bank officer their own; nobody else anything."""
    roles = core_rules.roles_of(user)
    if rules.can_see_loan_totals(roles) and core_rules.is_staff_member(user):
        qs = Loan.objects.all()
    elif bank_of(user) is not None:
        qs = Loan.objects.filter(bank=bank_of(user))
    else:
        return []
    rows = (qs.values("bank_id", "bank__name").annotate(count=Count("pk"), amount=Sum("amount"))
            .order_by("bank__name"))
    return [{"bank_id": r["bank_id"], "bank": r["bank__name"], "count": r["count"],
             "amount": r["amount"] or Decimal("0")} for r in rows]
