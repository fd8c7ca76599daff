"""How 时间银行 records its history: :func:`record` writes the audit row (attested by the ledger through core's
audit sink) and, for a transfer, a ledger leaf of the transfer itself, in the caller's transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from xiangzhi.core import services as core
from xiangzhi.core.models import User
from xiangzhi.ledger import services as ledger
from xiangzhi.ledger.registry import register_kind

from ..models import Transfer

TRANSFER_REF = "timebank.transfer"


def transfer_payload(t: Transfer) -> dict[str, Any]:
    """The ledger leaf of one transfer (ids, kind, amount: no personal data)."""
    return {"transfer": t.pk, "type": str(t.kind), "from": t.from_account_id, "to": t.to_account_id,
            "amount": int(t.amount), "reverses": t.reverses_id, "at": ledger.iso_time(t.created_at)}


def _recompute(ref_id: str) -> dict[str, Any] | None:
    t = Transfer.objects.filter(pk=ref_id).first()
    return transfer_payload(t) if t is not None else None


register_kind("timebank.*", recompute=_recompute)


def record(action: str, obj: models.Model, payload: dict[str, Any], *, actor: User | None, region_code: str = "",
           transfer: Transfer | None = None) -> None:
    """Record one change — the one way this app writes its history: the audit row ``action`` with ``payload``
    (and its ledger leaf), then the ledger leaf of ``transfer`` when one was posted."""
    with ledger.appending():  # the audit row's leaf and the transfer's leaf in one append
        core.audit(action, actor=actor, obj=obj, region_code=region_code, after=payload)
        if transfer is not None:
            ledger.append_entries([ledger.Entry(f"timebank.{transfer.kind}", transfer_payload(transfer),
                                                TRANSFER_REF, str(transfer.pk),
                                                f"timebank.account:{transfer.to_account_id}")])
