"""Every scoped read of 时间银行: the volunteers, activities, transfers and catalogue a staff user sees (their
jurisdiction), the volunteer a signed-in person is, statements and leaderboards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum
from django.http import Http404

from xiangzhi.core import crypto
from xiangzhi.core import rules as core_rules
from xiangzhi.core.models import Membership, Region
from xiangzhi.core.selectors import region_q, role_codes

from . import rules
from .enums import TransferKind
from .models import Activity, CatalogueItem, Movement, Redemption, Transfer, Volunteer


def read_codes(user) -> list[str]:  # noqa: ANN001
    if not core_rules.is_staff_member(user):
        return []
    return role_codes(user, rules.READ_ROLES)


def manage_codes(user) -> list[str]:  # noqa: ANN001
    if not core_rules.is_staff_member(user):
        return []
    return role_codes(user, rules.MANAGE_ROLES)


def may_manage_region(user, code: str) -> bool:  # noqa: ANN001
    return any(code.startswith(c) for c in manage_codes(user))


def user_org_ids(user) -> set[int]:  # noqa: ANN001
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_xz_timebank_orgs", None)
    if cached is None:
        cached = set(Membership.objects.filter(user=user, is_active=True, organisation__isnull=False)
                     .values_list("organisation_id", flat=True))
        user._xz_timebank_orgs = cached
    return cached


def volunteers_visible_to(user) -> QuerySet[Volunteer]:  # noqa: ANN001
    return (Volunteer.objects.filter(region_q(user, codes=read_codes(user)))
            .select_related("person", "organisation", "region", "account"))


def access_volunteer(user, pk: int) -> Volunteer:  # noqa: ANN001
    v = volunteers_visible_to(user).filter(pk=pk).first()
    if v is None:
        raise Http404
    return v


def may_see_contact(user, volunteer: Volunteer) -> bool:  # noqa: ANN001
    return rules.can_see_contact(user_org_ids(user), volunteer.organisation_id)


def volunteer_of(user) -> Volunteer | None:  # noqa: ANN001
    """The volunteer a signed-in person is: by their account, or (a villager signed in by phone) by the blind
    index of their phone."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    qs = Volunteer.objects.select_related("person", "account", "region", "organisation")
    v = qs.filter(user=user).first()
    phone = getattr(user, "phone", "") if getattr(user, "phone_index", None) else ""
    if v is None and phone:
        index = crypto.blind_index(phone, purpose="person.phone")
        v = qs.filter(person__phone_index=index, user__isnull=True).order_by("pk").first()
    return v


def is_own(user, volunteer: Volunteer) -> bool:  # noqa: ANN001
    own = volunteer_of(user)
    return own is not None and own.pk == volunteer.pk


def activities_visible_to(user) -> QuerySet[Activity]:  # noqa: ANN001
    return (Activity.objects.filter(region_q(user, codes=read_codes(user)))
            .select_related("volunteer__person", "organisation", "region", "recorded_by", "verified_by"))


def access_activity(user, pk: int) -> Activity:  # noqa: ANN001
    a = activities_visible_to(user).filter(pk=pk).first()
    if a is None:
        raise Http404
    return a


def transfers_visible_to(user) -> QuerySet[Transfer]:  # noqa: ANN001
    """Transfers touching an account of a volunteer in the user's jurisdiction."""
    vols = Volunteer.objects.filter(region_q(user, codes=read_codes(user))).values("account_id")
    return Transfer.objects.filter(Q(from_account__in=vols) | Q(to_account__in=vols)).order_by("-pk")


def access_transfer(user, pk: int) -> Transfer:  # noqa: ANN001
    t = transfers_visible_to(user).filter(pk=pk).first()
    if t is None:
        raise Http404
    return t


def redemptions_visible_to(user) -> QuerySet[Redemption]:  # noqa: ANN001
    return (Redemption.objects.filter(region_q(user, "volunteer__region__code", codes=read_codes(user)))
            .select_related("item", "volunteer__person"))


def _covering_q(code: str, field: str = "region__code") -> Q:
    """Items of ``code``'s own region or of a region around it (county, town)."""
    return Q(**{f"{field}__in": [code[:n] for n in (6, 9, 12, 15) if n <= len(code)]})


def catalogue_for_volunteer(volunteer: Volunteer) -> QuerySet[CatalogueItem]:
    return (CatalogueItem.objects.filter(_covering_q(volunteer.region.code), is_active=True)
            .select_related("organisation", "region"))


def catalogue_visible_to(user) -> QuerySet[CatalogueItem]:  # noqa: ANN001
    """Staff: items of their jurisdiction and those around it; a volunteer: the active items serving them."""
    codes = read_codes(user)
    if codes:
        q = region_q(user, codes=codes)
        for c in codes:
            q |= _covering_q(c)
        return CatalogueItem.objects.filter(q).select_related("organisation", "region")
    own = volunteer_of(user)
    if own is not None:
        return catalogue_for_volunteer(own)
    return CatalogueItem.objects.none()


