"""Periodic jobs of 智能咨询 (run by ``xiangzhi runperiodic``)."""

from __future__ import annotations

import datetime as dt

from xiangzhi.core.periodic import Job


def _suggest() -> object:
    from .selectors import faq_candidates

    return {"faq_candidates": len(faq_candidates())}


JOBS = [Job("consultation.faq_candidates", dt.timedelta(hours=24), _suggest)]
