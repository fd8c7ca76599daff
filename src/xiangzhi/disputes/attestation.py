"""What the tamper-evident ledger (区块链存证) attests of a case, and how to recompute it (the ledger's registry).

The ledger knows nothing of cases: this module names their leaves (``CASE_REF``, ``CASE_EVENT_REF``, the
``case.<event kind>`` kinds and the ``disputes.case:<id>`` groups) and registers how to recompute them.

Timeline events are attested as they are written (``services.records.record`` → :func:`append_event`; its batch form,
``services.records.Batch``, appends many with :func:`event_entry` in the same order): :func:`recompute_event` rebuilds
an event's leaf from its row (and, for an attachment, from the file on disk). The case row and its parties change over the case's
life, so the ledger also holds the case's *state*: a leaf of kind ``state.case`` appended by ``services.records.record``
whenever an event leaves the attested fields different from the case's latest state leaf (creation, every stage
change, a consent answer, the agreement…), in the same transaction. ``xiangzhi ledger verify`` recomputes every
case's state from the live rows (:func:`case_states`, a chunk of cases in three queries) and compares it with the
latest state leaf: a field edited in the database behind the application's back is named, case by case.

The state (schema 1) holds no personal data in clear:

* ``case_id``, ``number``, ``stage`` (the case number is public, on the party's slip and SMS);
* ``description`` (申请事实) and ``request`` (申请事项): keyed digests (HMAC-SHA256 with the blind-index key), so a
  short text cannot be guessed from the log;
* ``agreement_text``: the SHA-256 of the agreement text — the digest the parties see on their status page and
  that every signature and seal event carries; ``agreement_amount`` as a decimal string;
* ``parties`` in order: role, kind, consent, and keyed digests of the person's name and 身份证号 (or the
  organisation's name). Phones and addresses are contact details that core fills in for a known person without a
  case event (``core.services.create_person``): they are not part of the case's state.

Empty texts give ``""`` rather than a digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from xiangzhi.core import crypto
from xiangzhi.ledger import services as ledger
from xiangzhi.ledger.registry import register_kind, register_state

from .enums import EventKind
from .models import Attachment, Case, Party, TimelineEvent

# Case events (桐解码): every TimelineEvent written by ``services.records.record`` — creation, each transition, each
# attachment (with the SHA-256 of the file), each signature, the seal… — becomes a leaf of kind "case.<event kind>",
# grouped under its case so that ``ledger.bundle_for_ref(CASE_REF, [case.pk])`` finds them.
CASE_EVENT_REF = "disputes.timelineevent"
CASE_REF = "disputes.case"


def event_payload(event: Any, *, file_digest_override: str | None | type[Ellipsis] = ...) -> dict[str, Any]:
    """The leaf payload of a case timeline event: all of its fields."""
    payload = ledger.plain_json(event.payload) or {}
    if file_digest_override is not ...:
        payload = {**payload, "sha256": file_digest_override}
    return {
        "id": event.pk,
        "case_id": event.case_id,
        "event": event.kind,
        "at": ledger.iso_time(event.at),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "stage_from": event.stage_from,
        "stage_to": event.stage_to,
        "text": event.text,
        "public": event.public,
        "payload": payload,
    }


def case_group(case_id: int | str, *, public: bool = True) -> str:
    """The ``group`` of a case's leaves; internal (non-public) events get their own group, left out of bundles
    handed to the parties."""
    return f"{CASE_REF}:{case_id}" if public else f"{CASE_REF}:{case_id}/internal"


def event_entry(event: Any) -> ledger.Entry:
    """The leaf of one saved case timeline event (for ``ledger.append_entries``)."""
    return ledger.Entry(f"case.{event.kind}", event_payload(event), CASE_EVENT_REF, str(event.pk),
                        case_group(event.case_id, public=event.public))


def append_event(event: Any) -> None:
    """Attest one case timeline event (called by ``services.records.record`` in its transaction)."""
    ledger.append_entries([event_entry(event)])


def recompute_event(ref_id: str) -> dict[str, Any] | None:
    """The leaf payload of a timeline event from its row; an attachment's file must still hash to the digest recorded
    when it was uploaded (and the Attachment row too)."""
    event = TimelineEvent.objects.filter(pk=ref_id).first()
    if event is None:
        return None
    attachment_id = (event.payload or {}).get("attachment")
    if event.kind != EventKind.ATTACHMENT or attachment_id is None:
        return event_payload(event)
    att = Attachment.objects.filter(pk=attachment_id).first()
    digest = None
    if att is not None:
        try:
            with att.file.open("rb") as fh:
                h = hashlib.sha256()
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
                digest = h.hexdigest()
        except (OSError, ValueError):
            digest = None
        if digest is not None and att.sha256 != digest:
            digest = f"row:{att.sha256} file:{digest}"
    return event_payload(event, file_digest_override=digest)


register_kind("case.*", recompute=recompute_event)

CASE_STATE_KIND = "state.case"
CASE_STATE_REF = "disputes.case.state"

# (role, kind, consent, person name, 身份证号, organisation name) of one party, in the case's party order
PartyState = tuple[str, str, str, str, str, str]


def _keyed(value: str, field: str) -> str:
    return crypto.blind_index(value, purpose=f"ledger.case.{field}") if value else ""


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest() if value else ""


def case_state_payload(*, case_id: int, number: str, stage: str, description: str, request: str,
                       agreement_text: str, agreement_amount: Decimal | None,
                       parties: Iterable[PartyState]) -> dict[str, Any]:
    """The state leaf payload of a case from its field values (also used by bulk writers that hold them)."""
    return {
        "case_id": case_id,
        "number": number,
        "stage": stage,
        "description": _keyed(description, "description"),
        "request": _keyed(request, "request"),
        "agreement_text": _sha256(agreement_text),
        "agreement_amount": None if agreement_amount is None else f"{Decimal(agreement_amount):.2f}",
        "parties": [
            {"role": role, "kind": kind, "consent": consent, "name": _keyed(name, "party.name"),
             "id_number": _keyed(id_number, "party.id_number"), "org_name": _keyed(org_name, "party.org_name")}
            for role, kind, consent, name, id_number, org_name in parties
        ],
    }


def case_states(ref_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{case id: state}`` of the live cases among ``ref_ids``, read in three queries (cases, parties, persons)."""
    ids = [int(i) for i in ref_ids if str(i).isdigit()]
    if not ids:
        return {}
    parties: dict[int, list[PartyState]] = {}
    rows = (Party.objects.filter(case_id__in=ids).select_related("person").order_by("case_id", "order", "id")
            .only("case_id", "role", "kind", "consent", "org_name", "order", "person", "person__name",
                  "person__id_number"))
    for p in rows.iterator(chunk_size=2000):
        person = p.person
        parties.setdefault(p.case_id, []).append((p.role, p.kind, p.consent, person.name if person else "",
                                                  person.id_number if person else "", p.org_name))
    out = {}
    for pk, number, stage, description, request, agreement_text, amount in Case.objects.filter(pk__in=ids).values_list(
            "pk", "number", "stage", "description", "request", "agreement_text", "agreement_amount"):
        out[str(pk)] = case_state_payload(case_id=pk, number=number, stage=stage, description=description,
                                          request=request, agreement_text=agreement_text, agreement_amount=amount,
                                          parties=parties.get(pk, []))
    return out


