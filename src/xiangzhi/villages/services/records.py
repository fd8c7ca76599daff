"""How every step of a village's creation is recorded: :func:`record` writes the audit row (attested by the ledger
through core's audit sink), the archive's timeline event and its ledger leaf, and queues the notifications, in the
caller's transaction. :func:`move_stage` is the one way a village's stage changes (the table in enums)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict
from xiangzhi.core.models import Region, User
from xiangzhi.ledger import services as ledger
from xiangzhi.ledger.registry import register_kind

from ..enums import LADDER, STAGE_TRANSITIONS, EventKind, Stage, TitleState
from ..models import CreationEvent, CreationRecord

EVENT_REF = "villages.creationevent"


def event_payload(event: CreationEvent) -> dict[str, Any]:
    """The ledger leaf of one archive event (no personal data: ids, levels, scores, hashes)."""
    return {"record": event.record_id, "event": str(event.kind), "at": ledger.iso_time(event.at),
            "actor_id": event.actor_id, "payload": ledger.plain_json(event.payload)}


def _recompute(ref_id: str) -> dict[str, Any] | None:
    event = CreationEvent.objects.filter(pk=ref_id).first()
    return event_payload(event) if event is not None else None


register_kind("villages.*", recompute=_recompute)


def record(rec: CreationRecord, kind: EventKind, payload: dict[str, Any], *, actor: User | None, action: str,
           notify: Iterable[core.Message] = ()) -> CreationEvent:
    """Record one step of ``rec``'s creation — the one way this app writes its history. In the caller's
    transaction: the audit row ``action`` (and its ledger leaf), the archive event ``kind`` with ``payload`` and its
    ledger leaf, then the in-app notices ``notify`` (each once by its dedupe key)."""
    core.audit(action, actor=actor, obj=rec, region_code=rec.region.code, after=payload)
    event = CreationEvent.objects.create(
        record=rec, kind=kind, actor=actor if actor is not None and actor.pk else None,
        actor_label=(actor.display_name or actor.username) if actor is not None else "系统", payload=payload,
        at=timezone.now())
    ledger.append_entries([ledger.Entry(f"villages.{kind}", event_payload(event), EVENT_REF, str(event.pk),
                                        f"villages.record:{rec.pk}")])
    core.notify_users_once(notify)
    return event


def record_of(village: Region) -> CreationRecord:
    """The creation record of ``village`` (a village or community), made on first use."""
    if village.level != "village":
        raise Conflict("NOT_A_VILLAGE", "只有村（社区）才能创建民主法治村（社区）。", {"code": village.code})
    rec, _ = CreationRecord.objects.get_or_create(region=village)
    return rec


def lock(rec: CreationRecord) -> CreationRecord:
    return CreationRecord.objects.select_for_update().select_related("region").get(pk=rec.pk)


def move_stage(rec: CreationRecord, to: str) -> None:
    """Move a locked record to stage ``to`` if the table allows it (saved with the caller's other fields)."""
    if to not in STAGE_TRANSITIONS[rec.stage]:
        raise Conflict("STAGE_NOT_ALLOWED", f"当前处于“{Stage(rec.stage).label}”阶段，不能进入“{Stage(to).label}”阶段。",
                       {"stage": rec.stage, "to": to})
    rec.stage = to
    rec.updated_at = timezone.now()
    rec.save(update_fields=["stage", "updated_at"])


def refresh_highest(rec: CreationRecord) -> None:
    """Keep ``highest_level`` equal to the highest title ``rec`` holds."""
    held = set(rec.titles.filter(state=TitleState.HELD).values_list("level", flat=True))
    rec.highest_level = next((lv for lv in reversed(LADDER) if lv in held), "")
    rec.save(update_fields=["highest_level"])
