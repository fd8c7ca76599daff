"""The review clock: a version assigned on day D must be reviewed by D + n working days (core's working-day
calendar, holidays and make-up days included); n defaults to ``XIANGZHI_LEGALITY_REVIEW_WORKDAYS``."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from xiangzhi.core.errors import ValidationFailed
from xiangzhi.core.workdays import add_workdays

from ..enums import State

MAX_WORKDAYS = 60


def check_workdays(n: int | None) -> int:
    """The review period in working days: the setting's default when ``n`` is None; 1–60 otherwise."""
    if n is None:
        return settings.XIANGZHI_LEGALITY_REVIEW_WORKDAYS
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_WORKDAYS:
        raise ValidationFailed("INVALID_DEADLINE", f"审查时限应为 1 至 {MAX_WORKDAYS} 个工作日。",
                               {"deadline_workdays": n})
    return n


def due_date(start: dt.datetime, workdays: int) -> dt.date:
    """The last day of review for a version assigned at ``start``: ``workdays`` working days after its local date."""
    return add_workdays(timezone.localdate(start), workdays)


def in_time(given: dt.datetime, due: dt.date | None) -> bool:
    return due is None or timezone.localdate(given) <= due


def is_overdue(state: str, due: dt.date | None, today: dt.date) -> bool:
    """The current version is still waiting for its opinion after its last day of review."""
    return state == State.UNDER_REVIEW and due is not None and today > due
