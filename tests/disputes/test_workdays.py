"""core.workdays: Mon–Fri with holiday and make-up-day exceptions from CalendarDay."""

import datetime as dt

import pytest

from xiangzhi.core.models import CalendarDay
from xiangzhi.core.workdays import add_workdays, deadline_after, is_workday, workdays_between

pytestmark = pytest.mark.django_db


def test_weekends_are_skipped():
    friday = dt.date(2026, 11, 27)
    assert add_workdays(friday, 1) == dt.date(2026, 11, 30)
    assert add_workdays(friday, 3) == dt.date(2026, 12, 2)
    assert add_workdays(friday, 0) == friday


def test_holidays_and_make_up_days():
    # National Day 2026 (illustrative): 1–7 October off, Sunday 27 September and Saturday 10 October worked
    for d in range(1, 8):
        CalendarDay.objects.create(date=dt.date(2026, 10, d), is_workday=False, note="国庆节")
    CalendarDay.objects.create(date=dt.date(2026, 9, 27), is_workday=True, note="调休上班")
    CalendarDay.objects.create(date=dt.date(2026, 10, 10), is_workday=True, note="调休上班")
    assert is_workday(dt.date(2026, 9, 27)) and not is_workday(dt.date(2026, 10, 1))
    assert add_workdays(dt.date(2026, 9, 26), 1) == dt.date(2026, 9, 27)
    assert add_workdays(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    assert add_workdays(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)
    assert workdays_between(dt.date(2026, 9, 30), dt.date(2026, 10, 10)) == 3
    assert workdays_between(dt.date(2026, 10, 10), dt.date(2026, 9, 30)) == -3


def test_a_long_holiday_beyond_the_first_window():
    for d in range(0, 60):
        CalendarDay.objects.create(date=dt.date(2027, 1, 1) + dt.timedelta(days=d), is_workday=False)
    assert add_workdays(dt.date(2026, 12, 31), 1) == dt.date(2027, 3, 2)


def test_deadline_is_the_end_of_the_working_day_in_shanghai():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    due = deadline_after(dt.datetime(2026, 11, 27, 23, 30, tzinfo=tz), 1)
    assert due == dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=tz)