def access_item(user, pk: int) -> CatalogueItem:  # noqa: ANN001
    item = catalogue_visible_to(user).filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


def managed_item(user, pk: int) -> CatalogueItem:  # noqa: ANN001
    item = CatalogueItem.objects.filter(region_q(user, codes=manage_codes(user)), pk=pk).first()
    if item is None:
        raise Http404
    return item


# Statements and leaderboards ----------------------------------------------------------------------------------
@dataclass
class StatementLine:
    movement_id: int
    transfer_id: int
    at: dt.datetime
    amount: int
    balance: int
    kind: str
    kind_label: str
    what: str  # what earned (or what spent) the minutes
    category: str
    link: str


def statement(volunteer: Volunteer, *, limit: int | None = None) -> list[StatementLine]:
    """The volunteer's movements, newest first, each with the running balance and what earned or spent it."""
    moves = list(Movement.objects.filter(account_id=volunteer.account_id).order_by("-id")
                 .values_list("id", "transfer_id", "at", "amount")[:limit])
    tids = [m[1] for m in moves]
    transfers = {t.pk: t for t in Transfer.objects.filter(pk__in=tids)}
    acts = {a.transfer_id: a for a in Activity.objects.filter(transfer_id__in=tids)}
    reds = {r.transfer_id: r for r in Redemption.objects.filter(transfer_id__in=tids).select_related("item")}
    balance = volunteer.account.balance
    lines: list[StatementLine] = []
    for mid, tid, at, amount in moves:
        t = transfers[tid]
        what, category, link = t.memo, "", ""
        if tid in acts:
            a = acts[tid]
            what, category, link = a.title, str(a.get_kind_display()), a.link
        elif tid in reds:
            r = reds[tid]
            what, category = r.item.name, str(r.item.get_category_display())
        lines.append(StatementLine(mid, tid, at, int(amount), int(balance), str(t.kind), str(t.get_kind_display()),
                                   what, category, link))
        balance -= amount
    return lines


@dataclass
class LeaderRow:
    rank: int
    volunteer_id: int
    name: str
    region: str
    minutes: int


def earned_since(since: dt.date) -> QuerySet:
    """Σ credited minutes per account since ``since``, credits later reversed left out."""
    return (Transfer.objects.filter(kind=TransferKind.CREDIT, created_at__date__gte=since, reversed_by__isnull=True)
            .values("to_account_id").annotate(minutes=Sum("amount")).order_by())


def leaderboard(town: Region, *, since: dt.date, limit: int = 20) -> list[LeaderRow]:
    """The town's volunteers who agreed to be shown, by minutes earned since ``since`` (masked names)."""
    vols = Volunteer.objects.filter(region__code__startswith=town.code, public_consent=True)
    rows = (earned_since(since).filter(to_account_id__in=vols.values("account_id"))
            .order_by("-minutes", "to_account_id")[:limit])
    by_account = {v.account_id: v for v in vols.filter(account_id__in=[r["to_account_id"] for r in rows])
                  .select_related("person", "region")}
    out = []
    for i, r in enumerate(rows, start=1):
        v = by_account[r["to_account_id"]]
        out.append(LeaderRow(i, v.pk, v.person.masked_name, v.region.display_name, int(r["minutes"])))
    return out


@dataclass
class TownRow:
    code: str
    name: str
    volunteers: int
    minutes: int


def county_leaderboard(*, since: dt.date) -> list[TownRow]:
    """Minutes earned since ``since`` per town (all volunteers: totals show no one)."""
    rows = (Transfer.objects.filter(kind=TransferKind.CREDIT, created_at__date__gte=since, reversed_by__isnull=True)
            .values("to_account__volunteer__region__code").annotate(minutes=Sum("amount")).order_by())
    per_town: dict[str, int] = {}
    for r in rows:
        code = (r["to_account__volunteer__region__code"] or "")[:9]
        per_town[code] = per_town.get(code, 0) + int(r["minutes"])
    counts: dict[str, int] = {}
    for code in Volunteer.objects.values_list("region__code", flat=True):
        counts[code[:9]] = counts.get(code[:9], 0) + 1
    names = dict(Region.objects.filter(code__in=list(per_town) + list(counts)).values_list("code", "name"))
    out = [TownRow(c, names.get(c, c), counts.get(c, 0), m) for c, m in per_town.items() if c]
    return sorted(out, key=lambda r: (-r.minutes, r.code))


def donation_recipient(pk: int) -> Volunteer:
    """Any registered volunteer may receive a donation (addressed by their member number; nothing else shown)."""
    v = Volunteer.objects.select_related("account").filter(pk=pk).first()
    if v is None:
        raise Http404
    return v
