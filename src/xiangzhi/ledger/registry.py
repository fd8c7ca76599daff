"""Which record each leaf kind attests, and how to rebuild its payload from the live record.

An app registers its kinds once, at import time of its ``services`` module (or ``apps.ready``)::

    from xiangzhi.ledger.registry import register_kind

    register_kind("case.created", recompute=lambda ref_id: _case_payload(Case.objects.filter(pk=ref_id).first()))

``recompute(ref_id)`` returns the payload the leaf was made from (the same dict that was passed to
``services.append_leaf``, re-read from the database and from files on disk), or ``None`` when the record no longer
exists. A kind ending in ``.*`` matches every kind with that prefix. ``xiangzhi ledger verify`` compares the canonical
serialisation of the recomputed payload with the stored leaf, byte for byte.

The ledger never imports the apps whose records it attests at module import time: :func:`autodiscover` imports
``xiangzhi.<app>.services`` of every installed xiangzhi app so that their registrations run before a verification.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

Recompute = Callable[[str], Mapping[str, Any] | None]

_KINDS: dict[str, Recompute] = {}


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
