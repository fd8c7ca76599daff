"""Periodic jobs of 精准普法 (run by ``xiangzhi runperiodic``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from xiangzhi.core.periodic import Job


def _evaluate() -> object:
    from .services.alerts import evaluate

    return asdict(evaluate())


def _expire() -> object:
    from .services.claims import expire_claims

    return {"expired": expire_claims()}


def _sent() -> object:
    from .services.push import refresh_sent

    return {"sent": refresh_sent()}


JOBS = [
    Job("outreach.evaluate_alerts", dt.timedelta(minutes=5), _evaluate),
    Job("outreach.expire_claims", dt.timedelta(minutes=5), _expire),
    Job("outreach.delivery_states", dt.timedelta(minutes=1), _sent),
]
