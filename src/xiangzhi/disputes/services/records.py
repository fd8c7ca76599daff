"""How every change of a case is recorded: :func:`record` writes the audit row, the timeline event and its ledger
leaves, and queues the notifications, in the caller's transaction; :class:`Batch` does the same for many changes at
once (the demo year, the import, the services that move many cases). The other service modules call them and nothing
else for their history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from xiangzhi.core import services as core
from xiangzhi.core.enums import Role, UserKind
from xiangzhi.core.models import Organisation, User
from xiangzhi.ledger import services as ledger

from .. import attestation
from ..enums import (
    CaseStage,
    EventKind,
)
from ..models import (
    Case,
    MediationSession,
    Party,
    TimelineEvent,
)

S = CaseStage


# ----------------------------------------------------------------------------------------------------------------
# Notices a change queues
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ToParties:
    """An SMS to every party with a phone: the case number once, ``text``, and the public link; sent once per
    ``key``. ``parties``: the case's parties with their persons, when the caller holds them (no query)."""
    text: str
    key: str
    parties: list[Party] | None = None


@dataclass(frozen=True)
class ToOrganisation:
    """An in-app message (and SMS) to the mediators of ``org``: a case waits for them."""
    org: Organisation
    subject: str


@dataclass(frozen=True)
class ToUser:
    """An in-app message (and SMS) to one staff user about the case; sent once per ``key`` when one is given.
    ``link``: where the message leads (default: the case in the workbench)."""
    user: User
    subject: str
    body: str
    key: str | None = None
    link: str = ""


Notice = ToParties | ToOrganisation | ToUser
_UNSET: Any = object()


def record(case: Case, kind: EventKind, payload: dict[str, Any], *, actor: User | None, action: str,
           before: Any = None, after: Any = _UNSET, note: str = "", text: str = "", public: bool = True,
           stage_from: str = "", stage_to: str = "", at: dt.datetime | None = None, attest: bool = True,
           notify: Iterable[Notice] = (), audits: Iterable[dict[str, Any]] = ()) -> TimelineEvent:
    """Record one change of a case — the one way every service of this app writes its history. In the caller's
    transaction, all or nothing:

    1. the audit row ``action`` (core; ``after`` defaults to ``payload``), with ``audits`` (rows the caller gathered,
       e.g. the persons of a new case) written in the same INSERT;
    2. the timeline event ``kind`` with ``payload`` (the public history when ``public``);
    3. its ledger leaf (区块链存证), and the case's state leaf when its attested fields changed (``attest=False``: the
       caller knows they did not, or appends the state itself);
    4. the notifications ``notify``, queued (delivered by the worker after commit).
    """
    core.audit_many([*audits, {"action": action, "actor": actor, "obj": case, "region_code": case.region_code,
                               "before": before, "after": payload if after is _UNSET else after, "note": note}])
    event = TimelineEvent(
        case=case, kind=kind, at=at or timezone.now(), actor=actor if actor is not None and actor.pk else None,
        actor_label=_actor_label(actor), stage_from=stage_from, stage_to=stage_to, text=text[:300], public=public,
        payload={"case": case.number, **payload},
    )
    event.save()
    attestation.append_event(event)
    if attest:
        attestation.attest_case(case.pk)
    _send(case, notify)
    return event


# ----------------------------------------------------------------------------------------------------------------
# Many changes at once
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class _Recorded:
    """One change collected by :class:`Batch`: the arguments of :func:`record`, and the case's attested fields at the
    time of the change when the batch holds them (a case it creates)."""
    case: Case
    kind: EventKind
    payload: dict[str, Any]
    actor: User | None
    action: str | None
    before: Any
    after: Any
    note: str
    text: str
    public: bool
    stage_from: str
    stage_to: str
    at: dt.datetime
    attest: bool
    notify: tuple[Notice, ...]
    audits: tuple[dict[str, Any], ...]
    actor_label: str
    fields: attestation.CaseFields | None


