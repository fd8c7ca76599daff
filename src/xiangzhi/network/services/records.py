"""How every change of the network is recorded: :func:`record` writes the audit row, which core's audit sink
attests in the ledger, in the caller's transaction. The other service modules call it and nothing else for their
history (the network has no timeline of its own and sends no notices)."""

from __future__ import annotations

from typing import Any

from django.db import models

from xiangzhi.core import services as core
from xiangzhi.core.models import User


def record(obj: models.Model, action: str, payload: dict[str, Any], *, actor: User | None,
           region_code: str = "") -> None:
    """Record one change of ``obj``: the audit row ``action`` with ``payload`` (no personal data) and its ledger
    leaf."""
    core.audit(action, actor=actor, obj=obj, region_code=region_code, after=payload)
