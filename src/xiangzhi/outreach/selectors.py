"""Every scoped read of 精准普法: which 求助 a lawyer sees (region AND declared specialities), the inbox of a
villager, the push states staff see."""

from __future__ import annotations

from django.db.models import Avg, Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from xiangzhi.core import rules as core_rules
from xiangzhi.core.enums import Role
from xiangzhi.core.selectors import holds_role_in, region_q, role_codes

from . import rules
from .enums import AlertState, DeliveryState, ItemState
from .models import Alert, AlertRule, Delivery, ItemRead, JuryScore, LibraryItem, Nomination, Speciality, Vote


def specialities_of(user) -> set[str]:  # noqa: ANN001
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_xz_outreach_topics", None)
    if cached is None:
        cached = set(Speciality.objects.filter(user=user).values_list("topic", flat=True))
        user._xz_outreach_topics = cached
    return cached


def _overlap_q(codes: list[str]) -> Q:
    """The alert's region overlaps one of ``codes`` (inside it, or around it)."""
    q = Q(pk__in=[])
    for code in codes:
        q |= Q(region__code__startswith=code) | Q(region__code__in=[code[:n] for n in (6, 9, 12) if n <= len(code)])
    return q


def alerts_visible_to(user) -> QuerySet[Alert]:  # noqa: ANN001
    """The 求助 a staff user may see: lawyers and legal workers those of their regions and specialities; the bureau
    and auditors every one in their jurisdiction. Nothing for anyone else."""
    roles = core_rules.roles_of(user)
    if not core_rules.is_staff_member(user) or not (rules.is_claimer(roles) or rules.can_see_deliveries(roles)):
        return Alert.objects.none()
    codes = role_codes(user, rules.CLAIM_ROLES | rules.REVIEW_ROLES | {Role.AUDITOR})
    qs = Alert.objects.filter(_overlap_q(codes)).select_related("region", "claimed_by", "rule")
    topics = specialities_of(user)
    if topics and not (rules.REVIEW_ROLES & roles):
        qs = qs.filter(topic__in=topics)
    return qs


def access_alert(user, pk: int) -> Alert:  # noqa: ANN001
    alert = alerts_visible_to(user).filter(pk=pk).first()
    if alert is None:
        raise Http404
    return alert


def claimable_for(user) -> QuerySet[Alert]:  # noqa: ANN001
    """Open 求助 the user may claim, oldest first (the 抢单 list and the "take the next one" queue)."""
    if not rules.is_claimer(core_rules.roles_of(user)):
        return Alert.objects.none()
    return alerts_visible_to(user).filter(state=AlertState.OPEN).filter(
        **({"topic__in": specialities_of(user)} if specialities_of(user) else {})).order_by("fired_at", "pk")


def may_claim(user, alert: Alert, *, state: str | None = None) -> bool:  # noqa: ANN001
    """rules.can_claim for this user and alert (the region and speciality facts read here); ``state``: as if the
    alert were in that state (the claim's compare-and-set checks the real one)."""
    return rules.can_claim(core_rules.roles_of(user), state or alert.state,
                           in_region=rules.region_overlaps(role_codes(user, rules.CLAIM_ROLES), alert.region.code),
                           topic_ok=rules.topic_matches(specialities_of(user), alert.topic))


def delivery_counts(alert: Alert) -> dict[str, int]:
    rows = alert.deliveries.values_list("state").annotate(n=Count("pk")).order_by()
    out = {s.value: 0 for s in DeliveryState}
    out.update(dict(rows))
    return out


def inbox(*, visitor_id: str = "", citizen=None) -> QuerySet[Delivery]:  # noqa: ANN001
    """The published answers pushed to one villager (by their account, or the visitor id of their phone)."""
    q = Q(pk__in=[])
    if citizen is not None and getattr(citizen, "is_authenticated", False):
        q |= Q(citizen=citizen)
    if visitor_id:
        q |= Q(visitor_id=visitor_id)
    return (Delivery.objects.filter(q, alert__state=AlertState.PUBLISHED).exclude(state=DeliveryState.WAITING)
            .select_related("alert", "alert__answer").order_by("-alert__published_at", "-pk"))


