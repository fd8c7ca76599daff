"""Which record each leaf kind attests, and how to rebuild its payload from the live record.

An app registers its kinds once, at import time of its ``services`` module (or ``apps.ready``)::

    from xiangzhi.ledger.registry import register_kind

    register_kind("case.created", recompute=lambda ref_id: _case_payload(Case.objects.filter(pk=ref_id).first()))

``recompute(ref_id)`` returns the payload the leaf was made from (the same dict that was passed to
``services.append_leaf``, re-read from the database and from files on disk), or ``None`` when the record no longer
exists. A kind ending in ``.*`` matches every kind with that prefix. ``xiangzhi ledger verify`` compares the canonical
serialisation of the recomputed payload with the stored leaf, byte for byte.

A leaf attests a record as it was when the leaf was appended; a later change of the record that leaves no new leaf is
found by recomputing that one leaf. Records whose fields legitimately change over their life (a case: its stage, its
agreement…) also register a *state* with :func:`register_state`: the app appends a leaf of the record's current state
(``services.attest_state``) whenever it changes it, and ``xiangzhi ledger verify`` streams over every live record,
recomputes its state and compares it with the latest state leaf of that record — so a field edited in the database
behind the application's back is named, record by record and field by field::

    register_state("state.case", ref_type="disputes.case.state", snapshot=case_states, ids=case_ids)

``snapshot(ref_ids)`` returns ``{ref_id: payload}`` of the live records among ``ref_ids`` (a chunk: a few queries
for the whole chunk, never one per record); ``ids()`` streams the ids of every live record. Payloads must not hold
personal data in clear (names, 身份证号, phones): they carry keyed digests of it.

The ledger never imports the apps whose records it attests at module import time: :func:`autodiscover` imports
``xiangzhi.<app>.services`` of every installed xiangzhi app so that their registrations run before a verification.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Recompute = Callable[[str], Mapping[str, Any] | None]
Snapshot = Callable[[Sequence[str]], Mapping[str, Mapping[str, Any]]]

_KINDS: dict[str, Recompute] = {}


@dataclass(frozen=True)
class StateKind:
    """How to rebuild the current state of the records of one ``ref_type`` (see :func:`register_state`)."""

    kind: str
    ref_type: str
    snapshot: Snapshot
    ids: Callable[[], Iterable[Any]]
    group: Callable[[str], str]
    label: Callable[[Mapping[str, Any]], str]


_STATES: dict[str, StateKind] = {}


def register_state(kind: str, *, ref_type: str, snapshot: Snapshot, ids: Callable[[], Iterable[Any]],
                   group: Callable[[str], str] | None = None,
                   label: Callable[[Mapping[str, Any]], str] | None = None) -> None:
    """Declare a state kind: leaves of ``kind`` attest the current state of ``ref_type`` records.

    ``snapshot(ref_ids)`` → ``{ref_id: payload}`` of the live records among them; ``ids()`` streams every live record
    id; ``group(ref_id)`` is the ``group`` of its leaves; ``label(payload)`` names the record in reports (e.g. a case
    number). Re-registering replaces.
    """
    if not kind or not ref_type or not callable(snapshot) or not callable(ids):
        raise ValueError("register_state needs a kind, a ref_type, snapshot() and ids()")
    _STATES[kind] = StateKind(kind, ref_type, snapshot, ids, group or (lambda ref_id: ""),  # noqa: ARG005
                              label or (lambda payload: ""))  # noqa: ARG005


def state_kind(kind: str) -> StateKind | None:
    return _STATES.get(kind)


def state_kinds() -> list[StateKind]:
    return [_STATES[k] for k in sorted(_STATES)]


def register_kind(kind: str, *, recompute: Recompute) -> None:
    """Declare how to recompute leaves of ``kind`` (exact, or a ``prefix.*`` pattern). Re-registering replaces."""
    if not kind or not callable(recompute):
        raise ValueError("register_kind needs a kind and a callable")
    _KINDS[kind] = recompute


def recompute_for(kind: str) -> Recompute | None:
    """The recompute function for ``kind``: the exact registration, else the longest matching ``prefix.*``."""
    if kind in _KINDS:
        return _KINDS[kind]
    best: tuple[int, Recompute] | None = None
    for pattern, func in _KINDS.items():
        if pattern.endswith(".*") and kind.startswith(pattern[:-1]) and (best is None or len(pattern) > best[0]):
            best = (len(pattern), func)
    return best[1] if best else None


def registered_kinds() -> list[str]:
    return sorted(_KINDS)


def autodiscover() -> None:
    """Import ``services`` of every installed xiangzhi app so that their ``register_kind`` calls have run."""
    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("xiangzhi."):
            continue
        try:
            importlib.import_module(f"{config.name}.services")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.services":
                raise
