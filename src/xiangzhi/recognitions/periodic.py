"""Periodic jobs of recognitions (run by ``xiangzhi runperiodic``)."""

from __future__ import annotations

import datetime as dt

from xiangzhi.core.periodic import Job


def _prune() -> object:
    from .services.efadai import prune_consent_codes

    return {"pruned": prune_consent_codes()}


JOBS = [Job("recognitions.prune_consent_codes", dt.timedelta(hours=1), _prune)]