def access_delivery(token: str) -> Delivery:
    """A delivery by the unguessable token of its link (the SMS link); 404 before it is pushed."""
    d = (Delivery.objects.filter(token=token, alert__state=AlertState.PUBLISHED).exclude(state=DeliveryState.WAITING)
         .select_related("alert", "alert__answer").first())
    if d is None:
        raise Http404
    return d


def published_alert(pk: int) -> Alert:
    """A published 求助 (its answer is public)."""
    alert = Alert.objects.filter(pk=pk, state=AlertState.PUBLISHED).select_related("answer").first()
    if alert is None:
        raise Http404
    return alert


def rules_for(user) -> QuerySet[AlertRule]:  # noqa: ANN001
    if not rules.can_edit_rules(core_rules.roles_of(user)):
        return AlertRule.objects.none()
    return AlertRule.objects.order_by("pk")


# --- 普法资源库 and 以案释法 Top 10 -------------------------------------------------------------------------------
def published_items(*, audience: str = "", topic: str = "", kind: str = "") -> QuerySet[LibraryItem]:
    """What the public sees: published items only, filtered by audience, topic and kind (the
    tag lists are JSON arrays, matched as their JSON text so the same query runs on SQLite and PostgreSQL)."""
    qs = LibraryItem.objects.filter(state=ItemState.PUBLISHED)
    if audience:
        qs = qs.filter(tags__contains=f",a:{audience},")
    if topic:
        qs = qs.filter(tags__contains=f",t:{topic},")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-published_at", "-pk")


def published_item(pk: int) -> LibraryItem:
    item = LibraryItem.objects.filter(pk=pk, state=ItemState.PUBLISHED).prefetch_related("lessons", "pages").first()
    if item is None:
        raise Http404
    return item


def library_codes(user) -> list[str]:  # noqa: ANN001
    """The regions where the user holds a library role (rules.LIBRARY_ROLES); a membership of another kind (say as a
    county lawyer) widens nothing."""
    return role_codes(user, rules.LIBRARY_ROLES)


def library_for(user) -> QuerySet[LibraryItem]:  # noqa: ANN001
    """The items a staff user edits, drafts and unpublished included: every item for the bureau, their town's items
    for a 司法所 (a county-wide item is the bureau's); nothing for anyone else."""
    roles = core_rules.roles_of(user)
    if not core_rules.is_staff_member(user) or not rules.can_manage_library(roles):
        return LibraryItem.objects.none()
    qs = LibraryItem.objects.select_related("region").order_by("-created_at", "-pk")
    if rules.TOPTEN_ROLES & roles:
        return qs
    return qs.filter(region_q(user, codes=library_codes(user)))


def item_in_jurisdiction(user, item: LibraryItem) -> bool:  # noqa: ANN001
    """The fact rules.can_edit_item needs: ``item`` is one of :func:`library_for` ``user``."""
    if rules.TOPTEN_ROLES & core_rules.roles_of(user):
        return True
    code = item.region.code if item.region_id else ""
    return bool(code) and holds_role_in(user, rules.LIBRARY_ROLES, code)


def managed_item(user, pk: int) -> LibraryItem:  # noqa: ANN001
    item = library_for(user).prefetch_related("lessons", "pages").filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


def open_nomination(pk: int) -> Nomination:
    """A nomination of a published case (what a citizen may vote for)."""
    n = Nomination.objects.filter(pk=pk, item__state=ItemState.PUBLISHED).select_related("item").first()
    if n is None:
        raise Http404
    return n


def nominations_of(year: int) -> list[Nomination]:
    """The year's nominations of published cases, tallied from their rows (:func:`_tallied`) — the ranking never
    rests on the cached counters."""
    return list(_tallied(Nomination.objects.filter(year=year, item__state=ItemState.PUBLISHED)
                         .select_related("item")).order_by("pk"))


def top_ten_years() -> list[int]:
    return sorted(set(Nomination.objects.filter(item__state=ItemState.PUBLISHED).values_list("year", flat=True)),
                  reverse=True)


