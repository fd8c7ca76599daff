"""Every scoped read of 时间银行: the volunteers, activities, transfers and catalogue a staff user sees (their
jurisdiction), the volunteer a signed-in person is, statements and leaderboards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from xiangzhi.core import crypto
from xiangzhi.core import rules as core_rules
from xiangzhi.core.models import Membership, Region
from xiangzhi.core.selectors import region_q, role_codes

from . import rules
from .enums import TransferKind
from .models import Account, Activity, CatalogueItem, Redemption, Transfer, Volunteer


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


def statement_count(volunteer: Volunteer) -> int:
    """How many movements the volunteer's account has (two index counts, one per side)."""
    acc = volunteer.account_id
    return Transfer.objects.filter(from_account_id=acc).count() + Transfer.objects.filter(to_account_id=acc).count()


def statement(volunteer: Volunteer, *, limit: int = 100, offset: int = 0) -> list[StatementLine]:
    """The volunteer's movements, newest first, ``offset`` then ``limit`` of them, each with the running balance
    after it and what earned or spent it. Each side of the account's transfers is read newest first from its
    (account, id) index and the two are merged, so a page costs O(offset + limit), not O(all movements)."""
    acc, n = volunteer.account_id, offset + limit
    out_side = list(Transfer.objects.filter(from_account_id=acc).order_by("-id")[:n])
    in_side = list(Transfer.objects.filter(to_account_id=acc).order_by("-id")[:n])
    merged = sorted([(t, -int(t.amount)) for t in out_side] + [(t, int(t.amount)) for t in in_side],
                    key=lambda pair: pair[0].pk, reverse=True)
    # the balance after the newest movement is the cached balance; walking back subtracts each movement
    balance = int(Account.objects.filter(pk=acc).values_list("balance", flat=True).first() or 0)
    skipped = merged[:offset]
    balance -= sum(amount for _, amount in skipped)
    page = merged[offset:n]
    tids = [t.pk for t, _ in page]
    acts = {a.transfer_id: a for a in Activity.objects.filter(transfer_id__in=tids)}
    reds = {r.transfer_id: r for r in Redemption.objects.filter(transfer_id__in=tids).select_related("item")}
    lines: list[StatementLine] = []
    for t, amount in page:
        what, category, link = t.memo, "", ""
        if t.pk in acts:
            a = acts[t.pk]
            what, category, link = a.title, str(a.get_kind_display()), a.link
        elif t.pk in reds:
            r = reds[t.pk]
            what, category = r.item.name, str(r.item.get_category_display())
        lines.append(StatementLine(t.pk * 2 + (1 if amount > 0 else 0), t.pk, t.created_at, amount, balance,
                                   str(t.kind), str(t.get_kind_display()), what, category, link))
        balance -= amount
    return lines


@dataclass
class LeaderRow:
    rank: int
    volunteer_id: int
    name: str
    region: str
    minutes: int


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def earned_since(since: dt.date, accounts: QuerySet | None = None) -> dict[int, int]:
    """Minutes credited per account since ``since`` (of ``accounts`` if given), credits later reversed taken off:
    one grouped read of the credits (the (kind, created_at, to_account, amount) index covers it) and one of the few
    reversals of credits."""
    start = _start_of(since)
    credits = Transfer.objects.filter(kind=TransferKind.CREDIT, created_at__gte=start)
    reversals = Transfer.objects.filter(kind=TransferKind.REVERSAL, reverses__kind=TransferKind.CREDIT,
                                        reverses__created_at__gte=start)
    if accounts is not None:
        credits = credits.filter(to_account_id__in=accounts)
        reversals = reversals.filter(from_account_id__in=accounts)
    out = {acc: int(m) for acc, m in credits.values_list("to_account_id").annotate(m=Sum("amount")).order_by()}
    for acc, m in reversals.values_list("from_account_id").annotate(m=Sum("amount")).order_by():
        out[acc] = out.get(acc, 0) - int(m)
    return out


def leaderboard(town: Region, *, since: dt.date, limit: int = 20) -> list[LeaderRow]:
    """The town's volunteers who agreed to be shown, by minutes earned since ``since`` (masked names)."""
    vols = Volunteer.objects.filter(region__code__startswith=town.code, public_consent=True)
    earned = earned_since(since, vols.values("account_id"))
    top = sorted(((m, acc) for acc, m in earned.items() if m > 0), key=lambda r: (-r[0], r[1]))[:limit]
    by_account = {v.account_id: v for v in vols.filter(account_id__in=[acc for _, acc in top])
                  .select_related("person", "region")}
    out = []
    for i, (minutes, acc) in enumerate(top, start=1):
        v = by_account[acc]
        out.append(LeaderRow(i, v.pk, v.person.masked_name, v.region.display_name, minutes))
    return out


@dataclass
class TownRow:
    code: str
    name: str
    volunteers: int
    minutes: int


def county_leaderboard(*, since: dt.date) -> list[TownRow]:
    """Minutes earned since ``since`` per town (all volunteers: totals show no one)."""
    town_of = {acc: code[:9] for acc, code in Volunteer.objects.values_list("account_id", "region__code")}
    per_town: dict[str, int] = {}
    counts: dict[str, int] = {}
    for code in town_of.values():
        counts[code] = counts.get(code, 0) + 1
    for acc, minutes in earned_since(since).items():
        code = town_of.get(acc)
        if code:
            per_town[code] = per_town.get(code, 0) + int(minutes)
    names = dict(Region.objects.filter(code__in=list(counts)).values_list("code", "name"))
    out = [TownRow(c, names.get(c, c), counts[c], per_town.get(c, 0)) for c in counts]
    return sorted(out, key=lambda r: (-r.minutes, r.code))


def towns_for(user, *, since: dt.date) -> list[TownRow]:  # noqa: ANN001
    """The county leaderboard's towns the staff user's jurisdiction covers or lies in."""
    codes = read_codes(user)
    return [t for t in county_leaderboard(since=since) if any(t.code.startswith(c) or c.startswith(t.code)
                                                               for c in codes)]


def access_leaderboard_town(user, code: str) -> Region:  # noqa: ANN001
    """The town (``code`` cut to the town's 9 digits) whose leaderboard the staff user may read: one their
    jurisdiction covers or lies in; else 404."""
    town = Region.objects.filter(code=(code or "")[:9]).first()
    if town is None or not any(town.code.startswith(c) or c.startswith(town.code) for c in read_codes(user)):
        raise Http404
    return town


def donation_recipient(pk: int) -> Volunteer:
    """Any registered volunteer may receive a donation (addressed by their member number; nothing else shown)."""
    v = Volunteer.objects.select_related("account").filter(pk=pk).first()
    if v is None:
        raise Http404
    return v
