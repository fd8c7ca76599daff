"""Periodic jobs of 智能咨询 (run by ``xiangzhi runperiodic``)."""

from __future__ import annotations

import datetime as dt

from xiangzhi.core.periodic import Job


def _suggest() -> object:
    from .selectors import faq_candidates

    return {"faq_candidates": len(faq_candidates())}


def _purge() -> object:
    from .services import purge_expired

    return purge_expired()


def _remind() -> object:
    from .services import remind_waiting_handoffs

    return remind_waiting_handoffs()


JOBS = [
    Job("consultation.handoff_reminders", dt.timedelta(minutes=10), _remind),
    Job("consultation.faq_candidates", dt.timedelta(hours=24), _suggest),
    # the first run on a large visit log deletes many batches: a longer lease keeps a second runner out meanwhile
    Job("consultation.purge_expired", dt.timedelta(hours=24), _purge, lease=dt.timedelta(hours=2)),
]
