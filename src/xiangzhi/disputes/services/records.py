"""How every change of a case is recorded: :func:`record` writes the audit row, the timeline event and its ledger
leaves, and queues the notifications, in the caller's transaction. The other service modules call it and nothing
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

from .. import attestation
from ..enums import (
    CaseStage,
    EventKind,
)
from ..models import (
    Case,
    Party,
    TimelineEvent,
)

S = CaseStage


# ----------------------------------------------------------------------------------------------------------------
# The ledger seam
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
    for notice in notify:
        if isinstance(notice, ToParties):
            _notify_parties(case, notice.text, key=notice.key, parties=notice.parties)
        elif isinstance(notice, ToOrganisation):
            _notify_org(case, notice.org, notice.subject)
        else:
            core.notify_user(notice.user, subject=notice.subject, body=notice.body,
                             link=notice.link or f"/cases/workbench/{case.pk}/", dedupe_key=notice.key)
    return event


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
