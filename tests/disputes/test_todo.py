"""待办, the workbench's first page: cases to accept, to assign, to confirm, due within two working days, overdue and
waiting for a party, each case under its most pressing reason, checked against the rules case by case; finished
cases never appear; the query count does not grow with the cases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import CHONGFU, first_village
from tests.disputes.conftest import new_case, walk
from xiangzhi.disputes import colours, rules, selectors
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import Case
from xiangzhi.disputes.services import transitions

pytestmark = pytest.mark.django_db


def expected_group(user, case, now) -> str | None:
    """The to-do group of ``case`` for ``user``, decided in Python from the rules and the one deadline rule."""
    case = Case.objects.select_related("clock").get(pk=case.pk)
    if colours.group(case.stage, case.agreement_effective_at is not None) == "done":
        return None
    if colours.status(colours.due(case), now) == "overdue":
        return "overdue"
    if rules.can_confirm_assignment(user, case):
        return "confirm"
    if case.stage in (S.REPORTED, S.ESCALATED) and rules.can_transition(user, case, S.ACCEPTED):
        return "accept"
    if case.stage in (S.ACCEPTED, S.REOPENED) and rules.can_transition(user, case, S.ASSIGNED):
        return "assign"
    if colours.due_within(case, now, 2):
        return "due_soon"
    parties = list(case.parties.select_related("person"))
    if case.stage in rules.NOTICE_STAGES and any(rules.needs_notice(
            has_phone=bool(p.person_id and p.person.phone), noticed=p.notice_at is not None, consent=p.consent)
            for p in parties):
        return "notice"
    if any(rules.party_can_answer_consent(p, case) for p in parties) or rules.agreement_signable(case):
        return "waiting"
    return None


def _aged(case, days: float) -> Case:
    Case.objects.filter(pk=case.pk).update(stage_changed_at=timezone.now() - dt.timedelta(days=days))
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def desk(mediator, other_mediator, town_staff):
    """Cases of the mediator's village at every step, of ages from today to six weeks, and one elsewhere."""
    cases = []
    phone = iter(range(10_000))

    def make(to, days):
        case = walk(new_case(applicant_phone=f"1380000{next(phone):04d}"), to, mediator.user)
        cases.append(_aged(case, days))

    for days in (0, 1, 2, 3, 4, 5, 6, 8, 12):
        make(S.REPORTED, days)
        make(S.ACCEPTED, days)
        make(S.NOTICE_SERVED, days)
        make(S.AGREEMENT_WRITTEN, days)
    for days in (0, 28, 31, 45):
        make(S.IN_MEDIATION, days)
    for days in (0, 2):  # assigned to the mediator by the justice office, not yet confirmed
        case = walk(new_case(applicant_phone=f"1350000{next(phone):04d}"), S.ACCEPTED, mediator.user)
        case = transitions.transition(case, S.ASSIGNED, actor=town_staff.user, reason="指派",
                                      details=transitions.Assign(mediator.user.pk))
        assert case.mediator_confirmed_at is None
        cases.append(_aged(case, days))
    confirmed = walk(new_case(applicant_phone="13700000009"), S.ASSIGNED, mediator.user)
    Case.objects.filter(pk=confirmed.pk).update(mediator_confirmed_at=timezone.now())
    cases.append(confirmed)
    for stage in (S.CLOSED, S.ARCHIVED, S.TERMINATED, S.FOLLOW_UP, S.AGREEMENT_ORAL, S.NOT_ACCEPTED):
        finished = new_case(applicant_phone=f"1360000{next(phone):04d}")
        Case.objects.filter(pk=finished.pk).update(stage=stage, stage_changed_at=timezone.now() - dt.timedelta(days=60))
        cases.append(Case.objects.get(pk=finished.pk))  # long past every deadline, yet finished
    effective = walk(new_case(applicant_phone="13700000010"), S.AGREEMENT_WRITTEN, mediator.user)
    Case.objects.filter(pk=effective.pk).update(agreement_effective_at=timezone.now(),
                                                stage_changed_at=timezone.now() - dt.timedelta(days=60))
    cases.append(Case.objects.get(pk=effective.pk))
    elsewhere = new_case(region_code=first_village(CHONGFU).code, applicant_phone="13700000011")
    cases.append(_aged(elsewhere, 30))
    return cases


