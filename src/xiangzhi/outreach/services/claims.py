"""抢单: a lawyer claims one 求助 with a compare-and-set (exactly one winner, the others refused at once), or takes
the next open one from a SKIP LOCKED queue; a claim carries a deadline after which ``runperiodic`` returns it to
the pool. Every claim, give-back and expiry is an event."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict, NotFound, ValidationFailed
from xiangzhi.core.models import User

from .. import rules, selectors
from ..enums import AlertState, EventKind
from ..models import Alert
from .records import record

ALREADY_CLAIMED = "已被其他律师抢先认领，请选择其他求助。"


def claim(alert: Alert, *, actor: User, now: dt.datetime | None = None) -> Alert:
    """Claim ``alert`` for ``actor``: ``UPDATE … SET state='claimed' … WHERE id = … AND state = 'open'``; zero rows
    means someone else was first (ALREADY_CLAIMED, 409). The actor must be a lawyer or legal worker whose region and
    specialities cover the 求助 (else 404: it does not exist for them).

    Side effects: Alert claimed_by/claimed_at/claim_deadline/state; a ``claimed`` event (audit, ledger)."""
    now = now or timezone.now()
    if not selectors.may_claim(actor, alert, state=AlertState.OPEN):  # who may; whether still open: the UPDATE
        raise NotFound("NOT_FOUND", "未找到该求助或无权查看。")
    deadline = now + dt.timedelta(hours=alert.rule.claim_hours)
    with transaction.atomic():
        won = Alert.objects.filter(pk=alert.pk, state=AlertState.OPEN).update(
            state=AlertState.CLAIMED, claimed_by=actor, claimed_at=now, claim_deadline=deadline)
        if not won:
            raise Conflict("ALREADY_CLAIMED", ALREADY_CLAIMED)
        alert.refresh_from_db()
        record(alert, EventKind.CLAIMED, {"claimed_by": actor.pk, "deadline": deadline.isoformat()}, actor=actor,
               action="outreach.claimed")
    return alert


def take_next(*, actor: User, now: dt.datetime | None = None) -> Alert | None:
    """Claim the oldest open 求助 the actor may claim (None when there is none). On PostgreSQL the candidate is
    locked with ``SELECT … FOR UPDATE SKIP LOCKED``, so many lawyers taking at once each get a different one; on
    SQLite (one writer at a time) a plain read, and the compare-and-set of :func:`claim` decides."""
    for _ in range(5):
        with transaction.atomic():
            qs = selectors.claimable_for(actor)
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            alert = qs.first()
            if alert is None:
                return None
            try:
                return claim(alert, actor=actor, now=now)
            except Conflict:
                continue
    return None


def release(alert: Alert, *, actor: User) -> Alert:
    """The claimant gives the claim back before answering; the 求助 is open again.
    Side effects: Alert state/claim fields; an ``unclaimed`` event."""
    if not rules.can_release(actor.pk, alert.state, alert.claimed_by_id):
        raise Conflict("NOT_YOUR_CLAIM", "只有认领人可以在答复前放弃认领。")
    with transaction.atomic():
        done = Alert.objects.filter(pk=alert.pk, state=AlertState.CLAIMED, claimed_by=actor).update(
            state=AlertState.OPEN, claimed_by=None, claimed_at=None, claim_deadline=None)
        if not done:
            raise Conflict("NOT_YOUR_CLAIM", "只有认领人可以在答复前放弃认领。")
        alert.refresh_from_db()
        record(alert, EventKind.RELEASED_CLAIM, {"by": actor.pk}, actor=actor, action="outreach.unclaimed")
    return alert


def expire_claims(*, now: dt.datetime | None = None) -> int:
    """Claims past their deadline without an answer go back to the pool (``runperiodic``); the lawyer is told.
    Each with a guarded UPDATE, so an answer submitted at the same instant wins over the expiry.
    Side effects: Alert state/claim fields; an ``expired`` event each; an in-app notice to the former claimant."""
    now = now or timezone.now()
    expired = 0
    for alert in Alert.objects.filter(state=AlertState.CLAIMED, claim_deadline__lt=now).select_related(
            "region", "claimed_by").order_by("claim_deadline")[:500]:
        lawyer = alert.claimed_by
        with transaction.atomic():
            done = Alert.objects.filter(pk=alert.pk, state=AlertState.CLAIMED, claim_deadline__lt=now).update(
                state=AlertState.OPEN, claimed_by=None, claimed_at=None, claim_deadline=None)
            if not done:
                continue
            alert.refresh_from_db()
            record(alert, EventKind.EXPIRED, {"was": lawyer.pk}, actor=None, action="outreach.claim_expired",
                   notify=[core.Message(lawyer, "认领已超时", f"您认领的“{alert.topic}”求助未在时限内答复，已退回抢单池。",
                                        f"/outreach/staff/{alert.pk}/", f"outreach:{alert.pk}:expired:{now.isoformat()}")])
        expired += 1
    return expired


def set_specialities(user: User, topics: list[str], *, actor: User) -> list[str]:
    """A lawyer or legal worker declares the topics they answer (their 抢单 list shows only these; none = every
    topic). Only for themselves. Side effects: Speciality rows replaced; one audit row."""
    from xiangzhi.consultation.retrieval import TOPICS
    from xiangzhi.core import rules as core_rules
    from xiangzhi.core import services as core_services

    from ..models import Speciality

    if actor.pk != user.pk or not rules.is_claimer(core_rules.roles_of(user)):
        raise NotFound("NOT_FOUND", "未找到该页面或无权操作。")
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        raise ValidationFailed("UNKNOWN_TOPIC", "没有这些主题：" + "、".join(unknown), {"topics": unknown})
    clean = sorted(set(topics))
    with transaction.atomic():
        Speciality.objects.filter(user=user).exclude(topic__in=clean).delete()
        Speciality.objects.bulk_create([Speciality(user=user, topic=t) for t in clean], ignore_conflicts=True)
        core_services.audit("outreach.specialities", actor=actor, obj=user, after={"topics": clean})
    user._xz_outreach_topics = set(clean)
    return clean
