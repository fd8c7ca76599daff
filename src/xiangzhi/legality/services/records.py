"""How every change of a submission is recorded: :func:`record` writes the audit row (attested by the ledger through
core's audit sink), the submission's timeline event and its ledger leaf, and queues the notifications, in the
caller's transaction. The other service modules call it and nothing else for their history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from xiangzhi.core import services as core
from xiangzhi.core.models import User
from xiangzhi.ledger import services as ledger
from xiangzhi.ledger.registry import register_kind

from ..enums import EventKind
from ..models import Event, Submission

EVENT_REF = "legality.event"


def event_payload(event: Event) -> dict[str, Any]:
    """The ledger leaf of one timeline event (ids, states, digests: no document text)."""
    return {"submission": event.submission_id, "event": str(event.kind), "at": ledger.iso_time(event.at),
            "actor_id": event.actor_id, "payload": ledger.plain_json(event.payload)}


def _recompute(ref_id: str) -> dict[str, Any] | None:
    event = Event.objects.filter(pk=ref_id).first()
    return event_payload(event) if event is not None else None


register_kind("legality.*", recompute=_recompute)


def record(submission: Submission, kind: EventKind, payload: dict[str, Any], *, actor: User | None, action: str,
           at: dt.datetime | None = None, notify: Iterable[core.Message] = ()) -> Event:
    """Record one change of a submission — the one way this app writes its history. In the caller's transaction:
    the audit row ``action`` (and its ledger leaf), the timeline event ``kind`` with ``payload`` (dated ``at``, now
    by default) and its ledger leaf, then the in-app notices ``notify`` (each once by its dedupe key)."""
    core.audit(action, actor=actor, obj=submission, region_code=submission.region.code, after=payload)
    event = Event.objects.create(
        submission=submission, kind=kind, actor=actor if actor is not None and actor.pk else None,
        actor_label=(actor.display_name or actor.username) if actor is not None else "系统", payload=payload,
        at=at or timezone.now())
    ledger.append_entries([ledger.Entry(f"legality.{kind}", event_payload(event), EVENT_REF, str(event.pk),
                                        f"legality.submission:{submission.pk}")])
    core.notify_users_once(notify)
    return event
