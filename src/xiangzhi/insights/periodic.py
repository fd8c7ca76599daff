"""研判 periodic work: early warnings (风险研判), hourly; folding changed cases into the summary, every minute (a
dashboard folds what is left before it reads, so this only keeps that work small)."""

from __future__ import annotations

import datetime as dt

from xiangzhi.core.periodic import Job


def _warnings() -> object:
    from .services import run_warnings

    return run_warnings()


def _summary() -> object:
    from .summary import sync

    return {"folded": sync()}


JOBS = [Job("insights.warnings", dt.timedelta(hours=1), _warnings),
        Job("insights.summary", dt.timedelta(minutes=1), _summary)]