class Batch:
    """:func:`record` for many changes of many cases, for the writers of cases in bulk (the demo year, the import of
    historical cases) and the services that move many cases at once. ``record()`` collects a change as it happens (the
    cases may not be saved yet); :meth:`write` writes them all, in the caller's transaction: the audit rows in one
    INSERT, the timeline events in one INSERT, their ledger leaves in ONE append, in the order one :func:`record` per
    change appends them (each change's audit rows, its event, then its case's state leaf when the attested fields
    changed), then the queued notifications. Same rows, same leaves, same payloads as one ``record()`` each.

    The case's state leaf: a case the batch creates (:meth:`created`, with its parties) has its attested fields taken
    from memory at each change and a leaf appended wherever they differ from the case's previous change in the batch
    (its first state after its first event); a case saved before the batch has its state read from its row at
    :meth:`write` (under the ledger's lock) and appended after its last change in the batch, when it differs from its
    latest state leaf."""

    def __init__(self) -> None:
        self.items: list[_Recorded] = []
        self._parties: dict[int, list[Party]] = {}  # id(case) → its parties, for the cases the batch creates
        # mediation records of the cases the batch creates, written with them (id(case) → (session, event payload))
        self._sessions: dict[int, list[tuple[MediationSession, tuple[dict[str, Any], ...]]]] = {}

    def created(self, case: Case, parties: list[Party]) -> None:
        """``case`` is being created with ``parties`` (their persons in memory): its changes are attested from memory,
        and its first state needs no look at the ledger."""
        self._parties[id(case)] = parties

    def parties_of(self, case: Case) -> list[Party] | None:
        """The parties of a case the batch creates (None for a saved case)."""
        return self._parties.get(id(case))

    def hold_session(self, session: MediationSession, *refs: dict[str, Any]) -> None:
        """A mediation record of a case the batch creates (``mediation.record_sessions``): its row is written by
        :meth:`write`, once the case is saved, and its id put under "session" into ``refs`` (the event's payload,
        the audit row's after)."""
        self._sessions.setdefault(id(session.case), []).append((session, refs))

    def has_session(self, case: Case) -> bool:
        """A case the batch creates has a mediation record held for it (the guard of ``transitions.advance``)."""
        return bool(self._sessions.get(id(case)))

    def record(self, case: Case, kind: EventKind, payload: dict[str, Any], *, actor: User | None, action: str | None,
               before: Any = None, after: Any = _UNSET, note: str = "", text: str = "", public: bool = True,
               stage_from: str = "", stage_to: str = "", at: dt.datetime | None = None, attest: bool = True,
               notify: Iterable[Notice] = (), audits: Iterable[dict[str, Any]] = (),
               actor_label: str = "") -> None:
        """Collect one change, with :func:`record`'s arguments. ``action=None``: no audit row of its own (a historical
        case imported: the import job's audit row stands for its cases); ``actor_label``: the event's label when
        it is not the actor's (e.g. "历史导入")."""
        parties = self._parties.get(id(case))
        self.items.append(_Recorded(
            case, kind, payload, actor, action, before, after, note, text, public, stage_from, stage_to,
            at or timezone.now(), attest, tuple(notify), tuple(audits), actor_label,
            attestation.case_fields(case, parties) if attest and parties is not None else None))

    def write(self, *, attest: bool = True, notify: bool = True) -> list[TimelineEvent]:
        """Write what was collected (every case saved by now), in the caller's transaction; returns the events in
        order. ``attest=False``: no ledger leaf now — for a writer of many rows that attests them at the end of its
        transaction (:func:`attest_written`); then no change may have an audit row. ``notify=False``: the
        notifications are not queued (cases of the past)."""
        items, self.items = self.items, []
        held, self._sessions = [pair for pairs in self._sessions.values() for pair in pairs], {}
        if held:
            MediationSession.objects.bulk_create([session for session, _ in held])
            for session, refs in held:
                for ref in refs:
                    ref["session"] = session.pk
        if not items:
            return []
        if not attest and any(item.action or item.audits for item in items):
            raise ValueError("the audit rows of a batch are attested with it")
        rows = core.audit_many([
            row for item in items for row in (*item.audits, *([{
                "action": item.action, "actor": item.actor, "obj": item.case, "region_code": item.case.region_code,
                "before": item.before, "after": item.payload if item.after is _UNSET else item.after,
                "note": item.note}] if item.action else []))], sinks=False)
        events = TimelineEvent.objects.bulk_create([TimelineEvent(
            case=item.case, kind=item.kind, at=item.at, actor=item.actor if item.actor is not None and item.actor.pk
            else None, actor_label=item.actor_label or _actor_label(item.actor), stage_from=item.stage_from,
            stage_to=item.stage_to, text=item.text[:300], public=item.public,
            payload={"case": item.case.number, **item.payload}) for item in items])
        if attest:
            ledger.append_entries(_entries(items, rows, events))
        if notify:
            for item in items:
                _send(item.case, item.notify)
        return events


