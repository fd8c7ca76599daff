"""研判 periodic work: early warnings (风险研判), hourly."""

from __future__ import annotations

import datetime as dt

from xiangzhi.core.periodic import Job


def _warnings() -> object:
    from .services import run_warnings

    return run_warnings()


JOBS = [Job("insights.warnings", dt.timedelta(hours=1), _warnings)]
