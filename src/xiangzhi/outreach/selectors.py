"""Every scoped read of 精准普法: which 求助 a lawyer sees (region AND declared specialities), the inbox of a
villager, the push states staff see."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from xiangzhi.core import rules as core_rules
from xiangzhi.core.selectors import jurisdiction_codes

from . import rules
from .enums import AlertState, DeliveryState
from .models import Alert, AlertRule, Delivery, Speciality


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
    qs = Alert.objects.filter(_overlap_q(jurisdiction_codes(user))).select_related("region", "claimed_by", "rule")
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
                           in_region=rules.region_overlaps(jurisdiction_codes(user), alert.region.code),
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
