"""Working-day arithmetic over the ``CalendarDay`` table: a Monday–Friday week, with public holidays (a weekday
that is not worked) and make-up days (调休: a weekend day that is worked) recorded as exceptions.

Deadlines such as "the mediator confirms within 3 working days" are computed here, in one place.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from .models import CalendarDay


def _exceptions(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    return dict(CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_workday"))


def is_workday(day: dt.date, exceptions: dict[dt.date, bool] | None = None) -> bool:
    if exceptions is None:
        exceptions = _exceptions(day, day)
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


# The whole calendar, cached per process for ten minutes (reloaded at once after ``load_holidays``): the deadlines of
# many cases are computed over it without a query each.
_CAL: dict[str, Any] = {"at": 0.0, "days": None}
CALENDAR_TTL_SECONDS = 600  # another process sees a newly loaded calendar within 10 minutes


def calendar() -> dict[dt.date, bool]:
    """Every exception day of the calendar (date → is a working day), cached."""
    if _CAL["days"] is None or time.monotonic() - _CAL["at"] > CALENDAR_TTL_SECONDS:
        _CAL["days"] = dict(CalendarDay.objects.values_list("date", "is_workday"))
        _CAL["at"] = time.monotonic()
    return _CAL["days"]


def forget_calendar() -> None:
    _CAL["days"] = None


def add_workdays(day: dt.date, n: int, cal: dict[dt.date, bool] | None = None) -> dt.date:
    """The date ``n`` working days after ``day`` (``day`` itself is not counted). ``n`` ≥ 0. ``cal``: the exception
    days already in memory (``calendar()``); without it they are read for the window needed."""
    if n < 0:
        raise ValueError("n must be ≥ 0")
    if cal is not None:
        current, left = day, n
        while left:
            current += dt.timedelta(days=1)
            if is_workday(current, cal):
                left -= 1
        return current
    window = 2 * n + 30  # n working days never span more than this (Spring Festival included); extended if so
    exceptions = _exceptions(day, day + dt.timedelta(days=window))
    current, left = day, n
    while left:
        current += dt.timedelta(days=1)
        if current > day + dt.timedelta(days=window):
            exceptions.update(_exceptions(current, current + dt.timedelta(days=window)))
            window += window
        if is_workday(current, exceptions):
            left -= 1
    return current


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]; negative when end is before start."""
    if end < start:
        return -workdays_between(end, start)
    exceptions = _exceptions(start, end)
    count, current = 0, start
    while current < end:
        current += dt.timedelta(days=1)
        if is_workday(current, exceptions):
            count += 1
    return count


def deadline_after(moment: dt.datetime, n: int) -> dt.datetime:
    """End of the ``n``-th working day after ``moment`` (23:59:59 local time), as an aware datetime."""
    tz = ZoneInfo(settings.TIME_ZONE)
    local = timezone.localtime(moment, tz)
    day = add_workdays(local.date(), n)
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=tz)
