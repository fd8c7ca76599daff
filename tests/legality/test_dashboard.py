"""The coverage and timeliness dashboard: every figure equals a direct count of the rows, per town and in total."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import CHONGFU, WUZHEN
from tests.legality.conftest import assigned, new_submission, opine

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SH)


@pytest.fixture
def mixed(town_staff, other_town_staff, lawyer, law_articles):
    """In two towns: passed and issued, late opinion, refused then revised and passed, overdue, unassigned."""
    from xiangzhi.legality.services import submissions

    wz, cf = town_staff.user, other_town_staff.user
    a = assigned(wz, [lawyer.user], workdays=3, now=at("2026-03-02"), title="a")
    opine(a, lawyer.user, now=at("2026-03-03"))
    submissions.issue(a, actor=wz, now=at("2026-03-04"))
    b = assigned(wz, [lawyer.user], workdays=2, now=at("2026-03-02"), title="b")
    opine(b, lawyer.user, "unlawful", now=at("2026-03-09"))  # late
    submissions.revise(b, text="第一条 改。", actor=wz, now=at("2026-03-10"))
    opine(b, lawyer.user, now=at("2026-03-11"))
    assigned(wz, [lawyer.user], workdays=2, now=at("2026-03-02"), title="c overdue")
    new_submission(wz, title="d unassigned", now=at("2026-03-02"))
    e = assigned(cf, [lawyer.user], code=CHONGFU, workdays=2, now=at("2026-04-01"), title="e")
    opine(e, lawyer.user, "lawful_if_revised", now=at("2026-04-02"))
    assigned(cf, [lawyer.user], code=CHONGFU, now=at("2025-06-02"), title="last year")


def direct(town: str | None, year: int | None, today: dt.date) -> dict:
    from xiangzhi.legality.models import Opinion, Submission

    subs = Submission.objects.all()
    if town:
        subs = subs.filter(town__code=town)
    if year:
        subs = subs.filter(submitted_at__year=year)
    ops = Opinion.objects.filter(submission__in=subs)
    issued = subs.filter(state="issued")
    return {
        "submitted": subs.count(), "reviewed": subs.filter(opinions__isnull=False).distinct().count(),
        "opinions": ops.count(), "in_time": ops.filter(in_time=True).count(), "late": ops.filter(in_time=False).count(),
        "overdue": subs.filter(state="under_review", due_date__lt=today).count(), "issued": issued.count(),
        "issued_without_review": sum(1 for s in issued if not Opinion.objects.filter(
            submission=s, version__number=s.version, conclusion="lawful").exists()),
        "refused": subs.filter(opinions__conclusion="unlawful").distinct().count(),
    }


FIGURES = ("submitted", "reviewed", "opinions", "in_time", "late", "overdue", "issued", "issued_without_review",
           "refused")


@pytest.mark.parametrize("year", [None, 2026, 2025])
def test_the_figures_equal_direct_counts(mixed, county_admin, year):
    from xiangzhi.legality import selectors

    today = dt.date(2026, 5, 1)
    rows, total = selectors.dashboard(county_admin.user, year=year, today=today)
    assert len(rows) == 11
    for row in rows:
        assert {f: getattr(row, f) for f in FIGURES} == direct(row.code, year, today), row.name
    assert {f: getattr(total, f) for f in FIGURES} == direct(None, year, today)


def test_the_known_figures_of_wuzhen(mixed, town_staff):
    from xiangzhi.legality import selectors

    rows, total = selectors.dashboard(town_staff.user, year=2026, today=dt.date(2026, 5, 1))
    assert [r.code for r in rows] == [WUZHEN]
    wz = rows[0]
    assert (wz.submitted, wz.reviewed, wz.opinions, wz.in_time, wz.late, wz.overdue, wz.issued, wz.refused) == (
        4, 2, 3, 2, 1, 1, 1, 1)
    assert wz.issued_without_review == 0 and wz.coverage == 0.5 and wz.timeliness == round(2 / 3, 4)
    assert total.submitted == 4


def test_the_dashboard_page_and_api_show_the_same_totals(mixed, county_admin, django_assert_max_num_queries):
    c = county_admin.client()
    c.get("/legality/staff/dashboard/")
    with django_assert_max_num_queries(15):
        body = c.get("/api/v1/legality/dashboard?year=2026").json()
    assert body["total"]["submitted"] == 5 and body["total"]["issued_without_review"] == 0
    page = c.get("/legality/staff/dashboard/?year=2026")
    assert page.status_code == 200 and "legality-dashboard" in page.content.decode()
