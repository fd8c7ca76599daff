"""The audience of a 求助 (everyone who asked about its topic, or read a library item on it, in its window) and the push of the published answer:
each member once (the constraint outreach_delivery_once; the SMS once by its dedupe key), whatever is re-run."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from xiangzhi.consultation import selectors as consultation
from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict
from xiangzhi.core.models import Notification

from .. import selectors
from ..enums import AlertState, DeliveryState
from ..models import Alert, Delivery


def sync_audience(alert: Alert, *, since: dt.datetime, until: dt.datetime) -> int:
    """Add everyone who asked about the alert's topic, or read a published library item tagged with it (in its
    scope) in [since, until) to its audience, once each (an asker's row wins over the same person's read).
    Returns the audience's size. Side effects: Delivery rows (waiting), inserted skipping those already there."""
    askers = consultation.topic_askers(alert.topic, since, until, town_code=alert.scope)
    asked = {a["key"] for a in askers}
    askers += [r for r in selectors.topic_readers(alert.topic, since, until, town_code=alert.scope)
               if r["key"] not in asked]
    known = set(alert.deliveries.values_list("recipient_key", flat=True))
    rows = [Delivery(alert=alert, recipient_key=a["key"], citizen_id=a["citizen_id"], visitor_id=a["visitor_id"] or "",
                     conversation_token=a["conversation_token"] or "", phone=a["phone"] or "",
                     token=secrets.token_urlsafe(18), asked_at=a["asked_at"])
            for a in askers if a["key"] not in known]
    if rows:
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return alert.deliveries.count()


def inbox_link(delivery: Delivery) -> str:
    return reverse("outreach:delivery", args=[delivery.token])


def push(alert: Alert) -> int:
    """Push a published answer to every member of the audience not yet reached: an inbox entry on the public site,
    plus an SMS with the link when a phone is known, plus an in-app notice for a citizen account. Idempotent: a
    second run reaches nobody twice. Returns the number reached by this call.

    Side effects: Delivery.state waiting → queued (an SMS waits in the outbox) or sent (inbox only); outbox rows."""
    if alert.state != AlertState.PUBLISHED:
        raise Conflict("NOT_PUBLISHED", "解答尚未发布，不能推送。")
    reached = 0
    now = timezone.now()
    with transaction.atomic():
        todo = list(Delivery.objects.select_for_update(of=("self",)).filter(alert=alert, state=DeliveryState.WAITING)
                    .select_related("citizen"))
        sms, notes = [], []
        body = f"【乡治·精准普法】您关心的“{alert.topic}”问题，律师已录制解答，请点击收听。"
        for d in todo:
            key = f"outreach:push:{alert.pk}:{d.pk}"
            if d.phone:
                sms.append(core.Sms(d.phone, body, inbox_link(d), key))
                d.sms_key, d.state = key, DeliveryState.QUEUED
            else:
                d.state = DeliveryState.SENT
            if d.citizen is not None:
                notes.append(core.Message(d.citizen, "律师解答", body, inbox_link(d), f"{key}:inbox"))
            d.queued_at = now
        core.enqueue_sms_once(sms)
        core.notify_users_once(notes)
        Delivery.objects.bulk_update(todo, ["state", "sms_key", "queued_at"])
        reached = len(todo)
    return reached


def refresh_sent() -> int:
    """Deliveries whose SMS the outbox has sent become ``sent`` (run by ``runperiodic``). Returns how many."""
    queued = dict(Delivery.objects.filter(state=DeliveryState.QUEUED).exclude(sms_key="")
                  .values_list("sms_key", "pk")[:5000])
    sent = Notification.objects.filter(dedupe_key__in=list(queued), status="sent").values_list("dedupe_key", flat=True)
    ids = [queued[k] for k in sent]
    return Delivery.objects.filter(pk__in=ids, state=DeliveryState.QUEUED).update(state=DeliveryState.SENT)


def mark_opened(delivery: Delivery) -> Delivery:
    """The villager opened (played) the answer: the delivery becomes ``opened`` (once; a POST from the page)."""
    if delivery.state == DeliveryState.WAITING:
        raise Conflict("NOT_PUSHED", "该解答尚未推送。")
    Delivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(state=DeliveryState.OPENED,
                                                                            opened_at=timezone.now())
    delivery.refresh_from_db(fields=["state", "opened_at"])
    return delivery


