"""The workbench list reads a narrow jurisdiction (a village) branch by branch — each region code, the user's
organisation, the user's own cases, cases shared with the user's department — and a wide one (a town, the county)
in one walk of the id index; both must list exactly ``cases_visible_to(user)``, newest first, page after page."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import CHONGFU, WUZHEN, first_village, make_staff
from tests.disputes.conftest import new_case
from xiangzhi.disputes.services import transitions

pytestmark = pytest.mark.django_db


def _all_pages(user, limit, **filters):
    from xiangzhi.disputes import selectors

    seen, after = [], None
    while True:
        rows, after = selectors.workbench_cases(user, selectors.CaseFilters(**filters), after=after, limit=limit)
        seen += [c.pk for c in rows]
        if after is None:
            return seen


def _expected(user, **filters):
    from xiangzhi.disputes import selectors

    qs = selectors.cases_visible_to(user)
    if filters.get("stage"):
        qs = qs.filter(stage=filters["stage"])
    return list(qs.order_by("-id").values_list("pk", flat=True))


@pytest.fixture
def mixed_cases(mediator, other_mediator):
    """Cases in the mediator's village and its grid, in another town, one of those handled by the mediator's
    committee, one assigned to the mediator personally, and one shared with a department through a joint task."""
    from django.utils import timezone

    from xiangzhi.core.models import Organisation
    from xiangzhi.disputes.enums import CaseStage as S
    from xiangzhi.disputes.models import Case
    from xiangzhi.disputes.services import joint

    village = first_village(WUZHEN)
    grid = village.children.order_by("code").first()
    elsewhere = first_village(CHONGFU).code
    cases = []
    for i in range(7):
        cases.append(new_case(applicant_phone=f"1380001{i:04d}"))
        cases.append(new_case(region_code=elsewhere, applicant_phone=f"1390001{i:04d}"))
    cases.append(new_case(region_code=grid.code, applicant_phone="13800019999"))
    handled = new_case(region_code=elsewhere, applicant_phone="13700000001")
    Case.objects.filter(pk=handled.pk).update(organisation=mediator.organisation)  # routed to the committee
    personal = new_case(region_code=elsewhere, applicant_phone="13700000002")
    Case.objects.filter(pk=personal.pk).update(mediator=mediator.user)
    shared = transitions.transition(new_case(region_code=elsewhere, applicant_phone="13700000003"), S.ACCEPTED,
                                 actor=other_mediator.user, reason="受理")
    dept = Organisation.objects.filter(kind="department", region__code__startswith=CHONGFU[:6]).order_by("id").first()
    joint.invite(shared, actor=other_mediator.user, organisation_id=dept.pk, task="核实情况",
                 due_at=timezone.now() + dt.timedelta(days=3), contact_name="联系人")
    liaison = make_staff("liaison_dept", "liaison", dept.region.code, {"pk": dept.pk})
    return {"handled": handled, "personal": personal, "shared": shared, "liaison": liaison, "grid": grid}


@pytest.mark.parametrize("limit", [1, 3, 50])
def test_a_village_mediator_pages_through_exactly_the_visible_cases(mediator, mixed_cases, limit):
    seen = _all_pages(mediator.user, limit)
    assert seen == _expected(mediator.user)
    assert mixed_cases["handled"].pk in seen and mixed_cases["personal"].pk in seen
    assert len(seen) == 7 + 1 + 2  # the village, its grid, the committee's case, the personal case


def test_the_filters_apply_inside_each_branch(mediator, mixed_cases):
    from xiangzhi.disputes.models import Case

    Case.objects.filter(pk=mixed_cases["personal"].pk).update(stage="accepted")
    seen = _all_pages(mediator.user, 2, stage="accepted")
    assert seen == _expected(mediator.user, stage="accepted") == [mixed_cases["personal"].pk]


def test_wide_jurisdictions_and_departments_list_the_same_as_their_visibility(
        mixed_cases, town_staff, centre_staff, other_mediator):
    for user in (town_staff.user, centre_staff.user, other_mediator.user, mixed_cases["liaison"].user):
        assert _all_pages(user, 4) == _expected(user)
    assert _all_pages(mixed_cases["liaison"].user, 4) == [mixed_cases["shared"].pk]


def test_the_list_costs_the_same_number_of_queries_for_narrow_and_wide_jurisdictions(
        mediator, town_staff, mixed_cases, django_assert_num_queries):
    from xiangzhi.disputes import selectors

    counts = []
    for user in (mediator.user, town_staff.user):
        selectors.workbench_cases(user, selectors.CaseFilters())  # membership caches
        with django_assert_num_queries(3) as ctx:  # memberships, region codes, the page (+ extensions)
            selectors.workbench_cases(user, selectors.CaseFilters())
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
