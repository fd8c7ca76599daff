"""Periodic jobs of 桐解码 part 2: the colour/deadline pass with its reminders (appended to periodic.JOBS)."""

from __future__ import annotations

import datetime as dt

from xiangzhi.core.periodic import Job


def _colours() -> object:
    from .deadlines import colour_pass

    return str(colour_pass())


JOBS_PART2 = [Job("disputes.colour_pass", dt.timedelta(minutes=10), _colours, lease=dt.timedelta(hours=2))]
