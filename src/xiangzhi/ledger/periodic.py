"""Periodic work of the ledger: sign a checkpoint when the tree grew, then check the witnessed checkpoints."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from xiangzhi.core.periodic import Job


def _checkpoint() -> object:
    from .services import periodic_checkpoint

    return periodic_checkpoint()


JOBS = [
    Job("ledger.checkpoint", dt.timedelta(seconds=settings.XIANGZHI_LEDGER_CHECKPOINT_SECONDS), _checkpoint),
]
