"""Periodic jobs of 桐解码 (run by ``xiangzhi runperiodic``): expiry of unconfirmed assignments, the colour/deadline
pass with its reminders, and re-enqueueing import jobs left queued."""

from __future__ import annotations

import datetime as dt

from xiangzhi.core.periodic import Job


def _expire() -> object:
    from .services.mediation import expire_unconfirmed_assignments

    return expire_unconfirmed_assignments()


def _colours() -> object:
    from .services.deadlines import colour_pass

    return str(colour_pass())


def _requeue_imports() -> object:
    from .services.importing import requeue_stale

    return requeue_stale()


JOBS = [Job("disputes.expire_unconfirmed_assignments", dt.timedelta(minutes=15), _expire),
        Job("disputes.colour_pass", dt.timedelta(minutes=10), _colours, lease=dt.timedelta(hours=2)),
        Job("disputes.requeue_imports", dt.timedelta(minutes=10), _requeue_imports)]
