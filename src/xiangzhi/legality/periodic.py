"""Periodic jobs of 合法性审查 (run by ``xiangzhi runperiodic``)."""

from __future__ import annotations

import datetime as dt

from xiangzhi.core.periodic import Job


def _overdue() -> object:
    from .services.review import flag_overdue

    return {"flagged": flag_overdue()}


JOBS = [Job("legality.flag_overdue", dt.timedelta(hours=1), _overdue)]