def case_ids() -> Iterator[int]:
    """Every case id, streamed."""
    return Case.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=2000)


def _group(ref_id: str) -> str:
    return case_group(ref_id, public=False)  # left out of the bundles handed to the parties


def _label(payload: Mapping[str, Any]) -> str:
    return str(payload.get("number") or "")


register_state(CASE_STATE_KIND, ref_type=CASE_STATE_REF, snapshot=case_states, ids=case_ids, group=_group,
               label=_label)


def attest_case(case_id: int) -> None:
    """Append the case's state to the ledger if its attested fields changed since its latest state leaf (called by
    ``services.records.record`` in the transaction of every change)."""
    ledger.attest_state(CASE_STATE_KIND, [case_id])


def state_entries(case_ids: Iterable[int]) -> dict[int, ledger.Entry]:
    """The state leaves to append for these cases (bulk writers: one batch of queries), by case id."""
    return {int(e.ref_id): e for e in ledger.state_entries(CASE_STATE_KIND, case_ids)}


appending = ledger.appending  # collect a service call's leaves and append them as one batch, in order


# The attested fields of a case held in memory (number, stage, description, request, agreement text and amount, and
# its parties in order): what a batch writer records at each change, before the rows exist (services.records.Batch).
CaseFields = tuple[str, str, str, str, str, Decimal | None, tuple[PartyState, ...]]


def case_fields(case: Case, parties: Sequence[Party]) -> CaseFields:
    """The attested fields of ``case`` as they are in memory now, with ``parties`` (their persons in memory)."""
    ordered = sorted(parties, key=lambda p: (p.order, p.pk or 0))
    return (case.number, case.stage, case.description, case.request, case.agreement_text, case.agreement_amount,
            tuple((p.role, p.kind, p.consent, p.person.name if p.person else "",
                   p.person.id_number if p.person else "", p.org_name) for p in ordered))


def fields_entry(case_id: int, fields: CaseFields) -> ledger.Entry:
    """The state leaf of a case from its attested fields (:func:`case_fields`): the payload :func:`case_states`
    recomputes from the rows."""
    number, stage, description, request, agreement_text, agreement_amount, parties = fields
    return ledger.state_entry(CASE_STATE_KIND, case_id, case_state_payload(
        case_id=case_id, number=number, stage=stage, description=description, request=request,
        agreement_text=agreement_text, agreement_amount=agreement_amount, parties=parties))


def changed_states(case_ids: Iterable[int]) -> dict[int, ledger.Entry]:
    """The state leaves to append for these saved cases, read from their rows under the ledger's lock, by case id
    (a batch writer appends each after the case's last event)."""
    return {int(e.ref_id): e for e in ledger.changed_states(CASE_STATE_KIND, case_ids)}


def attest_new_case(case: Case, parties: Sequence[Party]) -> None:
    """Append the first state of a case just created, from the rows in memory (the case and its parties with their
    persons, as saved): a new case has no earlier state leaf to compare with, so nothing is read. The payload is the one
    :func:`case_states` recomputes from the rows."""
    ledger.append_entries([fields_entry(case.pk, case_fields(case, parties))])
