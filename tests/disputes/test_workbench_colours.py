"""五色管理 on the workbench list: filtering by a colour lists exactly the cases whose rows show that colour (the
stored clock where it is current, else the deadline computed from the stage), with a frozen clock (``now=``)."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from zoneinfo import ZoneInfo

import pytest

from tests.disputes.conftest import new_case, walk
from xiangzhi.disputes.services import transitions

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
COLOURS = ["red", "orange", "yellow", "blue", "green"]


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    from xiangzhi.core import workdays

    workdays.forget_calendar()
    yield
    workdays.forget_calendar()


def _shown(now):
    """What each row of the list shows: colours.info of the case as the list loads it (with its clock)."""
    from xiangzhi.disputes import colours
    from xiangzhi.disputes.models import Case

    return {c.pk: colours.info(c, now).colour for c in Case.objects.select_related("clock")}


def _filtered(now):
    from xiangzhi.disputes import selectors
    from xiangzhi.disputes.models import Case

    return {colour: set(selectors.with_colour(Case.objects.all(), now).filter(xz_colour=colour)
                        .values_list("pk", flat=True)) for colour in COLOURS}


def _insights(now):
    """What 研判 counts: its colour expression, its overdue condition and the colour of the facts its summaries fold."""
    from xiangzhi.disputes.models import Case
    from xiangzhi.insights import selectors as insights
    from xiangzhi.insights import summary

    qs = Case.objects.annotate(c=insights.colour_expr(now))
    by_colour = {colour: set(qs.filter(c=colour).values_list("pk", flat=True)) for colour in COLOURS}
    overdue = set(Case.objects.filter(insights.overdue_q(now)).values_list("pk", flat=True))
    facts = {f.case_id: summary.colour_at(f.stage, f.risk, f.colour, f.overdue_from, now)
             for f in summary.facts(Case.objects.all())}
    return by_colour, overdue, facts


def _make_cases(template, mediator_user, starts):
    """Cases in every stage × risk × start time, some with a current clock (whose deadline differs from the one the
    stage gives, as after a calendar change), some with a clock left from an earlier stage, some extended."""
    from xiangzhi.core import workdays
    from xiangzhi.disputes.enums import CaseStage as S
    from xiangzhi.disputes.models import Case, CaseClock, MediationExtension

    rows = []
    for k, (stage, risk, start) in enumerate(itertools.product(S.values, ["normal", "major"], starts)):
        rows.append(Case(
            year=1990, seq=k + 1, number=f"T{k}", archive_number=f"TA{k}", token=secrets.token_urlsafe(24),
            stage=stage, channel="online", source="application", dispute_type_id=template.dispute_type_id,
            region_id=template.region_id, region_code=template.region_code, organisation_id=template.organisation_id,
            description="颜色测试", created_at=start, stage_changed_at=start, risk_level=risk,
            confirm_due=start + dt.timedelta(days=2, hours=k % 5) if stage == S.ASSIGNED and k % 3 else None,
            agreement_effective_at=start if stage == S.AGREEMENT_WRITTEN and k % 4 == 0 else None))
    cases = Case.objects.bulk_create(rows)
    clocks, extensions = [], []
    for k, c in enumerate(cases):
        if k % 5 == 1:  # current clock whose deadline was computed differently
            clocks.append(CaseClock(case=c, stage=c.stage, stage_changed_at=c.stage_changed_at, colour="yellow",
                                    due_at=c.stage_changed_at + dt.timedelta(days=k % 9, hours=k % 7)))
        elif k % 5 == 2:  # clock of an earlier stage: ignored
            clocks.append(CaseClock(case=c, stage="reported", stage_changed_at=c.stage_changed_at
                                    - dt.timedelta(days=40), colour="red", due_at=c.stage_changed_at))
        elif k % 5 == 3 and c.stage == S.IN_MEDIATION:
            extensions.append(MediationExtension(case=c, months=1 + k % 2, reason="双方同意", granted_by=mediator_user))
    CaseClock.objects.bulk_create(clocks)
    MediationExtension.objects.bulk_create(extensions)
    assert {e.months for e in extensions} == {1, 2}
    workdays.forget_calendar()
    return cases


NOW_CASES = [
    # an ordinary Wednesday
    (at(2026, 3, 4, 12, 30), [at(2026, 3, 4, 12, 30) - dt.timedelta(days=d, hours=h)
                              for d in (0, 1, 2, 3, 4, 6, 8, 12, 26, 29, 31, 33, 40, 62) for h in (0, 5, 13)]),
    # the last day of February: one month after 28–31 January all fall on 28 February (time of day decides)
    (at(2026, 2, 28, 10, 0), [at(2026, 1, d, h) for d in (25, 27, 28, 29, 30, 31) for h in (9, 11)]
     + [at(2026, 2, 24, 10), at(2026, 2, 25, 9, 59), at(2026, 2, 25, 10, 1), at(2026, 1, 24, 10)]),
    # the end of March: one month after February ends in March; soon = 3 April
    (at(2026, 3, 31, 15, 0), [at(2026, 2, d, 15) for d in (1, 27, 28)] + [at(2026, 3, d, 15) for d in (1, 2, 3, 4)]
     + [at(2026, 2, 28, 23, 59), at(2026, 3, 3, 14, 59), at(2026, 3, 3, 15, 1)]),
    # around the National Day holiday (needs the calendar): working days skip 1–7 October
    (at(2026, 10, 9, 8, 0), [at(2026, 9, d, 9) for d in (24, 28, 29, 30)] + [at(2026, 10, d, 9) for d in (1, 6, 8, 9)]),
]


@pytest.mark.parametrize("now, starts", NOW_CASES, ids=["midweek", "end-of-february", "end-of-march", "national-day"])
def test_the_colour_filter_lists_exactly_the_cases_each_row_shows_in_that_colour(mediator, now, starts):
    from xiangzhi.disputes.services import deadlines

    deadlines.load_holidays(deadlines.bundled_holidays(), actor=None)
    template = new_case()
    _make_cases(template, mediator.user, starts)
    shown = _shown(now)
    filtered = _filtered(now)
    for colour in COLOURS:
        expected = {pk for pk, c in shown.items() if c == colour}
        assert filtered[colour] == expected, colour
    assert set(shown.values()) == set(COLOURS)  # every colour occurs, so the comparison is not vacuous
    # 研判 counts the same colours, and "overdue" is the same deadline passed
    from xiangzhi.disputes import colours
    from xiangzhi.disputes.models import Case
    from xiangzhi.insights import summary

    cases = {c.pk: c for c in Case.objects.select_related("clock")}
    infos = {pk: colours.info(c, now) for pk, c in cases.items()}
    by_colour, overdue, facts = _insights(now)
    assert by_colour == filtered
    expected_overdue = {pk for pk, i in infos.items() if i.status == "overdue" and cases[pk].stage in colours.OPEN_STAGES}
    assert overdue == expected_overdue and len(overdue) > 3
    assert facts == shown
    folded = {f.case_id: f for f in summary.facts(Case.objects.all())}
    assert {pk for pk, f in folded.items() if f.overdue_from is not None and f.overdue_from < now} == expected_overdue
    assert all(f.overdue_from == infos[pk].due for pk, f in folded.items() if f.overdue_from is not None)
    # and the same a little later: each boundary moves with the clock
    later = now + dt.timedelta(hours=20)
    shown = _shown(later)
    assert _filtered(later) == {colour: {pk for pk, c in shown.items() if c == colour} for colour in COLOURS}


def test_an_overdue_case_shows_red_and_the_red_filter_lists_it(mediator):
    """Frozen clock: accepted on Monday 2 March, three working days → due Thursday 5 March at the end of the day."""
    from xiangzhi.disputes import colours, selectors
    from xiangzhi.disputes.enums import CaseStage as S
    from xiangzhi.disputes.services import deadlines

    case = transitions.transition(new_case(), S.ACCEPTED, actor=mediator.user, reason="受理", now=at(2026, 3, 2, 9))
    quiet = transitions.transition(new_case(applicant_phone="13800000009"), S.ACCEPTED, actor=mediator.user,
                                reason="受理", now=at(2026, 3, 5, 9))

    def page(colour, now):
        rows, _ = selectors.workbench_cases(mediator.user, selectors.CaseFilters(colour=colour), now=now)
        return [c.pk for c in rows]

    before = at(2026, 3, 3, 9)
    assert colours.info(case, before).colour == "orange"
    assert page("orange", before) == [case.pk] and page("red", before) == []
    after = at(2026, 3, 6, 0, 0, 1)
    assert colours.info(case, after).colour == "red"
    assert page("red", after) == [case.pk]
    assert page("blue", after) == [quiet.pk]  # due Tuesday 10 March: on time
    # after the periodic colour pass the stored clock says the same
    deadlines.colour_pass(now=after, notify=False)
    assert page("red", after) == [case.pk]
    # a stage change after the pass: the clock is stale, the row and the filter follow the new stage
    walked = transitions.transition(case, S.ASSIGNED, actor=mediator.user, reason="指派", details=transitions.Assign(mediator.user.pk),
                                 now=at(2026, 3, 6, 0, 0, 2))
    assert colours.info(walked, after).colour == "blue"
    assert page("red", after) == [] and page("blue", at(2026, 3, 6, 1)) == [quiet.pk, walked.pk]


def test_the_workbench_page_shows_red_with_the_countdown_and_filters_it(mediator):
    """The page uses the real clock: a case accepted 20 days ago is overdue now."""
    from django.utils import timezone

    from xiangzhi.disputes.enums import CaseStage as S

    late = transitions.transition(new_case(), S.ACCEPTED, actor=mediator.user, reason="受理",
                               now=timezone.now() - dt.timedelta(days=20))
    fresh = walk(new_case(applicant_phone="13800000008"), S.ACCEPTED, mediator.user)
    c = mediator.client()
    html = c.get("/cases/workbench/?colour=red").content.decode()
    assert late.number in html and fresh.number not in html
    assert "红色" in html and "已超期" in html
    html = c.get("/cases/workbench/?colour=blue").content.decode()
    assert fresh.number in html and late.number not in html
    assert "蓝色" in html and "剩" in html
    items = c.get("/api/v1/cases/?colour=red").json()["items"]
    assert [i["number"] for i in items] == [late.number]
    assert items[0]["colour"] == "red" and items[0]["colour_label"] == "红色"
    assert items[0]["countdown"].startswith("已超期")
