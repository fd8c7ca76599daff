"""The review clock in working days (core's calendar, holidays included), the setting's default, and the periodic
job that flags overdue reviews once per version."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.legality.conftest import assigned, opine

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SH)


def test_the_due_date_counts_working_days_and_skips_holidays(town_staff, lawyer):
    from xiangzhi.core.models import CalendarDay
    from xiangzhi.core.workdays import forget_calendar

    # Monday 2026-09-28 + 7 working days: Tue..Fri (4), Mon..Wed (3) → Wednesday 2026-10-07 without holidays
    assert assigned(town_staff.user, [lawyer.user], workdays=7, now=at("2026-09-28")).due_date == dt.date(2026, 10, 7)
    for d in range(1, 8):  # National Day holiday, with a make-up working Sunday the week before
        CalendarDay.objects.create(date=dt.date(2026, 10, d), is_workday=False, note="国庆节")
    CalendarDay.objects.create(date=dt.date(2026, 9, 27), is_workday=True, note="国庆节调休")
    forget_calendar()
    sub = assigned(town_staff.user, [lawyer.user], workdays=7, now=at("2026-09-28"), title="国庆")
    # Tue 29, Wed 30 (2), holiday 1–7, Thu 8, Fri 9 (4), Mon 12, Tue 13, Wed 14 (7)
    assert sub.due_date == dt.date(2026, 10, 14)


def test_the_default_period_comes_from_the_setting(town_staff, lawyer, settings):
    settings.XIANGZHI_LEGALITY_REVIEW_WORKDAYS = 3
    sub = assigned(town_staff.user, [lawyer.user], now=at("2026-11-02"))  # a Monday
    assert sub.deadline_workdays == 3 and sub.due_date == dt.date(2026, 11, 5)


@pytest.mark.parametrize("workdays", [0, 61, -1])
def test_a_period_out_of_range_is_refused(town_staff, lawyer, workdays):
    from xiangzhi.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        assigned(town_staff.user, [lawyer.user], workdays=workdays)
    assert exc.value.code == "INVALID_DEADLINE"


def test_an_opinion_on_the_last_day_is_in_time_and_the_day_after_is_late(town_staff, lawyer, law_articles):
    a = assigned(town_staff.user, [lawyer.user], workdays=2, now=at("2026-11-02"))  # due Wed 11-04
    b = assigned(town_staff.user, [lawyer.user], workdays=2, now=at("2026-11-02"), title="b")
    assert opine(a, lawyer.user, now=at("2026-11-04", 23)).in_time is True
    late = opine(b, lawyer.user, now=at("2026-11-05", 0))
    assert late.in_time is False and late.due_date == dt.date(2026, 11, 4)


def test_reassignment_keeps_the_clock_of_the_version(town_staff, lawyer, lawyer_wz):
    from xiangzhi.legality.services import review

    sub = assigned(town_staff.user, [lawyer.user], workdays=5, now=at("2026-11-02"))
    assert sub.due_date == dt.date(2026, 11, 9)
    sub = review.assign(sub, reviewers=[lawyer_wz.user], deadline_workdays=5, actor=town_staff.user,
                        now=at("2026-11-06"))
    assert sub.due_date == dt.date(2026, 11, 9) and list(sub.reviewers.all()) == [lawyer_wz.user]


def test_a_revision_starts_a_new_clock(town_staff, lawyer, law_articles):
    from xiangzhi.legality.services import submissions

    sub = assigned(town_staff.user, [lawyer.user], workdays=2, now=at("2026-11-02"))
    opine(sub, lawyer.user, "lawful_if_revised", now=at("2026-11-03"))
    sub = submissions.revise(sub, text="第一条 修改稿。", actor=town_staff.user, now=at("2026-11-10"))
    assert sub.assigned_at == at("2026-11-10") and sub.due_date == dt.date(2026, 11, 12)


def test_overdue_reviews_are_flagged_once_per_version(town_staff, lawyer, law_articles):
    from xiangzhi.core.models import Notification
    from xiangzhi.legality.models import Event
    from xiangzhi.legality.services import review, submissions
    from xiangzhi.legality.services.deadlines import is_overdue

    sub = assigned(town_staff.user, [lawyer.user], workdays=2, now=at("2026-11-02"))  # due 11-04
    done = assigned(town_staff.user, [lawyer.user], workdays=2, now=at("2026-11-02"), title="按期")
    opine(done, lawyer.user, now=at("2026-11-03"))
    assert review.flag_overdue(now=at("2026-11-04", 20)) == 0
    assert not is_overdue(sub.state, sub.due_date, dt.date(2026, 11, 4))
    assert is_overdue(sub.state, sub.due_date, dt.date(2026, 11, 5))
    assert review.flag_overdue(now=at("2026-11-05", 1)) == 1
    assert review.flag_overdue(now=at("2026-11-06")) == 0  # once per version
    assert Event.objects.filter(submission=sub, kind="overdue").count() == 1
    assert not Event.objects.filter(submission=done, kind="overdue").exists()
    assert Notification.objects.filter(recipient_user=lawyer.user, subject="合法性审查已超期").count() == 1
    submissions.revise(sub, text="第一条 新稿。", actor=town_staff.user, now=at("2026-11-06"))  # due 11-10
    assert review.flag_overdue(now=at("2026-11-11")) == 1
    assert Event.objects.filter(submission=sub, kind="overdue").count() == 2


def test_the_periodic_job_is_registered():
    from xiangzhi.core.periodic import discover_jobs

    assert "legality.flag_overdue" in {j.name for j in discover_jobs()}