def _tallied(qs: QuerySet[Nomination]) -> QuerySet[Nomination]:
    """Each nomination with ``vote_count`` (its Vote rows), ``jury_mean`` and ``jury_count`` (its JuryScore rows)."""
    votes = Vote.objects.filter(nomination=OuterRef("pk")).order_by().values("nomination").annotate(n=Count("pk"))
    jury = JuryScore.objects.filter(nomination=OuterRef("pk")).order_by().values("nomination")
    return qs.annotate(vote_count=Coalesce(Subquery(votes.values("n")), 0),
                       jury_mean=Subquery(jury.annotate(m=Avg("score")).values("m")),
                       jury_count=Coalesce(Subquery(jury.annotate(n=Count("pk")).values("n")), 0))


def nominations_managed(user, *, year: int | None = None) -> QuerySet[Nomination]:  # noqa: ANN001
    """Every nomination (tallied from its rows), for the bureau (who nominates) and the jury (who scores);
    nothing for anyone else."""
    roles = core_rules.roles_of(user)
    if not core_rules.is_staff_member(user) or not (rules.TOPTEN_ROLES | rules.JURY_ROLES) & roles:
        return Nomination.objects.none()
    qs = Nomination.objects.select_related("item")
    if year is not None:
        qs = qs.filter(year=year)
    return _tallied(qs).order_by("-year", "pk")


def managed_nomination(user, pk: int) -> Nomination:  # noqa: ANN001
    n = nominations_managed(user).filter(pk=pk).first()
    if n is None:
        raise Http404
    return n


def jury_scores_by(user) -> dict[int, float]:  # noqa: ANN001
    """{nomination id: score} the jury member ``user`` gave."""
    return dict(JuryScore.objects.filter(juror=user).values_list("nomination_id", "score"))


# --- 为你推荐 (the feed) and the readers of a topic -------------------------------------------------------------
def reads_of(*, visitor_id: str = "", citizen=None, since=None) -> QuerySet[ItemRead]:  # noqa: ANN001
    """One person's own item reads (by their account and/or the visitor id of their phone), newest first."""
    q = Q(pk__in=[])
    if citizen is not None and getattr(citizen, "is_authenticated", False):
        q |= Q(citizen=citizen)
    if visitor_id:
        q |= Q(visitor_id=visitor_id)
    qs = ItemRead.objects.filter(q)
    return (qs.filter(at__gte=since) if since is not None else qs).order_by("-at", "-pk")


def read_counts(since, until) -> dict[tuple[int, str], int]:  # noqa: ANN001
    """{(item id, town code): reads in [since, until)} of published items (one GROUP BY)."""
    rows = (ItemRead.objects.filter(at__gte=since, at__lt=until, item__state=ItemState.PUBLISHED)
            .values_list("item_id", "town_code").annotate(n=Count("pk")).order_by())
    return {(item, town): n for item, town, n in rows}


def topic_readers(topic: str, since, until, *, town_code: str = "") -> list[dict]:  # noqa: ANN001
    """Everyone who read a library item on ``topic`` in [since, until) (in ``town_code`` when given): one dict per
    person in the shape of consultation.selectors.topic_askers (``key`` ``c:<citizen id>`` or ``v:<visitor id>``,
    the phone of the account when there is one, ``asked_at`` = their first read)."""
    qs = ItemRead.objects.filter(item__tags__contains=f",t:{topic},", at__gte=since, at__lt=until)
    if town_code:
        qs = qs.filter(town_code=town_code)
    out: dict[str, dict] = {}
    for visitor_id, citizen_id, at in qs.order_by("at", "pk").values_list("visitor_id", "citizen_id", "at"):
        key = f"c:{citizen_id}" if citizen_id else f"v:{visitor_id}"
        if key not in out and (citizen_id or visitor_id):
            out[key] = {"key": key, "citizen_id": citizen_id, "visitor_id": visitor_id, "conversation_token": "",
                        "phone": "", "asked_at": at}
    from xiangzhi.core.models import User

    phones = dict(User.objects.filter(pk__in=[a["citizen_id"] for a in out.values() if a["citizen_id"]])
                  .values_list("pk", "phone"))
    for a in out.values():
        a["phone"] = phones.get(a["citizen_id"]) or ""
    return list(out.values())