def _groups(user, now):
    return {g.key: g for g in selectors.todo(user, now, rows=1000)}


@pytest.mark.parametrize("persona", ["mediator", "town_staff", "other_mediator", "county_admin"])
def test_each_case_is_in_the_group_the_rules_give_it(desk, request, persona):
    user = request.getfixturevalue(persona).user
    now = timezone.now()
    groups = _groups(user, now)
    visible = set(selectors.cases_visible_to(user).values_list("pk", flat=True))
    expected: dict[str, set[int]] = {key: set() for key in selectors.TODO_GROUPS}
    for case in desk:
        key = expected_group(user, case, now) if case.pk in visible else None
        if key:
            expected[key].add(case.pk)
    for key, group in groups.items():
        assert {c.pk for c in group.rows} == expected[key], (persona, key)
        assert group.count == len(expected[key]), (persona, key)


def test_the_mediator_has_something_in_every_group_and_finished_cases_never_appear(desk, mediator):
    groups = _groups(mediator.user, timezone.now())
    assert all(g.count for g in groups.values()), {k: g.count for k, g in groups.items()}
    listed = {c.pk for g in groups.values() for c in g.rows}
    finished = {c.pk for c in desk if colours.group(c.stage, c.agreement_effective_at is not None) == "done"}
    assert len(finished) == 7 and not listed & finished
    assert len(listed) == sum(g.count for g in groups.values())  # each case once


def test_the_other_towns_mediator_sees_only_their_own_town(desk, other_mediator):
    groups = _groups(other_mediator.user, timezone.now())
    assert sum(g.count for g in groups.values()) == 1  # the Chongfu case, overdue for acceptance
    assert groups["overdue"].count == 1


def test_the_workbench_opens_on_the_to_do_view_and_links_each_group_to_the_list(desk, mediator):
    c = mediator.client()
    html = c.get("/cases/workbench/").content.decode()
    assert "<h1>待办</h1>" in html and "?scope=all" in html
    groups = _groups(mediator.user, timezone.now())
    for key, group in groups.items():
        assert f'data-count="{key}">{group.count}<' in html
    overdue = groups["overdue"]
    assert overdue.count > selectors.TODO_ROWS and "?scope=all&amp;todo=overdue" in html
    listed = c.get("/cases/workbench/", {"scope": "all", "todo": "overdue"}).content.decode()
    for case in overdue.rows:
        assert f">{case.number}</a>" in listed
    every = c.get("/cases/workbench/", {"scope": "all"}).content.decode()
    assert "<h1>纠纷案件</h1>" in every
    assert "待办分组无效" in c.get("/cases/workbench/", {"todo": "nonsense"}).content.decode()


def test_the_api_lists_one_to_do_group(desk, mediator):
    groups = _groups(mediator.user, timezone.now())
    r = mediator.client().get("/api/v1/cases/", {"todo": "waiting", "limit": 200})
    assert r.status_code == 200
    assert {i["id"] for i in r.json()["items"]} == {c.pk for c in groups["waiting"].rows}
    todo = mediator.client().get("/api/v1/cases/todo").json()
    assert {g["key"]: g["count"] for g in todo["groups"]} == {k: g.count for k, g in groups.items()}


TODO_MAX_QUERIES = 14  # session, user, memberships, menu, extensions, counts, a query per group (7), rows


@pytest.mark.parametrize("n", [1, 3])
def test_the_to_do_page_query_count_does_not_grow_with_cases(mediator, django_assert_max_num_queries, n):
    steps = ((S.REPORTED, 0), (S.ACCEPTED, 9), (S.ASSIGNED, 0), (S.NOTICE_SERVED, 4), (S.AGREEMENT_WRITTEN, 1))
    for i in range(n):
        for j, (to, days) in enumerate(steps):
            _aged(walk(new_case(applicant_phone=f"138{i:04d}{j:04d}"), to, mediator.user), days)
    c = mediator.client()
    c.get("/cases/workbench/")  # warm the session
    with django_assert_max_num_queries(TODO_MAX_QUERIES):
        r = c.get("/cases/workbench/")
    assert r.status_code == 200