def _entries(items: list[_Recorded], rows: list[Any], events: list[TimelineEvent]) -> list[ledger.Entry]:
    """The ledger leaves of a batch, in the order one ``record()`` per change appends them."""
    saved = {item.case.pk for item in items if item.attest and item.fields is None}
    last_of = {item.case.pk: i for i, item in enumerate(items) if item.case.pk in saved}
    states = attestation.changed_states(saved) if saved else {}
    previous: dict[int, attestation.CaseFields] = {}
    entries: list[ledger.Entry] = []
    rows_left = iter(rows)
    for i, (item, event) in enumerate(zip(items, events, strict=True)):
        entries += [ledger.audit_entry(next(rows_left)) for _ in range(len(item.audits) + bool(item.action))]
        entries.append(attestation.event_entry(event))
        if item.fields is not None:
            if previous.get(item.case.pk) != item.fields:
                previous[item.case.pk] = item.fields
                entries.append(attestation.fields_entry(item.case.pk, item.fields))
        elif last_of.get(item.case.pk) == i and item.case.pk in states:
            entries.append(states[item.case.pk])
    return entries


def attest_written(event_ranges: Iterable[tuple[int, int]], *, kind: EventKind, payload: dict[str, Any],
                   chunk: int = 2000) -> int:
    """Append the ledger leaves of events a :class:`Batch` wrote with ``attest=False`` — each event's leaf, then its
    case's state leaf (read from the rows) — for a writer of many rows that holds the ledger's lock (which serialises
    every appender in the county) only for this last phase of its transaction. The events are read back by id range
    (``event_ranges``, as the batches returned them), ``chunk`` at a time, so memory stays flat; of each range only
    the events of ``kind`` whose payload holds ``payload`` are taken (another writer's may fall inside it).
    Returns the number of leaves appended."""
    appended = 0
    for lo, hi in event_ranges:
        last = lo - 1
        while last < hi:
            events = list(TimelineEvent.objects.filter(id__gt=last, id__lte=hi, kind=kind).order_by("id")[:chunk])
            if not events:
                break
            last = events[-1].pk
            mine = [e for e in events if all((e.payload or {}).get(k) == v for k, v in payload.items())]
            states = attestation.state_entries(e.case_id for e in mine)  # each case's attested fields
            entries = []
            for e in mine:
                entries.append(attestation.event_entry(e))
                if e.case_id in states:
                    entries.append(states.pop(e.case_id))
            if entries:
                ledger.append_entries(entries)
                appended += len(entries)
    return appended


def _send(case: Case, notify: Iterable[Notice]) -> None:
    for notice in notify:
        if isinstance(notice, ToParties):
            _notify_parties(case, notice.text, key=notice.key, parties=notice.parties)
        elif isinstance(notice, ToOrganisation):
            _notify_org(case, notice.org, notice.subject)
        else:
            core.notify_user(notice.user, subject=notice.subject, body=notice.body,
                             link=notice.link or f"/cases/workbench/{case.pk}/", dedupe_key=notice.key)


def _actor_label(actor: User | None) -> str:
    if actor is None:
        return "系统"
    if actor.kind == UserKind.CITIZEN:
        return "当事人"
    return actor.display_name or actor.username


def _notify_parties(case: Case, text: str, *, key: str, parties: list[Party] | None = None) -> None:
    """An SMS to every party with a phone: the case number once, what happened, one 。, and the public link.
    ``parties``: the case's parties with their persons, when the caller holds them (one query less); then the
    messages are queued with one SELECT and one INSERT."""
    body = f"【乡治·桐解码】您的纠纷案件{case.number}{text.rstrip('。.；;，, ')}。"
    if parties is not None:
        core.enqueue_sms_once(core.Sms(party.person.phone, body, case.public_url, f"case:{case.pk}:{key}:{party.pk}")
                              for party in sorted(parties, key=lambda p: (p.order, p.pk))
                              if party.person_id and party.person.phone)
        return
    for party in case.parties.select_related("person"):
        if party.person_id and party.person.phone:
            core.enqueue_sms(party.person.phone, body, link=case.public_url,
                             dedupe_key=f"case:{case.pk}:{key}:{party.pk}")


def _notify_org(case: Case, org: Organisation, subject: str) -> None:
    members = User.objects.filter(memberships__organisation=org, memberships__is_active=True,
                                  memberships__role=Role.MEDIATOR).distinct()[:20]
    body = f"{subject}：{case.dispute_type.name}，{case.region.display_name}。"
    core.notify_users_once(core.Message(user, subject, body, f"/cases/workbench/{case.pk}/",
                                        f"case:{case.pk}:org:{org.pk}:{case.stage}:{user.pk}") for user in members)
