"""Periodic jobs of 桐解码 (run by ``xiangzhi runperiodic``)."""

from __future__ import annotations

import datetime as dt

from xiangzhi.core.periodic import Job


def _expire() -> object:
    from .services import expire_unconfirmed_assignments

    return expire_unconfirmed_assignments()


JOBS = [Job("disputes.expire_unconfirmed_assignments", dt.timedelta(minutes=15), _expire)]

from .periodic_part2 import JOBS_PART2  # noqa: E402

JOBS += JOBS_PART2
